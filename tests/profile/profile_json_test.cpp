#include "profile/profile_json.hpp"

#include "core/artifact.hpp"
#include "core/error.hpp"

#include <gtest/gtest.h>

#include <string>

namespace edgent::profile {
namespace {

Artifact as_artifact(const nlohmann::json& body) {
  nlohmann::json doc = body;
  doc["schema"] = "edgent.profile/1";
  return parse_artifact(doc.dump(), "p.json", "profile");
}

nlohmann::json minimal() {
  return {{"role", "device"},
          {"provenance", {{"model_sha256", "m"}}},
          {"settings", {{"estimate", "mean_ms"}}},
          {"units",
           {{{"exit", 1}, {"unit", 1}, {"name", "conv1"}, {"type", "conv"},
             {"features", {{"in_size", 784}}}, {"flops", 10}, {"output_bytes", 64},
             {"median_ms", 1.0}, {"mean_ms", 2.0}}}},
          {"exits", {{{"exit", 1}, {"median_ms", 1.0}, {"mean_ms", 3.0}}}},
          {"requests",
           {{"gap_ms", 100},
            {"exits", {{{"exit", 1}, {"param_bytes", 4000}, {"median_ms", 2.0}, {"mean_ms", 5.0}}}}}}};
}

TEST(ProfileJson, ReadsTheEstimate) {
  const Profile p = read_profile(as_artifact(minimal()));
  EXPECT_EQ(p.estimate, "mean_ms");
  ASSERT_EQ(p.units.size(), 1U);
  EXPECT_DOUBLE_EQ(p.units[0].ms, 2.0);
  EXPECT_EQ(p.units[0].flops, 10.0);
  EXPECT_DOUBLE_EQ(p.units[0].output_bytes, 64);
  ASSERT_TRUE(p.requests);
  EXPECT_DOUBLE_EQ(p.requests->exits[0].ms, 5.0);
  EXPECT_DOUBLE_EQ(p.requests->exits[0].chain_ms, 3.0);
  EXPECT_FALSE(p.requests->exits[0].split) << "older profiles have no split timing";
  EXPECT_FALSE(p.sweep) << "absent, not empty";
}

TEST(ProfileJson, ReadsASplitRequestAtTheEstimate) {
  nlohmann::json doc = minimal();
  doc["requests"]["exits"][0]["split"] = {
      {"nets", 3}, {"boundary_bytes", 512}, {"median_ms", 7.0}, {"mean_ms", 8.0}};
  const Profile p = read_profile(as_artifact(doc));
  ASSERT_TRUE(p.requests->exits[0].split);
  EXPECT_EQ(p.requests->exits[0].split->nets, 3);
  EXPECT_DOUBLE_EQ(p.requests->exits[0].split->boundary_bytes, 512);
  EXPECT_DOUBLE_EQ(p.requests->exits[0].split->ms, 8.0);
  doc["requests"]["exits"][0]["split"]["nets"] = 1;
  EXPECT_THROW(read_profile(as_artifact(doc)), SchemaError);
}

TEST(ProfileJson, ReadsRequestsAtTheirMeanWhateverTheEstimate) {
  nlohmann::json doc = minimal();
  doc["settings"]["estimate"] = "median_ms";
  doc["requests"]["exits"][0]["split"] = {
      {"nets", 3}, {"boundary_bytes", 512}, {"median_ms", 7.0}, {"mean_ms", 8.0}};
  doc["requests"]["codecs"] = {{{"codec", "fp32"}, {"op", "encode"}, {"median_ms", 0.5}, {"mean_ms", 0.75}}};
  const Profile p = read_profile(as_artifact(doc));
  EXPECT_DOUBLE_EQ(p.units[0].ms, 1.0) << "warm runs at the estimate";
  EXPECT_DOUBLE_EQ(p.requests->exits[0].chain_ms, 1.0);
  EXPECT_DOUBLE_EQ(p.requests->exits[0].ms, 5.0) << "a request at its mean";
  EXPECT_DOUBLE_EQ(p.requests->exits[0].split->ms, 8.0);
  ASSERT_EQ(p.requests->codecs.size(), 1U);
  EXPECT_DOUBLE_EQ(p.requests->codecs[0].ms, 0.75);
  doc["requests"]["exits"][0].erase("mean_ms");
  EXPECT_THROW(read_profile(as_artifact(doc)), SchemaError);
}

TEST(ProfileJson, ErrorsNameTheKey) {
  const auto key = [](const nlohmann::json& body) {
    try {
      (void)read_profile(as_artifact(body));
    } catch (const SchemaError& e) {
      return e.key();
    }
    return std::string("no error");
  };
  nlohmann::json doc = minimal();
  doc["units"][0]["mean_ms"] = "slow";
  EXPECT_EQ(key(doc), "units[0].mean_ms");
  doc = minimal();
  doc["requests"]["exits"][0]["exit"] = 2;
  EXPECT_EQ(key(doc), "requests.exits[0].exit");
  doc = minimal();
  doc["settings"]["estimate"] = "p95_ms";
  EXPECT_EQ(key(doc), "settings.estimate");
}

} // namespace
} // namespace edgent::profile
