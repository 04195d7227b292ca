// Models of our own making, not the shipped one, through the whole pipeline as the README's
// "Your own model" section runs it: a card (and accuracies) from the bare ONNX, profiles of
// both roles, fits, a plan, and split runs through the real edgent-serve that classify as the
// device alone does. A ResNet-style net (identity and projected stride-2 residual blocks,
// a depthwise conv) and an Inception-style one (Concat joins, standalone BatchNorm, a
// Sigmoid/Mul gate), written by lib/model/reference_models at test time.
#include "core/artifact.hpp"
#include "core/file_io.hpp"
#include "model/model_card.hpp"
#include "model/onnx_graph.hpp"
#include "model/partition.hpp"
#include "model/reference_models.hpp"
#include "support/process.hpp"
#include "support/serve_process.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include <fstream>
#include <random>
#include <sstream>
#include <string>

namespace edgent {
namespace {

/// Small profiles: a few reps, small sweeps, and cold-start requests after 5 ms gaps rather
/// than the default 100 ms (the fits still get a requests section; its 21 samples per chain
/// and codec after 100 ms took 26 s of sleep per profile).
const std::string kQuickProfile = " --quiet --reps 3 --warmup 1 --sweep-points 4 --sweep-reps 3 "
                                  "--anchor-points 3 --request-gap-ms 5";

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

void write_gz(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

/// A labelled test set in Fashion-MNIST's format: @p n seeded random 28x28 images.
void write_dataset(const std::string& dir, int n) {
  std::mt19937 rng(7);
  std::string pixels(static_cast<std::size_t>(n) * 28 * 28, '\0');
  for (auto& p : pixels) {
    p = static_cast<char>(rng() & 0xff);
  }
  std::string labels;
  for (int i = 0; i < n; ++i) {
    labels += static_cast<char>(i % 10);
  }
  write_gz(dir + "/t10k-images-idx3-ubyte.gz",
           be32(0x803) + be32(static_cast<std::uint32_t>(n)) + be32(28) + be32(28) + pixels);
  write_gz(dir + "/t10k-labels-idx1-ubyte.gz",
           be32(0x801) + be32(static_cast<std::uint32_t>(n)) + labels);
}

testing::RunResult tool(const std::string& name, const std::string& args) {
  return testing::run_tool(name, args);
}

/// The classes of an edgent-infer run's records, in order.
std::vector<int> classes(const std::string& records) {
  std::ifstream in(records);
  std::vector<int> out;
  std::string line;
  while (std::getline(in, line)) {
    const auto rec = nlohmann::json::parse(line);
    EXPECT_FALSE(rec["fallback"].get<bool>()) << line;
    out.push_back(rec["class"].get<int>());
  }
  return out;
}

void run_pipeline(const model::OnnxBuilder& builder, const std::string& name) {
  const testing::TempDir dir("own-" + name);
  const std::string onnx = dir.file(name + ".onnx");
  const std::string card = dir.file(name + ".json");
  write_file_atomic(onnx, builder.serialize());
  write_dataset(dir.path().string(), 20);

  // 1. The card and the accuracy table from the bare ONNX.
  auto r = tool("edgent-eval", "--quiet --onnx " + onnx + " --write-card " + card + " --data " +
                                   dir.path().string() + " --codecs fp32 -o " +
                                   dir.file("acc.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  const model::ModelCard c = model::read_model_card(card);
  EXPECT_EQ(c.onnx, name + ".onnx");
  for (const model::ExitCard& e : c.exits) {
    ASSERT_TRUE(e.accuracy) << "exit " << e.exit;
  }
  ASSERT_TRUE(c.dataset);
  EXPECT_EQ(c.dataset->test_samples, 20);

  // 2. Profiles of both roles (small sweeps), fits.
  for (const char* role : {"edge", "device"}) {
    const std::string profile = dir.file(std::string(role) + ".profile.json");
    r = tool("edgent-profile", "-m " + card + " --role " + role + kQuickProfile + " -o " + profile);
    ASSERT_EQ(r.code, 0) << role << ": " << r.err;
    r = tool("edgent-fit", profile + " --quiet -o " + dir.file(std::string(role) + ".fit.json"));
    ASSERT_EQ(r.code, 0) << role << ": " << r.err;
    const Artifact fit = read_artifact(dir.file(std::string(role) + ".fit.json"), "fit");
    // The op types these nets use have regressions of their own, not the FLOPs fallback.
    for (const char* type : {"conv", "eltwise", "pool", "fc"}) {
      EXPECT_TRUE(fit.doc["models"].contains(type)) << role << " " << type;
    }
  }

  // 3. A plan from the card, the table and the fits.
  const std::string inputs = "--model " + card + " --accuracy " + dir.file("acc.json") +
                             " --device-fit " + dir.file("device.fit.json") + " --edge-fit " +
                             dir.file("edge.fit.json");
  r = tool("edgent-plan", inputs + " --bandwidth 1000 --rtt 1 --deadline 10000 -o " +
                              dir.file("plan.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const Artifact plan = read_artifact(dir.file("plan.json"), "plan");
  EXPECT_EQ(plan.doc["accuracy_known"], true);
  // The README's flow plans from the profiles directly: a block measured whole counts once.
  r = tool("edgent-plan", "--model " + card + " --accuracy " + dir.file("acc.json") +
                              " --device-profile " + dir.file("device.profile.json") +
                              " --edge-profile " + dir.file("edge.profile.json") +
                              " --bandwidth 1000 --rtt 1 --deadline 10000 -o " +
                              dir.file("plan-profiles.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");

  // 4. Split runs through the real server at cut points of the last exit classify as the
  // device alone does.
  const auto graph = model::OnnxGraph::from_file(onnx);
  const model::Partition part = model::analyse(*graph);
  const model::ExitChain& last = part.exits.back();
  const std::vector<int> cuts = last.cut_points();
  ASSERT_GE(cuts.size(), 3u);
  testing::ServeProcess server({"--model", card, "--threads", "1", "--quiet"});
  const auto run_cut = [&](int cut) {
    nlohmann::json p = plan.doc;
    p.erase("schema");
    p.erase("generator");
    p["plan"] = {{"exit", last.exit}, {"cut", cut}, {"order", "device-first"},
                 {"codec", "fp32"}, {"accuracy", nullptr}};
    write_artifact(dir.file("cut.json"), p, "plan", "edgent-plan");
    const std::string records = dir.file("cut" + std::to_string(cut) + ".jsonl");
    const auto rr = tool("edgent-infer", "--quiet --model " + card + " --plan " +
                                             dir.file("cut.json") + " --data " +
                                             dir.path().string() + " --count 8 --edge " +
                                             server.url() + " -o " + records);
    EXPECT_EQ(rr.code, 0) << "cut " << cut << ": " << rr.err;
    return classes(records);
  };
  const std::vector<int> device_only = run_cut(last.size());
  ASSERT_EQ(device_only.size(), 8u);
  for (const int cut : {cuts[0], cuts[cuts.size() / 2], cuts[cuts.size() - 2]}) {
    EXPECT_EQ(run_cut(cut), device_only) << name << " cut " << cut;
  }
}

TEST(OwnModelPipeline, ResnetStyleMultiExitNet) {
  run_pipeline(model::resnet_exits_model(3), "resnet-exits");
}

TEST(OwnModelPipeline, InceptionStyleMultiExitNet) {
  run_pipeline(model::inception_exits_model(3), "inception-exits");
}

// The README's three commands from a bare ONNX to a plan, exactly: a profile of each role
// with --model naming the ONNX, then edgent-plan --model ONNX --data DIR, which measures the
// accuracy table itself. The plan is the one edgent-eval's table gives.
TEST(OwnModelPipeline, ThreeCommandsFromBareOnnx) {
  const testing::TempDir dir("own-three");
  const std::string onnx = dir.file("mine.onnx");
  write_file_atomic(onnx, model::inception_exits_model(3).serialize());
  write_dataset(dir.path().string(), 20);
  const std::string data = dir.path().string();

  auto r = tool("edgent-profile", "-m " + onnx + " --role device --slowdown 2" + kQuickProfile + " -o " +
                                      dir.file("device.profile.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  r = tool("edgent-profile",
           "-m " + onnx + " --role edge" + kQuickProfile + " -o " + dir.file("edge.profile.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string latency = " --device-profile " + dir.file("device.profile.json") +
                              " --edge-profile " + dir.file("edge.profile.json") +
                              " --bandwidth 1000 --rtt 1 --deadline 10000";
  r = tool("edgent-plan", "--model " + onnx + " --data " + data + latency + " -o " +
                              dir.file("plan.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
  const Artifact plan = read_artifact(dir.file("plan.json"), "plan");
  EXPECT_EQ(plan.doc["accuracy_known"], true);
  EXPECT_EQ(plan.doc["model_sha256"], model::OnnxGraph::from_file(onnx)->sha256());
  ASSERT_TRUE(plan.doc["plan"]["accuracy"].is_number()) << plan.doc.dump();

  // The same plan as from the table edgent-eval measures on the same images.
  r = tool("edgent-eval", "--quiet --model " + onnx + " --data " + data + " -o " +
                              dir.file("acc.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  r = tool("edgent-plan", "--model " + onnx + " --accuracy " + dir.file("acc.json") + latency +
                              " -o " + dir.file("plan-table.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  const Artifact table_plan = read_artifact(dir.file("plan-table.json"), "plan");
  EXPECT_EQ(plan.doc["plan"], table_plan.doc["plan"]);
  EXPECT_EQ(plan.doc["accuracy_known"], table_plan.doc["accuracy_known"]);

  // Both sources of accuracy at once is a usage error.
  r = tool("edgent-plan", "--model " + onnx + " --accuracy " + dir.file("acc.json") + " --data " +
                              data + latency + " -o " + dir.file("plan-both.json"));
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--data"), std::string::npos) << r.err;
}

} // namespace
} // namespace edgent
