// Every tool that loads a model card with its ONNX (eval, profile, plan, mapbuild, serve,
// infer) refuses a card that does not describe the ONNX: exit 2, naming the card and the key.
#include "core/artifact.hpp"
#include "core/file_io.hpp"
#include "model/card_from_onnx.hpp"
#include "model/model_card.hpp"
#include "model/reference_models.hpp"
#include "support/fixture_fits.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace edgent {
namespace {

/// One way a card can disagree with its ONNX, and the key that must be named.
struct Mismatch {
  std::string key;
  std::function<void(nlohmann::json&)> edit;
};

const std::vector<Mismatch>& mismatches() {
  static const std::vector<Mismatch> all{
      {"onnx_sha256", [](nlohmann::json& c) { c["onnx_sha256"] = std::string(64, 'b'); }},
      {"onnx_bytes", [](nlohmann::json& c) { c["onnx_bytes"] = c["onnx_bytes"].get<int>() + 7; }},
      {"input.shape",
       [](nlohmann::json& c) {
         c["input"]["shape"] = {1, 3, 32, 32};
         c["normalization"]["mean"] = {0, 0, 0};
         c["normalization"]["std"] = {1, 1, 1};
       }},
      {"exits[0].output",
       [](nlohmann::json& c) { std::swap(c["exits"][0]["output"], c["exits"][1]["output"]); }},
      {"exits[1].output", [](nlohmann::json& c) { c["exits"][1]["output"] = "no_such_tensor"; }},
  };
  return all;
}

class CardCheckCli : public ::testing::Test {
protected:
  void SetUp() override {
    write_file_atomic(m_dir.file("inc.onnx"), model::inception_exits_model(5).serialize());
    const auto graph = model::OnnxGraph::from_file(m_dir.file("inc.onnx"));
    m_card = model::to_json(
        model::card_from_onnx(*graph, "inc.onnx", "inc", model::CardNormalization{}));
    write_artifact(m_dir.file("good.json"), m_card, "model", "edgent-eval");
    // Fits of the real model (the plan fixture's coefficients), so that only the card is wrong.
    testing::write_fixture_fits(m_dir.path().string(), graph->sha256());
    write_file_atomic(m_dir.file("trace.csv"), "t_s,bandwidth_kbps\n0,300\n1,600\n");
    write_file_atomic(m_dir.file("in.f32"), std::string(28 * 28 * 4, '\0'));
  }

  /// Writes the card with @p m applied; its path.
  std::string bad_card(const Mismatch& m) {
    nlohmann::json card = m_card;
    m.edit(card);
    write_artifact(m_dir.file("bad.json"), card, "model", "edgent-eval");
    return m_dir.file("bad.json");
  }

  /// Each tool's arguments that load @p card with its ONNX first.
  std::vector<std::pair<std::string, std::vector<std::string>>> runs(const std::string& card) {
    const std::string fits = " --device-fit " + m_dir.file("device.fit.json") + " --edge-fit " +
                             m_dir.file("edge.fit.json");
    return {
        {"edgent-eval", testing::words("--model " + card + " --data " + m_dir.path().string() +
                                       " -o " + m_dir.file("acc.json"))},
        // No cold-start requests: with the right card they slept 20 s through 100 ms gaps.
        {"edgent-profile", testing::words("-m " + card + " --role edge --reps 1 --no-sweep "
                                          "--request-gap-ms 0 -o " + m_dir.file("p.json"))},
        {"edgent-plan", testing::words("--model " + card + fits +
                                       " --bandwidth 500 --rtt 1 --deadline 50 -o " +
                                       m_dir.file("plan.json"))},
        {"edgent-mapbuild", testing::words("--model " + card + fits + " --trace " +
                                           m_dir.file("trace.csv") + " --deadline 50 -o " +
                                           m_dir.file("map.json"))},
        {"edgent-serve", testing::words("--model " + card + " --port 0 --quiet")},
        {"edgent-infer", testing::words("--model " + card + fits + " --deadline 50 --tensors " +
                                        m_dir.file("in.f32") + " --bandwidth 500 -o " +
                                        m_dir.file("r.jsonl"))},
    };
  }

  testing::TempDir m_dir{"card-check-cli"};
  nlohmann::json m_card;
};

TEST_F(CardCheckCli, EveryReaderRefusesEveryMismatchNamingTheCardAndTheKey) {
  for (const Mismatch& m : mismatches()) {
    const std::string card = bad_card(m);
    for (const auto& [tool, args] : runs(card)) {
      const testing::RunResult r = testing::run_tool(tool, args);
      EXPECT_EQ(r.code, 2) << tool << " " << m.key << ": " << r.err;
      EXPECT_NE(r.err.find(tool + ": error: " + card + ": " + m.key + ": the card says"),
                std::string::npos)
          << tool << " " << m.key << ": " << r.err;
    }
  }
}

TEST_F(CardCheckCli, TheMatchingCardGetsPastTheCheck) {
  // The same runs with the right card fail, if at all, for other reasons than the card.
  for (const auto& [tool, args] : runs(m_dir.file("good.json"))) {
    if (tool == "edgent-serve" || tool == "edgent-profile") {
      continue;  // a server that starts does not exit; profiling is tested elsewhere
    }
    const testing::RunResult r = testing::run_tool(tool, args);
    EXPECT_EQ(r.err.find("the card says"), std::string::npos) << tool << ": " << r.err;
  }
}

} // namespace
} // namespace edgent
