#include "plan/problem_from_artifacts.hpp"

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "model/onnx_graph.hpp"
#include "model/partition.hpp"
#include "model/reference_models.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace edgent::plan {
namespace {

namespace fs = std::filesystem;

/// A fit whose every type costs intercept + coef * flops.
nlohmann::json flops_fit(const std::string& role, const std::string& sha, double coef) {
  const nlohmann::json m{{"features", {"flops"}}, {"coef", {coef}}, {"intercept", 0.01},
                         {"r2", 1}, {"mape_train", 0}, {"n", 10}, {"cv_mape", 0}};
  return {{"schema", "edgent.fit/1"}, {"role", role}, {"model_sha256", sha},
          {"profile_sha256", "p"}, {"models", nlohmann::json::object()}, {"fallback", m}};
}

class ProblemFromOnnx : public ::testing::Test {
protected:
  void SetUp() override {
    const std::string bytes = model::branchy_alexnet(5).serialize();
    write_file_atomic((m_dir / "m.onnx").string(), bytes);
    m_sha = sha256_hex(bytes);
    nlohmann::json exits = nlohmann::json::array();
    for (int e = 1; e <= 5; ++e) {
      exits.push_back({{"exit", e}, {"output", "exit" + std::to_string(e)},
                       {"accuracy", 0.8 + 0.02 * e}, {"flops", 0}, {"params", 0},
                       {"confidence", nullptr}, {"entropy", nullptr}});
    }
    // A complete card (the planner reads it with model::model_card_from_json), without units:
    // the chains come from the ONNX file.
    m_card = {{"schema", "edgent.model/1"}, {"name", "m"}, {"onnx", "m.onnx"},
              {"onnx_sha256", m_sha}, {"onnx_bytes", bytes.size()},
              {"input", {{"name", "input"}, {"shape", {1, 1, 28, 28}}, {"dtype", "float32"},
                         {"layout", "NCHW"}}},
              {"normalization", {{"scale", 1.0 / 255}, {"mean", {0.5}}, {"std", {0.5}}}},
              {"classes", nlohmann::json::array()}, {"arch_only", false}, {"dataset", nullptr},
              {"seed", 1}, {"training", nullptr}, {"exits", exits},
              {"units", nlohmann::json::array()}};
  }

  PlanProblem build(const nlohmann::json& card) const {
    const std::string card_path = (m_dir / "m.json").string();
    write_file_atomic(card_path, card.dump());
    const Artifact model = read_artifact(card_path, "model");
    const std::string sha = card.at("onnx_sha256");  // fits of the model the card names
    const Artifact dev = parse_artifact(flops_fit("device", sha, 1e-6).dump(), "d.json", "fit");
    const Artifact edge = parse_artifact(flops_fit("edge", sha, 2e-7).dump(), "e.json", "fit");
    return problem_from_artifacts(model, nullptr, dev, edge, default_codecs());
  }

  edgent::testing::TempDir m_tmp{"plan-onnx"};
  fs::path m_dir = m_tmp.path();
  std::string m_sha;
  nlohmann::json m_card;
};

TEST_F(ProblemFromOnnx, ChainsAndCutsComeFromTheModelAnalysis) {
  const PlanProblem p = build(m_card);
  const auto graph = model::OnnxGraph::from_file((m_dir / "m.onnx").string());
  const model::Partition part = model::analyse(*graph);
  ASSERT_EQ(p.exits.size(), part.exits.size());
  for (std::size_t e = 0; e < p.exits.size(); ++e) {
    const model::ExitChain& chain = part.exits[e];
    ASSERT_EQ(p.exits[e].units(), chain.size());
    EXPECT_EQ(p.exits[e].cuts, chain.cut_points());
    EXPECT_DOUBLE_EQ(*p.exits[e].accuracy, 0.8 + 0.02 * static_cast<double>(e + 1));
    for (int u = 0; u < chain.size(); ++u) {
      const model::Unit& unit = chain.units[static_cast<std::size_t>(u)];
      EXPECT_NEAR(p.exits[e].device_ms[static_cast<std::size_t>(u)], 0.01 + 1e-6 * unit.flops, 1e-9);
      EXPECT_NEAR(p.exits[e].edge_ms[static_cast<std::size_t>(u)], 0.01 + 2e-7 * unit.flops, 1e-9);
      EXPECT_DOUBLE_EQ(p.exits[e].fp32_bytes[static_cast<std::size_t>(u + 1)],
                       static_cast<double>(unit.output_bytes));
    }
  }
}

TEST_F(ProblemFromOnnx, AnOnnxFileThatIsNotTheCardsIsRefused) {
  nlohmann::json card = m_card;
  card["onnx_sha256"] = std::string(64, '0');
  try {
    build(card);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "onnx_sha256");
    EXPECT_NE(e.message().find("the card says " + std::string(64, '0') + ", "), std::string::npos)
        << e.message();
    EXPECT_NE(e.message().find("m.onnx has "), std::string::npos) << e.message();
  }
}

TEST_F(ProblemFromOnnx, ACardWithMoreExitsThanTheModelIsRefused) {
  nlohmann::json card = m_card;
  nlohmann::json extra = card["exits"].back();
  extra["exit"] = 6;
  extra["output"] = "exit6";
  card["exits"].push_back(extra);
  try {
    build(card);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "exits");  // the card does not describe its ONNX
    EXPECT_NE(e.message().find("the card says 6 exits"), std::string::npos) << e.message();
  }
}

} // namespace
} // namespace edgent::plan
