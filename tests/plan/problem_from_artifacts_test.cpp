#include "plan/problem_from_artifacts.hpp"

#include "core/artifact.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "plan/planner.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>

namespace edgent::plan {
namespace {

const std::string kDir = EDGENT_TEST_DATA_DIR "/plan/";

struct Fixture {
  Artifact model = read_artifact(kDir + "model.json", "model");
  Artifact accuracy = read_artifact(kDir + "accuracy.json", "accuracy");
  Artifact device = read_artifact(kDir + "device_fit.json", "fit");
  Artifact edge = read_artifact(kDir + "edge_fit.json", "fit");
};

TEST(ProblemFromArtifacts, BuildsFixture) {
  Fixture f;
  const PlanProblem p = problem_from_artifacts(f.model, &f.accuracy, f.device, f.edge,
                                               default_codecs());
  ASSERT_EQ(p.exits.size(), 5U);
  EXPECT_TRUE(p.accuracy_known());
  EXPECT_EQ(p.exits[4].units(), 17);
  EXPECT_DOUBLE_EQ(p.exits[0].fp32_bytes[0], 28 * 28 * 4);
  // conv1: 2*28*28*64*1*25 flops at the device's 2 GFLOP/s (5e-7 ms/flop) + 0.05 ms intercept.
  EXPECT_NEAR(p.exits[0].device_ms[0], 2.0 * 28 * 28 * 64 * 25 * 5e-7 + 0.05, 1e-9);
  EXPECT_LT(p.exits[0].edge_ms[0], p.exits[0].device_ms[0]);
  // int8 at exit 1, cut 2 is 0.79 in the table; fp32 there falls back to the exit's 0.80.
  const LatencyModel m(p);
  EXPECT_DOUBLE_EQ(*m.accuracy(Choice{0, 2, Order::device_first, 2}), 0.79);
  EXPECT_DOUBLE_EQ(*m.accuracy(Choice{0, 2, Order::device_first, 0}), 0.80);
}

TEST(ProblemFromArtifacts, MeasuredWireBytesReplaceTheCodecRatio) {
  Fixture f;
  nlohmann::json table = nlohmann::json::parse(read_file(kDir + "accuracy.json"));
  const nlohmann::json& first = table["entries"][0];
  const int exit = first["exit"], cut = first["cut"];
  const std::string codec = first["codec"];
  table["entries"][0]["wire_bytes"] = 1080.0;
  const Artifact measured = parse_artifact(table.dump(), "accuracy.json", "accuracy");
  const auto codecs = default_codecs();
  const PlanProblem p = problem_from_artifacts(f.model, &measured, f.device, f.edge, codecs);
  const auto k = std::find_if(codecs.begin(), codecs.end(),
                              [&](const Codec& c) { return c.name == codec; }) - codecs.begin();
  const ExitCosts& e = p.exits[static_cast<std::size_t>(exit - 1)];
  ASSERT_FALSE(e.encoded_bytes.empty());
  const auto& bytes = e.encoded_bytes[static_cast<std::size_t>(cut) * codecs.size() + k];
  ASSERT_TRUE(bytes.has_value());
  EXPECT_DOUBLE_EQ(*bytes, 1000.0) << "the payload: the wire header counts as overhead";

  table["entries"][0]["wire_bytes"] = 10.0; // smaller than the wire header
  const Artifact broken = parse_artifact(table.dump(), "accuracy.json", "accuracy");
  EXPECT_THROW(problem_from_artifacts(f.model, &broken, f.device, f.edge, codecs), SchemaError);
}

TEST(ProblemFromArtifacts, RejectsFitOfAnotherModel) {
  Fixture f;
  f.edge.doc["model_sha256"] = std::string(64, 'a');
  try {
    problem_from_artifacts(f.model, nullptr, f.device, f.edge, default_codecs());
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "model_sha256");
    EXPECT_EQ(to_int(e.exit_code()), 2);
  }
}

TEST(ProblemFromArtifacts, RejectsSwappedRolesAndEmptyCodecs) {
  Fixture f;
  EXPECT_THROW(problem_from_artifacts(f.model, nullptr, f.edge, f.device, default_codecs()),
               ConfigError);
  EXPECT_THROW(problem_from_artifacts(f.model, nullptr, f.device, f.edge, {}), ConfigError);
}

TEST(ProblemFromArtifacts, MissingChainIsASchemaError) {
  Fixture f;
  f.model.doc["exits"][2].erase("chain");
  EXPECT_THROW(problem_from_artifacts(f.model, nullptr, f.device, f.edge, default_codecs()),
               SchemaError);
}

TEST(ProblemFromArtifacts, NullAccuracyMeansUnknown) {
  Fixture f;
  f.model.doc["exits"][0]["accuracy"] = nullptr;
  const PlanProblem p =
      problem_from_artifacts(f.model, nullptr, f.device, f.edge, default_codecs());
  EXPECT_FALSE(p.accuracy_known());
}

} // namespace
} // namespace edgent::plan

