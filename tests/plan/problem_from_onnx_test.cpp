#include "plan/problem_from_artifacts.hpp"

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "model/card_from_onnx.hpp"
#include "model/model_card.hpp"
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

TEST(ProblemFromFits, ABlocksUnitsCarryTheFitsBlockCorrection) {
  // The ResNet-style net: its residual blocks are units no cut separates. The device fit
  // corrects blocks by a factor 1.5, the edge fit by none.
  edgent::testing::TempDir tmp{"plan-blocks"};
  const std::string bytes = model::resnet_exits_model(3).serialize();
  const std::string onnx = (tmp.path() / "r.onnx").string();
  write_file_atomic(onnx, bytes);
  const auto graph = model::OnnxGraph::from_file(onnx);
  const std::string card_path = (tmp.path() / "r.json").string();
  nlohmann::json card = model::to_json(model::card_from_onnx(*graph, "r.onnx", "r", {}));
  card["schema"] = "edgent.model/1";
  write_file_atomic(card_path, card.dump());
  const std::string sha = sha256_hex(bytes);
  nlohmann::json corrected = flops_fit("device", sha, 1e-6);
  corrected["net_overhead_ms"] = 0.002;
  corrected["block_correction"] = {{"method", "factor"}, {"value", 1.5}, {"blocks", 16},
                                   {"cv_mape", {{"none", 0.2}, {"factor", 0.1}, {"boundary", 0.15}}}};
  nlohmann::json plain = corrected;
  plain.erase("block_correction");
  const Artifact model = read_artifact(card_path, "model");
  const Artifact edge = parse_artifact(flops_fit("edge", sha, 2e-7).dump(), "e.json", "fit");
  const PlanProblem with = problem_from_artifacts(
      model, nullptr, parse_artifact(corrected.dump(), "d.json", "fit"), edge, default_codecs());
  const PlanProblem without = problem_from_artifacts(
      model, nullptr, parse_artifact(plain.dump(), "d.json", "fit"), edge, default_codecs());
  ASSERT_EQ(with.exits.size(), 3u);
  int blocks = 0;
  for (std::size_t e = 0; e < with.exits.size(); ++e) {
    const ExitCosts& a = with.exits[e];
    const ExitCosts& b = without.exits[e];
    EXPECT_EQ(a.edge_ms, b.edge_ms) << "the edge fit has no correction";
    for (std::size_t k = 0; k + 1 < a.cuts.size(); ++k) {
      const auto from = static_cast<std::size_t>(a.cuts[k]);
      const auto to = static_cast<std::size_t>(a.cuts[k + 1]);
      double sum_a = 0;
      double sum_b = 0;
      for (std::size_t u = from; u < to; ++u) {
        EXPECT_GE(a.device_ms[u], 0.0);
        sum_a += a.device_ms[u];
        sum_b += b.device_ms[u];
      }
      if (to - from < 2) {
        EXPECT_DOUBLE_EQ(a.device_ms[from], b.device_ms[from]) << "a unit that is no block";
        continue;
      }
      ++blocks;
      // As one net the block costs its parts less 0.002 ms per boundary; corrected, 1.5 times that.
      const double boundaries = 0.002 * static_cast<double>(to - from - 1);
      EXPECT_NEAR(sum_a - boundaries, 1.5 * (sum_b - boundaries), 1e-9)
          << "exit " << e + 1 << " units (" << from << ", " << to << "]";
    }
  }
  EXPECT_GE(blocks, 3) << "the net has residual blocks on every exit's chain";
}

} // namespace
} // namespace edgent::plan
