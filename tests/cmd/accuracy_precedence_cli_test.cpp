// Accuracy precedence in edgent-plan, edgent-mapbuild and edgent-infer (with fits): a measured
// accuracy table wins over the card's accuracies; when neither gives every exit's accuracy,
// the tool warns and the plan says accuracy_known: false.
#include "core/artifact.hpp"
#include "core/file_io.hpp"
#include "model/card_from_onnx.hpp"
#include "model/model_card.hpp"
#include "model/partition.hpp"
#include "model/reference_models.hpp"
#include "support/fixture_fits.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <string>

namespace edgent {
namespace {

class AccuracyPrecedence : public ::testing::Test {
protected:
  void SetUp() override {
    write_file_atomic(m_dir.file("inc.onnx"), model::inception_exits_model(5).serialize());
    const auto graph = model::OnnxGraph::from_file(m_dir.file("inc.onnx"));
    m_sha = graph->sha256();
    const model::Partition p = model::analyse(*graph);
    m_units = {p.exit(1).size(), p.exit(2).size()};
    m_card = model::card_from_onnx(*graph, "inc.onnx", "inc", model::CardNormalization{});
    testing::write_fixture_fits(m_dir.path().string(), graph->sha256());
    write_file_atomic(m_dir.file("trace.csv"), "t_s,bandwidth_kbps\n0,300\n1,600\n");
    write_file_atomic(m_dir.file("in.f32"), std::string(28 * 28 * 4, '\0'));
  }

  /// Writes the card with exit accuracies @p a1, @p a2 (nullopt = null).
  std::string card(std::optional<double> a1, std::optional<double> a2) {
    model::ModelCard c = m_card;
    c.exits[0].accuracy = a1;
    c.exits[1].accuracy = a2;
    model::write_model_card(m_dir.file("card.json"), c, "edgent-eval");
    return m_dir.file("card.json");
  }

  /// Writes an accuracy table with fp32 accuracies @p a1, @p a2 of the whole exits.
  std::string table(double a1, double a2) {
    nlohmann::json doc{{"model_sha256", m_sha}, {"samples", 100}};
    doc["entries"] = {{{"exit", 1}, {"cut", m_units[0]}, {"codec", "fp32"}, {"accuracy", a1}},
                      {{"exit", 2}, {"cut", m_units[1]}, {"codec", "fp32"}, {"accuracy", a2}}};
    write_artifact(m_dir.file("acc.json"), doc, "accuracy", "edgent-eval");
    return m_dir.file("acc.json");
  }

  std::string fits() const {
    return " --device-fit " + m_dir.file("device.fit.json") + " --edge-fit " +
           m_dir.file("edge.fit.json");
  }

  /// Runs edgent-plan with a loose deadline (every plan feasible); the plan document.
  nlohmann::json plan(const std::string& card_file, const std::string& accuracy,
                      std::string* err = nullptr) {
    std::string args = "--model " + card_file + fits() +
                       " --bandwidth 100000 --rtt 1 --deadline 100000 --orders device-first -o " +
                       m_dir.file("plan.json");
    if (!accuracy.empty()) {
      args += " --accuracy " + accuracy;
    }
    const testing::RunResult r = testing::run_tool("edgent-plan", args);
    EXPECT_EQ(r.code, 0) << r.err;
    if (err) {
      *err = r.err;
    }
    return read_artifact(m_dir.file("plan.json"), "plan").doc;
  }

  testing::TempDir m_dir{"accuracy-precedence"};
  std::string m_sha;
  std::vector<int> m_units;
  model::ModelCard m_card;
};

TEST_F(AccuracyPrecedence, PlanTakesTheTableWhenTheCardHasNone) {
  std::string err;
  const nlohmann::json p = plan(card(std::nullopt, std::nullopt), table(0.9, 0.5), &err);
  EXPECT_EQ(p["accuracy_known"], true);
  EXPECT_EQ(p["plan"]["exit"], 1);  // the table says exit 1 is the better one
  EXPECT_DOUBLE_EQ(p["plan"]["accuracy"].get<double>(), 0.9);
  EXPECT_EQ(err, "");
}

TEST_F(AccuracyPrecedence, PlanPrefersTheTableToTheCard) {
  const nlohmann::json p = plan(card(0.3, 0.8), table(0.9, 0.5));
  EXPECT_EQ(p["plan"]["exit"], 1);
  EXPECT_DOUBLE_EQ(p["plan"]["accuracy"].get<double>(), 0.9);
  const nlohmann::json q = plan(card(0.3, 0.8), "");  // without the table, the card's
  EXPECT_EQ(q["plan"]["exit"], 2);
  EXPECT_DOUBLE_EQ(q["plan"]["accuracy"].get<double>(), 0.8);
}

TEST_F(AccuracyPrecedence, NeitherKnownWarnsAndSaysSoInThePlan) {
  std::string err;
  const nlohmann::json p = plan(card(std::nullopt, std::nullopt), "", &err);
  EXPECT_EQ(p["accuracy_known"], false);
  EXPECT_TRUE(p["plan"]["accuracy"].is_null());
  EXPECT_EQ(p["plan"]["exit"], 2);  // exits ranked by depth
  EXPECT_NE(err.find("edgent-plan: warning: "), std::string::npos) << err;
  EXPECT_NE(err.find("accuracy_known: false"), std::string::npos) << err;
}

TEST_F(AccuracyPrecedence, MapbuildTakesTheTable) {
  const std::string args = "--model " + card(std::nullopt, std::nullopt) + fits() +
                           " --accuracy " + table(0.9, 0.5) + " --trace " +
                           m_dir.file("trace.csv") + " --rtt 1 --deadline 100000 -o " +
                           m_dir.file("map.json");
  const testing::RunResult r = testing::run_tool("edgent-mapbuild", args);
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json map = read_artifact(m_dir.file("map.json"), "configmap").doc;
  ASSERT_FALSE(map["states"].empty());
  for (const auto& s : map["states"]) {
    EXPECT_EQ(s["plan"]["exit"], 1) << s.dump();
    EXPECT_DOUBLE_EQ(s["plan"]["accuracy"].get<double>(), 0.9);
  }
}

TEST_F(AccuracyPrecedence, InferWithFitsTakesTheTable) {
  const std::string args = "--model " + card(std::nullopt, std::nullopt) + fits() +
                           " --accuracy " + table(0.9, 0.5) +
                           " --deadline 100000 --bandwidth 100000 --rtt 1 --tensors " +
                           m_dir.file("in.f32") + " --edge 127.0.0.1:1 --no-probe -o " +
                           m_dir.file("r.jsonl");
  const testing::RunResult r = testing::run_tool("edgent-infer", args);
  ASSERT_EQ(r.code, 0) << r.err;
  std::ifstream in(m_dir.file("r.jsonl"));
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(nlohmann::json::parse(line)["plan"]["exit"], 1) << line;
}

} // namespace
} // namespace edgent