namespace edgent::plan {
namespace {

/// A device profile of the fixture where unit u of exit e measured e + u / 100 ms.
Artifact fixture_profile(const Artifact& model) {
  nlohmann::json units = nlohmann::json::array();
  for (const auto& ex : model.doc["exits"]) {
    const int e = ex["exit"];
    for (std::size_t u = 1; u <= ex["chain"].size(); ++u) {
      units.push_back({{"exit", e}, {"unit", u}, {"median_ms", e + static_cast<double>(u) / 100}});
    }
  }
  Artifact a;
  a.file = "profile.json";
  a.doc = {{"schema", "edgent.profile/1"},
           {"role", "device"},
           {"provenance", {{"model_sha256", model.doc["onnx_sha256"]}}},
           {"units", units}};
  return a;
}

TEST(ProblemFromArtifacts, ProfilesGiveMeasuredLatencies) {
  const Artifact model = read_artifact(kDir + "model.json", "model");
  const Artifact edge = read_artifact(kDir + "edge_fit.json", "fit");
  Artifact profile = fixture_profile(model);
  const PlanProblem p = problem_from_artifacts(model, nullptr, profile, edge, default_codecs());
  EXPECT_DOUBLE_EQ(p.exits[2].device_ms[0], 3.01);
  EXPECT_DOUBLE_EQ(p.exits[4].device_ms[16], 5.17);
  EXPECT_DOUBLE_EQ(p.device_net_ms, 0) << "no net_overhead in the profile";
  // A profile's net overhead and its settings.estimate are honoured.
  profile.doc["net_overhead"] = {{"median_ms", 0.25}, {"mean_ms", 0.5}};
  EXPECT_DOUBLE_EQ(problem_from_artifacts(model, nullptr, profile, edge, default_codecs()).device_net_ms, 0.25);
  profile.doc["settings"] = {{"estimate", "mean_ms"}};
  for (auto& u : profile.doc["units"]) {
    u["mean_ms"] = 2 * u["median_ms"].get<double>();
  }
  const PlanProblem mean = problem_from_artifacts(model, nullptr, profile, edge, default_codecs());
  EXPECT_DOUBLE_EQ(mean.device_net_ms, 0.5);
  EXPECT_DOUBLE_EQ(mean.exits[2].device_ms[0], 6.02);
  profile.doc["settings"] = {{"estimate", "p95_ms"}};
  EXPECT_THROW(problem_from_artifacts(model, nullptr, profile, edge, default_codecs()), SchemaError);
  profile = fixture_profile(model);
  profile.doc["units"].erase(3);
  EXPECT_THROW(problem_from_artifacts(model, nullptr, profile, edge, default_codecs()),
               SchemaError);
  profile = fixture_profile(model);
  profile.doc["provenance"]["model_sha256"] = "other";
  try {
    problem_from_artifacts(model, nullptr, profile, edge, default_codecs());
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "provenance.model_sha256");
  }
}

} // namespace
} // namespace edgent::plan
