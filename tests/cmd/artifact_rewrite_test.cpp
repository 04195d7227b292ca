// A profile artifact rewritten in a loop (as a cron job re-profiling would: write_artifact,
// temporary file then rename) while the real edgent-plan reads it again and again: every read
// must see the whole old or the whole new file, never a mix, a truncated file or a parse error.
#include "core/artifact.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace {

namespace fs = std::filesystem;

const std::string kData = EDGENT_TEST_DATA_DIR "/plan/";

/// A device profile of the plan fixture's model (exits 1..5, their units) where every unit
/// took @p median_ms, padded with @p samples raw samples per unit so that the file is large
/// enough (a few hundred KB) for a torn write to be visible.
nlohmann::json device_profile(double median_ms, int samples) {
  std::ifstream in(kData + "model.json");
  const auto card = nlohmann::json::parse(in);
  nlohmann::json units = nlohmann::json::array();
  for (const auto& e : card["exits"]) {
    int unit = 0;
    for (const auto& u : e["chain"]) {
      ++unit;
      nlohmann::json s = nlohmann::json::array();
      for (int i = 0; i < samples; ++i) {
        s.push_back(median_ms + 0.001 * (i % 7));
      }
      units.push_back({{"exit", e["exit"]}, {"unit", unit}, {"name", u["name"]},
                       {"type", u["type"]}, {"features", u["features"]}, {"flops", u["flops"]},
                       {"params", 0}, {"output_bytes", u["output_bytes"]},
                       {"samples_ms", s}, {"median_ms", median_ms}, {"p95_ms", median_ms}});
    }
  }
  return {{"role", "device"},
          {"provenance",
           {{"host", "test"}, {"cpu_model", "test"}, {"cores", 1}, {"threads", 1},
            {"cpu_quota", nullptr}, {"opencv", "4"}, {"model_sha256", card["onnx_sha256"]},
            {"time", "2026-01-01T00:00:00Z"}}},
          {"settings", {{"warmup", 1}, {"reps", samples}}},
          {"units", units},
          {"exits", nlohmann::json::array()},
          {"load", nlohmann::json::array()},
          {"sweep", nlohmann::json::array()}};
}

struct PlanRun {
  int code = -1;
  std::string err;
  nlohmann::json predicted;
};

PlanRun plan_with(const fs::path& dir, const fs::path& profile, int i) {
  const fs::path out = dir / ("plan" + std::to_string(i) + ".json");
  const auto run = edgent::testing::run_tool(
      "edgent-plan", "--model " + kData + "model.json --device-profile " + profile.string() +
                         " --edge-fit " + kData + "edge_fit.json --bandwidth 2000 --rtt 10 " +
                         "--deadline 1000 --strategy device-only --quiet -o " + out.string());
  PlanRun r;
  r.code = run.code;
  r.err = run.err;
  if (r.code == 0) {
    std::ifstream in(out);
    r.predicted = nlohmann::json::parse(in)["predicted"];
  }
  return r;
}

TEST(ArtifactRewrite, PlanReadsTheWholeOldOrTheWholeNewProfile) {
  const edgent::testing::TempDir tmp("rewrite");
  const fs::path& dir = tmp.path();
  const nlohmann::json old_doc = device_profile(1.0, 500);
  const nlohmann::json new_doc = device_profile(2.0, 500);

  // What edgent-plan answers for each version alone.
  const fs::path profile = dir / "device_profile.json";
  edgent::write_artifact(profile.string(), old_doc, "profile", "edgent-profile");
  ASSERT_GT(fs::file_size(profile), 150000u);
  const PlanRun old_plan = plan_with(dir, profile, 0);
  ASSERT_EQ(old_plan.code, 0) << old_plan.err;
  edgent::write_artifact(profile.string(), new_doc, "profile", "edgent-profile");
  const PlanRun new_plan = plan_with(dir, profile, 0);
  ASSERT_EQ(new_plan.code, 0) << new_plan.err;
  ASSERT_NE(old_plan.predicted, new_plan.predicted);

  std::atomic<bool> stop{false};
  std::atomic<int> writes{0};
  std::thread writer([&] {
    while (!stop) {
      edgent::write_artifact(profile.string(), writes % 2 ? new_doc : old_doc, "profile",
                             "edgent-profile");
      ++writes;
    }
  });
  int saw_old = 0;
  int saw_new = 0;
  constexpr int kReads = 15;
  for (int i = 1; i <= kReads; ++i) {
    const PlanRun r = plan_with(dir, profile, i);
    EXPECT_EQ(r.code, 0) << "read " << i << ": " << r.err;
    if (r.code != 0) {
      continue;
    }
    if (r.predicted == old_plan.predicted) {
      ++saw_old;
    } else if (r.predicted == new_plan.predicted) {
      ++saw_new;
    } else {
      ADD_FAILURE() << "read " << i << " saw neither version: " << r.predicted.dump();
    }
  }
  stop = true;
  writer.join();
  EXPECT_EQ(saw_old + saw_new, kReads);
  EXPECT_GE(writes.load(), kReads) << "the file was rewritten while it was being read";
  EXPECT_GT(saw_old, 0);
  EXPECT_GT(saw_new, 0);
  // No temporary file is left behind by the writer.
  int leftovers = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    leftovers += e.path().filename().string().find(".tmp.") != std::string::npos;
  }
  EXPECT_EQ(leftovers, 0);
}

} // namespace
