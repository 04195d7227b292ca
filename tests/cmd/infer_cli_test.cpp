// edgent-infer against the real edgent-serve binary over loopback.
#include "core/artifact.hpp"
#include "core/file_io.hpp"
#include "dynamic/config_map.hpp"
#include "model/cascade.hpp"
#include "model/model_card.hpp"
#include "model/onnx_graph.hpp"
#include "model/partition.hpp"
#include "plan/plan_json.hpp"
#include "support/fixture_fits.hpp"
#include "support/process.hpp"
#include "support/serve_process.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include <unistd.h>

namespace {

namespace fs = std::filesystem;

const std::string kCard = std::string(EDGENT_SOURCE_DIR) + "/models/branchy-alexnet-fmnist.json";

using edgent::testing::ChildProcess;
using edgent::testing::ServeProcess;
using edgent::testing::TempDir;
using edgent::testing::tool_path;

/// edgent-serve's options after --port: the default model, one worker.
const std::vector<std::string> kServeArgs{"--model", kCard, "--threads", "1", "--quiet"};

/// Runs edgent-infer with @p args, its stderr written to @p log; the exit code, or -1.
int run(const std::string& args, const fs::path& log) {
  const auto r = edgent::testing::run_tool("edgent-infer", args);
  std::ofstream(log) << r.err;
  return r.code;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_plan(const fs::path& path, int exit, int cut, const std::string& order,
                const std::string& codec) {
  const auto card = edgent::model::read_model_card(kCard);
  nlohmann::json doc = {
      {"strategy", "edgent"}, {"feasible", true}, {"deadline_ms", 1000.0},
      {"bandwidth_kbps", 100000.0}, {"up_kbps", 100000.0}, {"down_kbps", 100000.0},
      {"rtt_ms", 0.2}, {"edge_queue_ms", 0.0}, {"model_sha256", card.onnx_sha256},
      {"accuracy_known", true},
      {"plan", {{"exit", exit}, {"cut", cut}, {"order", order}, {"codec", codec}, {"accuracy", 0.9}}},
      {"predicted",
       {{"device_ms", 1.0}, {"edge_ms", 1.0}, {"up_ms", 0.5}, {"down_ms", 0.5}, {"total_ms", 3.0}}},
      {"reward", 1.0}};
  edgent::write_artifact(path.string(), doc, "plan", "edgent-plan");
}

bool have_data() {
  return fs::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");
}

TEST(InferCli, RunsAFixedPlanThroughTheRealServer) {
  if (!have_data()) {
    GTEST_SKIP() << "dataset-fashion-mnist not installed";
  }
  const TempDir tmp("infer-fixed");
  const fs::path& dir = tmp.path();
  ServeProcess server(kServeArgs);
  ASSERT_GT(server.port(), 0) << server.log();
  write_plan(dir / "plan.json", 5, 3, "device-first", "fp16");
  const int rc = run("--model " + kCard + " --plan " + (dir / "plan.json").string() +
                         " --data /usr/share/datasets/fashion-mnist --count 20 --offset 5" +
                         " --edge 127.0.0.1:" + std::to_string(server.port()) + " -o " +
                         (dir / "results.jsonl").string() + " --summary " +
                         (dir / "summary.json").string() + " --logits " +
                         (dir / "logits.csv").string(),
                     dir / "infer.log");
  ASSERT_EQ(rc, 0) << slurp(dir / "infer.log");
  std::istringstream lines(slurp(dir / "results.jsonl"));
  std::istringstream logit_lines(slurp(dir / "logits.csv"));
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    const auto rec = nlohmann::json::parse(line);
    // --logits: id, exit, then one value per class whose largest is the record's class.
    std::string logit_line;
    ASSERT_TRUE(std::getline(logit_lines, logit_line)) << "one logits line per request";
    std::vector<double> values;
    std::istringstream fields(logit_line);
    for (std::string field; std::getline(fields, field, ',');) {
      values.push_back(std::stod(field));
    }
    ASSERT_EQ(values.size(), 2u + 10u) << logit_line;
    EXPECT_EQ(values[0], 5 + n);
    EXPECT_EQ(values[1], 5);
    EXPECT_EQ(std::max_element(values.begin() + 2, values.end()) - values.begin() - 2,
              rec["class"].get<int>())
        << logit_line;
    EXPECT_EQ(rec["id"].get<int>(), 5 + n);
    EXPECT_EQ(rec["plan"]["exit"], 5);
    EXPECT_EQ(rec["plan"]["cut"], 3);
    EXPECT_EQ(rec["plan"]["codec"], "fp16");
    EXPECT_FALSE(rec["fallback"].get<bool>()) << line;
    EXPECT_TRUE(rec["offloaded"].get<bool>());
    EXPECT_TRUE(rec["label"].is_number());
    EXPECT_EQ(rec["correct"].get<bool>(), rec["class"] == rec["label"]);
    EXPECT_GT(rec["measured"]["total_ms"].get<double>(), 0.0);
    EXPECT_GT(rec["bytes_up"].get<int>(), 0);
    ++n;
  }
  EXPECT_EQ(n, 20);
  EXPECT_FALSE(std::getline(logit_lines, line)) << "no more logits lines than requests";
  const auto summary = edgent::read_artifact((dir / "summary.json").string(), "run");
  EXPECT_EQ(summary.doc["count"], 20);
  EXPECT_EQ(summary.doc["fallbacks"], 0);
  EXPECT_EQ(summary.doc["offloaded"], 20);
  EXPECT_GT(summary.doc["accuracy"].get<double>(), 0.6);
  EXPECT_GT(summary.doc["bytes_up"].get<int>(), 20 * 1000);
  EXPECT_LE(summary.doc["latency_ms"]["p50"].get<double>(),
            summary.doc["latency_ms"]["p99"].get<double>());
  EXPECT_EQ(server.stop(), 0) << "SIGTERM drains and exits 0";
  fs::remove_all(dir);
}

/// A plan file whose plan is the cascade @p exits / @p thresholds at @p cut (codec fp32).
void write_cascade_plan(const fs::path& path, const std::vector<int>& exits,
                        const nlohmann::json& thresholds, int cut) {
  write_plan(path, exits.back(), cut, "device-first", "fp32");
  auto doc = nlohmann::json::parse(slurp(path));
  const std::size_t n = exits.size();
  doc["plan"]["cascade"] = {{"exits", exits},
                            {"thresholds", thresholds},
                            {"leave", std::vector<double>(n, 1.0 / static_cast<double>(n))},
                            {"latency_ms", std::vector<double>(n, 1.0)},
                            {"statistic", "mean"},
                            {"expected_ms", 1.0},
                            {"p95_ms", 1.0}};
  std::ofstream(path) << doc.dump(1);
}

TEST(InferCli, RunsACascadeThroughTheRealServerAndRecordsWhereEachExitAnswered) {
  if (!have_data()) {
    GTEST_SKIP() << "dataset-fashion-mnist not installed";
  }
  const TempDir tmp("infer-cascade");
  const fs::path& dir = tmp.path();
  ServeProcess server(kServeArgs);
  // Exit 1 branches off before cut 4 (on the device), exit 3 after it (on the edge).
  write_cascade_plan(dir / "plan.json", {1, 3, 5}, {0.9, 0.9}, 4);
  const int rc = run("--model " + kCard + " --plan " + (dir / "plan.json").string() +
                         " --data /usr/share/datasets/fashion-mnist --count 60" +
                         " --edge 127.0.0.1:" + std::to_string(server.port()) + " -o " +
                         (dir / "results.jsonl").string() + " --summary " +
                         (dir / "summary.json").string(),
                     dir / "infer.log");
  ASSERT_EQ(rc, 0) << slurp(dir / "infer.log");
  std::istringstream lines(slurp(dir / "results.jsonl"));
  std::string line;
  std::map<std::pair<int, std::string>, int> answers;
  while (std::getline(lines, line)) {
    const auto rec = nlohmann::json::parse(line);
    EXPECT_EQ(rec["plan"]["cascade"], "1:0.9,3:0.9,5");
    EXPECT_FALSE(rec["fallback"].get<bool>()) << line;
    const int exit = rec["exit_used"].get<int>();
    const std::string where = rec["answered_on"].get<std::string>();
    // Exit 1 answers on the device; exits 3 and 5 (after the cut) on the edge.
    EXPECT_EQ(where, exit == 1 ? "device" : "edge") << line;
    EXPECT_EQ(rec["offloaded"].get<bool>(), exit != 1);
    EXPECT_EQ(rec["bytes_up"].get<int>() > 0, exit != 1);
    if (exit != 5) {
      EXPECT_GT(rec["confidence"].get<double>(), 0.9) << line;
    }
    answers[{exit, where}] += 1;
  }
  const auto summary = edgent::read_artifact((dir / "summary.json").string(), "run");
  int total = 0;
  for (const auto& a : summary.doc["answers"]) {
    const int exit = a["exit"].get<int>();
    EXPECT_EQ(a["device"].get<int>(), (answers[{exit, "device"}]));
    EXPECT_EQ(a["edge"].get<int>(), (answers[{exit, "edge"}]));
    total += a["device"].get<int>() + a["edge"].get<int>();
  }
  EXPECT_EQ(total, 60);
  EXPECT_GT((answers[{1, "device"}]), 0) << "most test images are easy for exit 1";
  EXPECT_GT(summary.doc["accuracy"].get<double>(), 0.7);
  fs::remove_all(dir);
}

TEST(InferCli, CascadeThresholdsOutsideTheUnitIntervalAreUsageErrors) {
  const TempDir tmp("infer-cascade-bad");
  const fs::path& dir = tmp.path();
  {
    std::ofstream t(dir / "one.f32", std::ios::binary);
    const std::string zeros(28 * 28 * 4, '\0');
    t << zeros;
  }
  for (const auto& tau : {nlohmann::json(1.5), nlohmann::json(-0.1), nlohmann::json("nan"),
                          nlohmann::json(nullptr)}) {
    write_cascade_plan(dir / "plan.json", {1, 5}, nlohmann::json::array({tau}), 5);
    EXPECT_EQ(run("--model " + kCard + " --plan " + (dir / "plan.json").string() + " --tensors " +
                      (dir / "one.f32").string(),
                  dir / "a.log"),
              2)
        << tau << ": " << slurp(dir / "a.log");
    EXPECT_NE(slurp(dir / "a.log").find("thresholds"), std::string::npos) << slurp(dir / "a.log");
  }
  // A cascade whose exits do not branch off the final chain in order.
  write_cascade_plan(dir / "plan.json", {3, 5}, nlohmann::json::array({0.5}), 4);
  auto doc = nlohmann::json::parse(slurp(dir / "plan.json"));
  doc["plan"]["cascade"]["exits"] = {3, 2};
  doc["plan"]["exit"] = 2;
  std::ofstream(dir / "plan.json") << doc.dump();
  EXPECT_EQ(run("--model " + kCard + " --plan " + (dir / "plan.json").string() + " --tensors " +
                    (dir / "one.f32").string(),
                dir / "b.log"),
            2)
      << slurp(dir / "b.log");
  fs::remove_all(dir);
}

TEST(InferCli, CascadesPlansEachRequestsCascadeFromTheFitsAsEdgentPlanDoes) {
  if (!have_data()) {
    GTEST_SKIP() << "dataset-fashion-mnist not installed";
  }
  const TempDir tmp("infer-cascades");
  const fs::path& dir = tmp.path();
  const auto card = edgent::model::read_model_card(kCard);
  edgent::testing::write_fixture_fits(dir.string(), card.onnx_sha256);
  const std::string table = std::string(EDGENT_SOURCE_DIR) + "/models/branchy-alexnet-fmnist.cascade.json";
  const std::string fits = " --model " + kCard + " --device-fit " + (dir / "device.fit.json").string() +
                           " --edge-fit " + (dir / "edge.fit.json").string() + " --cascades " + table;
  // With no deadline to speak of, the most accurate cascade of the table, whatever the link.
  const auto plan = edgent::testing::run_tool(
      "edgent-plan", fits + " --bandwidth 1000 --deadline 100000 -o " + (dir / "plan.json").string());
  ASSERT_EQ(plan.code, 0) << plan.err;
  const edgent::plan::PlanRecord planned =
      edgent::plan::read_plan(edgent::read_artifact((dir / "plan.json").string(), "plan")).plan;
  ASSERT_TRUE(planned.cascade.has_value()) << slurp(dir / "plan.json");
  const std::string cascade = edgent::model::cascade_to_string(planned.cascade->cascade);
  ServeProcess server(kServeArgs);
  ASSERT_GT(server.port(), 0) << server.log();
  const int rc = run(fits + " --deadline 100000 --bandwidth 1000" +
                         " --data /usr/share/datasets/fashion-mnist --count 30" +
                         " --edge 127.0.0.1:" + std::to_string(server.port()) + " -o " +
                         (dir / "results.jsonl").string() + " --summary " +
                         (dir / "summary.json").string(),
                     dir / "infer.log");
  ASSERT_EQ(rc, 0) << slurp(dir / "infer.log");
  std::istringstream lines(slurp(dir / "results.jsonl"));
  int n = 0;
  std::map<int, double> answers;  // exit -> its predicted total
  for (std::string line; std::getline(lines, line); ++n) {
    const auto rec = nlohmann::json::parse(line);
    EXPECT_EQ(rec["plan"]["cascade"], cascade) << line;
    EXPECT_EQ(rec["plan"]["exit"], planned.exit) << line;
    // The prediction is the cascade's expected latency (plan::decide_cascade's breakdown);
    // the answer's, that of the exit that answered, where it ran.
    ASSERT_TRUE(rec["predicted"].is_object()) << line;
    EXPECT_GT(rec["predicted"]["total_ms"].get<double>(), 0) << line;
    EXPECT_FALSE(rec["fallback"].get<bool>()) << line;
    ASSERT_TRUE(rec["predicted_answer"].is_object()) << line;
    const nlohmann::json& answer = rec["predicted_answer"];
    if (rec["answered_on"] == "device") {
      EXPECT_DOUBLE_EQ(answer["up_ms"].get<double>(), 0) << line;
      EXPECT_DOUBLE_EQ(answer["edge_ms"].get<double>(), 0) << line;
    } else {
      EXPECT_GT(answer["up_ms"].get<double>(), 0) << line;
      EXPECT_GT(answer["edge_ms"].get<double>(), 0) << line;
    }
    const int exit = rec["exit_used"].get<int>();
    answers[exit] = answer["total_ms"].get<double>();
  }
  EXPECT_EQ(n, 30);
  // One prediction per exit, later exits later; the expected one between the extremes.
  ASSERT_FALSE(answers.empty());
  for (auto it = answers.begin(); std::next(it) != answers.end(); ++it) {
    EXPECT_LT(it->second, std::next(it)->second) << it->first;
  }
  // --cascades plans from fits: not with a plan, a map or a baseline strategy.
  write_plan(dir / "fixed.json", 5, 3, "device-first", "fp16");
  const std::string one = " --data /usr/share/datasets/fashion-mnist --count 1";
  EXPECT_EQ(run(fits + " --plan " + (dir / "fixed.json").string() + one, dir / "a.log"), 2);
  EXPECT_NE(slurp(dir / "a.log").find("--cascades"), std::string::npos) << slurp(dir / "a.log");
  EXPECT_EQ(run(fits + " --deadline 10 --strategy device-only" + one, dir / "b.log"), 2);
  EXPECT_NE(slurp(dir / "b.log").find("--cascades"), std::string::npos) << slurp(dir / "b.log");
  EXPECT_EQ(run(fits + " --deadline 10 --cascade-latency p50" + one, dir / "c.log"), 2);
  // A table measured on another model.
  auto other = nlohmann::json::parse(slurp(fs::path(table)));
  other["model_sha256"] = std::string(64, '0');
  std::ofstream(dir / "other.json") << other.dump();
  EXPECT_EQ(run(" --model " + kCard + " --device-fit " + (dir / "device.fit.json").string() +
                    " --edge-fit " + (dir / "edge.fit.json").string() + " --cascades " +
                    (dir / "other.json").string() + " --deadline 10" + one,
                dir / "d.log"),
            2);
  EXPECT_NE(slurp(dir / "d.log").find("other.json"), std::string::npos) << slurp(dir / "d.log");
  // A table of this model none of whose cascades it has: refused before the first request.
  auto foreign = nlohmann::json::parse(slurp(fs::path(table)));
  foreign["entries"] = nlohmann::json::array(
      {{{"exits", {9}}, {"thresholds", nlohmann::json::array()}, {"accuracy", 0.9}, {"leave", {1.0}}}});
  std::ofstream(dir / "foreign.json") << foreign.dump();
  EXPECT_EQ(run(" --model " + kCard + " --device-fit " + (dir / "device.fit.json").string() +
                    " --edge-fit " + (dir / "edge.fit.json").string() + " --cascades " +
                    (dir / "foreign.json").string() + " --deadline 10" + one + " -o " +
                    (dir / "foreign.jsonl").string(),
                dir / "e.log"),
            2);
  EXPECT_NE(slurp(dir / "e.log").find("foreign.json: entries: no cascade of the table fits"),
            std::string::npos)
      << slurp(dir / "e.log");
  EXPECT_FALSE(fs::exists(dir / "foreign.jsonl"));
  fs::remove_all(dir);
}

TEST(InferCli, WithoutAServerEveryRequestFallsBackAndIsRecorded) {
  if (!have_data()) {
    GTEST_SKIP() << "dataset-fashion-mnist not installed";
  }
  const TempDir tmp("infer-down");
  const fs::path& dir = tmp.path();
  write_plan(dir / "plan.json", 5, 0, "device-first", "fp32");
  // Port 1 on loopback: nothing listens there.
  const int rc = run("--model " + kCard + " --plan " + (dir / "plan.json").string() +
                         " --data /usr/share/datasets/fashion-mnist --count 8 --edge 127.0.0.1:1" +
                         " --connect-timeout-ms 200 -o " + (dir / "results.jsonl").string() +
                         " --summary " + (dir / "summary.json").string(),
                     dir / "infer.log");
  ASSERT_EQ(rc, 0) << slurp(dir / "infer.log");
  const auto summary = edgent::read_artifact((dir / "summary.json").string(), "run");
  EXPECT_EQ(summary.doc["count"], 8);
  EXPECT_EQ(summary.doc["fallbacks"], 8);
  EXPECT_EQ(summary.doc["offloaded"], 0);
  EXPECT_GT(summary.doc["accuracy"].get<double>(), 0.5);
  fs::remove_all(dir);
}

/// Waits (up to 20 s) until the results being written to @p dir / "r.jsonl" (its temporary
/// file, until the run commits it) hold at least @p lines records.
void wait_for_records(const fs::path& dir, std::size_t lines) {
  for (int i = 0; i < 400; ++i) {
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.path().filename().string().starts_with(".r.jsonl.tmp")) {
        const std::string text = slurp(e.path());
        if (static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) >= lines) {
          return;
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::vector<nlohmann::json> records(const fs::path& p) {
  std::vector<nlohmann::json> out;
  std::istringstream lines(slurp(p));
  std::string line;
  while (std::getline(lines, line)) {
    out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

TEST(InferCli, KillingTheServerMidRunLosesNoRequest) {
  if (!have_data()) {
    GTEST_SKIP() << "dataset-fashion-mnist not installed";
  }
  const TempDir tmp("infer-kill");
  const fs::path& dir = tmp.path();
  ServeProcess server(kServeArgs);
  ASSERT_GT(server.port(), 0) << server.log();
  write_plan(dir / "plan.json", 5, 3, "device-first", "int8+zstd");
  ChildProcess infer({tool_path("edgent-infer"), "--model", kCard, "--plan",
                             (dir / "plan.json").string(), "--data",
                             "/usr/share/datasets/fashion-mnist", "--count", "30", "--rate", "20",
                             "--edge", "127.0.0.1:" + std::to_string(server.port()),
                             "--connect-timeout-ms", "200", "-o", (dir / "r.jsonl").string(),
                             "--summary", (dir / "s.json").string()},
                            (dir / "infer.log").string());
  wait_for_records(dir, 5);
  server.stop();
  ASSERT_EQ(infer.wait(), 0) << slurp(dir / "infer.log");
  const auto recs = records(dir / "r.jsonl");
  ASSERT_EQ(recs.size(), 30u) << "every input gets exactly one record";
  int fallbacks = 0;
  for (std::size_t i = 0; i < recs.size(); ++i) {
    EXPECT_EQ(recs[i]["id"], i);
    EXPECT_TRUE(recs[i]["class"].is_number());
    if (recs[i]["fallback"].get<bool>()) {
      ++fallbacks;
      EXPECT_TRUE(recs[i]["fallback_reason"].is_string());
    }
  }
  EXPECT_GT(fallbacks, 0) << "requests after the kill finish on the device";
  EXPECT_LT(fallbacks, 30) << "requests before the kill were offloaded";
  EXPECT_FALSE(recs.front()["fallback"].get<bool>());
  EXPECT_TRUE(recs.back()["fallback"].get<bool>());
  const auto summary = edgent::read_artifact((dir / "s.json").string(), "run");
  EXPECT_EQ(summary.doc["fallbacks"], fallbacks);
  fs::remove_all(dir);
}

TEST(InferCli, ServerKilledAndRestartedOnTheSamePortIsUsedAgain) {
  if (!have_data()) {
    GTEST_SKIP() << "dataset-fashion-mnist not installed";
  }
  const TempDir tmp("infer-restart");
  const fs::path& dir = tmp.path();
  auto server = std::make_unique<ServeProcess>(kServeArgs);
  const int port = server->port();
  ASSERT_GT(port, 0) << server->log();
  write_plan(dir / "plan.json", 5, 3, "device-first", "fp16");
  constexpr int kCount = 200;
  ChildProcess infer({tool_path("edgent-infer"), "--model", kCard, "--plan",
                             (dir / "plan.json").string(), "--data",
                             "/usr/share/datasets/fashion-mnist", "--count",
                             std::to_string(kCount), "--rate", "25", "--edge",
                             "127.0.0.1:" + std::to_string(port), "--connect-timeout-ms", "200",
                             "-o", (dir / "r.jsonl").string(), "--summary",
                             (dir / "s.json").string()},
                            (dir / "infer.log").string());
  wait_for_records(dir, 10);
  server->signal_and_wait(SIGKILL, std::chrono::seconds(10));  // no drain: connections reset, requests in flight lost by the server
  wait_for_records(dir, 25);  // the device carries on alone meanwhile
  server = std::make_unique<ServeProcess>(kServeArgs, static_cast<std::uint16_t>(port));
  ASSERT_EQ(server->port(), port) << server->log();
  ASSERT_EQ(infer.wait(), 0) << slurp(dir / "infer.log");
  EXPECT_EQ(server->stop(), 0);

  const auto recs = records(dir / "r.jsonl");
  ASSERT_EQ(recs.size(), static_cast<std::size_t>(kCount)) << "one record per input, none lost";
  // offloaded..., then the requests while the server was down on the device, then offloaded
  // again until the end: one block of fallbacks, nothing else.
  int first_fallback = -1;
  int last_fallback = -1;
  for (int i = 0; i < kCount; ++i) {
    EXPECT_EQ(recs[i]["id"], i);
    EXPECT_TRUE(recs[i]["class"].is_number());
    const bool fallback = recs[i]["fallback"].get<bool>();
    EXPECT_NE(fallback, recs[i]["offloaded"].get<bool>()) << recs[i].dump();
    if (fallback) {
      EXPECT_TRUE(recs[i]["fallback_reason"].is_string());
      if (first_fallback < 0) {
        first_fallback = i;
      }
      last_fallback = i;
    }
  }
  ASSERT_GE(first_fallback, 5) << "requests before the kill were offloaded";
  EXPECT_GE(last_fallback - first_fallback + 1, 10) << "requests while the server was down";
  for (int i = first_fallback; i <= last_fallback; ++i) {
    EXPECT_TRUE(recs[i]["fallback"].get<bool>())
        << "record " << i << ": an offloaded request inside the outage";
  }
  // The client backs off up to 5 s between connection attempts while the server is down.
  EXPECT_LE(last_fallback, kCount - 10)
      << "offloading resumed after the restart (records " << first_fallback << ".."
      << last_fallback << " fell back)";
  const auto summary = edgent::read_artifact((dir / "s.json").string(), "run");
  EXPECT_EQ(summary.doc["count"], kCount);
  EXPECT_EQ(summary.doc["fallbacks"], last_fallback - first_fallback + 1);
  EXPECT_EQ(summary.doc["offloaded"], kCount - (last_fallback - first_fallback + 1));
  fs::remove_all(dir);
}

TEST(InferCli, SigintStopsWithRecordsAndSummary) {
  if (!have_data()) {
    GTEST_SKIP() << "dataset-fashion-mnist not installed";
  }
  const TempDir tmp("infer-sigint");
  const fs::path& dir = tmp.path();
  // A device-only plan (cut n of exit 2): no server needed.
  const auto card = edgent::model::read_model_card(kCard);
  const auto graph = edgent::model::OnnxGraph::from_file(edgent::model::onnx_path(card, kCard));
  const int n = edgent::model::analyse(*graph).exit(2).size();
  write_plan(dir / "plan.json", 2, n, "device-first", "none");
  ChildProcess infer({tool_path("edgent-infer"), "--model", kCard, "--plan",
                             (dir / "plan.json").string(), "--data",
                             "/usr/share/datasets/fashion-mnist", "--count", "200", "--rate", "10",
                             "-o", (dir / "r.jsonl").string(), "--summary",
                             (dir / "s.json").string()},
                            (dir / "infer.log").string());
  wait_for_records(dir, 5);
  ::kill(infer.pid(), SIGINT);
  ASSERT_EQ(infer.wait(), 130) << slurp(dir / "infer.log");
  const auto recs = records(dir / "r.jsonl");
  const auto summary = edgent::read_artifact((dir / "s.json").string(), "run");
  EXPECT_TRUE(summary.doc["interrupted"].get<bool>());
  EXPECT_EQ(summary.doc["count"], recs.size());
  EXPECT_GT(recs.size(), 3u);
  EXPECT_LT(recs.size(), 200u);
  fs::remove_all(dir);
}

TEST(InferCli, SigtermStopsLikeSigintWithRecordsSummaryAndNoTemporaryFile) {
  const TempDir tmp("infer-sigterm");
  const fs::path& dir = tmp.path();
  // A device-only plan (cut n of exit 2) on raw tensors: no server and no data set needed.
  const auto card = edgent::model::read_model_card(kCard);
  const auto graph = edgent::model::OnnxGraph::from_file(edgent::model::onnx_path(card, kCard));
  const int n = edgent::model::analyse(*graph).exit(2).size();
  write_plan(dir / "plan.json", 2, n, "device-first", "none");
  {
    std::ofstream t(dir / "in.f32", std::ios::binary);
    const std::string zeros(100 * 28 * 28 * 4, '\0');
    t << zeros;
  }
  ChildProcess infer({tool_path("edgent-infer"), "--model", kCard, "--plan",
                             (dir / "plan.json").string(), "--tensors", (dir / "in.f32").string(),
                             "--count", "100", "--rate", "5", "-o", (dir / "r.jsonl").string(),
                             "--summary", (dir / "s.json").string()},
                            (dir / "infer.log").string());
  wait_for_records(dir, 5);
  ::kill(infer.pid(), SIGTERM);
  ASSERT_EQ(infer.wait(), 143) << slurp(dir / "infer.log");
  const auto recs = records(dir / "r.jsonl");
  const auto summary = edgent::read_artifact((dir / "s.json").string(), "run");
  EXPECT_TRUE(summary.doc["interrupted"].get<bool>());
  EXPECT_EQ(summary.doc["count"], recs.size());
  EXPECT_GE(recs.size(), 5u);
  EXPECT_LT(recs.size(), 100u);
  EXPECT_NE(slurp(dir / "infer.log").find("SIGTERM"), std::string::npos) << slurp(dir / "infer.log");
  for (const auto& e : fs::directory_iterator(dir)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos)
        << e.path() << " left behind";
  }
  fs::remove_all(dir);
}

TEST(InferCli, AConfigMapPicksThePlanOfTheMeasuredBandwidthState) {
  if (!have_data()) {
    GTEST_SKIP() << "dataset-fashion-mnist not installed";
  }
  const TempDir tmp("infer-map");
  const fs::path& dir = tmp.path();
  const auto card = edgent::model::read_model_card(kCard);
  const auto graph = edgent::model::OnnxGraph::from_file(edgent::model::onnx_path(card, kCard));
  const int n1 = edgent::model::analyse(*graph).exit(1).size();
  // State 0 (below 1 Mbit/s): exit 1 on the device; state 1: exit 5 on the edge. Loopback
  // measures far more than 1 Mbit/s, so the run must use state 1's plan.
  edgent::dynamic::ConfigMap map;
  map.deadline_ms = 100;
  map.model_sha256 = card.onnx_sha256;
  edgent::dynamic::MapState low;
  low.lo_kbps = 0;
  low.hi_kbps = 1000;
  low.strategy = "exit-only";
  low.feasible = true;
  low.plan.exit = 1;
  low.plan.cut = n1;
  low.plan.codec = "none";
  low.predicted = {1, 0, 0, 0, 1};
  edgent::dynamic::MapState high = low;
  high.lo_kbps = 1000;
  high.hi_kbps = std::numeric_limits<double>::infinity();
  high.bandwidth_kbps = 1000;
  high.strategy = "edge-only";
  high.plan.exit = 5;
  high.plan.cut = 0;
  high.plan.codec = "fp16";
  high.predicted = {0, 2, 1, 1, 4};
  map.states = {low, high};
  edgent::write_artifact((dir / "map.json").string(), edgent::dynamic::config_map_to_json(map),
                         "configmap", "edgent-mapbuild");
  ServeProcess server(kServeArgs);
  ASSERT_GT(server.port(), 0) << server.log();
  const int rc = run("--model " + kCard + " --map " + (dir / "map.json").string() +
                         " --data /usr/share/datasets/fashion-mnist --count 15 --edge 127.0.0.1:" +
                         std::to_string(server.port()) + " -o " + (dir / "r.jsonl").string() +
                         " --summary " + (dir / "s.json").string(),
                     dir / "infer.log");
  ASSERT_EQ(rc, 0) << slurp(dir / "infer.log");
  const auto recs = records(dir / "r.jsonl");
  ASSERT_EQ(recs.size(), 15u);
  for (const auto& r : recs) {
    EXPECT_EQ(r["state"]["index"], 1) << r.dump();
    EXPECT_EQ(r["plan"]["exit"], 5);
    EXPECT_EQ(r["plan"]["codec"], "fp16");
    EXPECT_TRUE(r["offloaded"].get<bool>());
    EXPECT_GT(r["bandwidth_kbps"].get<double>(), 1000.0);
  }
  const auto summary = edgent::read_artifact((dir / "s.json").string(), "run");
  EXPECT_EQ(summary.doc["mode"], "map");
  EXPECT_EQ(summary.doc["plan_switches"], 0);
  fs::remove_all(dir);
}

TEST(InferCli, BadInputsAreUsageErrors) {
  const TempDir tmp("infer-bad");
  const fs::path& dir = tmp.path();
  EXPECT_EQ(run("--model " + kCard + " --data /nonexistent", dir / "a.log"), 2)
      << "no plan source";
  {
    std::ofstream t(dir / "one.f32", std::ios::binary);
    const std::string zeros(28 * 28 * 4, '\0');
    t << zeros;
  }
  write_plan(dir / "plan.json", 9, 0, "device-first", "fp32");
  EXPECT_EQ(run("--model " + kCard + " --plan " + (dir / "plan.json").string() + " --tensors " +
                    (dir / "one.f32").string(),
                dir / "b.log"),
            2)
      << "exit 9 is not in the model: " << slurp(dir / "b.log");
  EXPECT_NE(slurp(dir / "b.log").find("plan.exit"), std::string::npos) << slurp(dir / "b.log");
  write_plan(dir / "plan.json", 1, 0, "device-first", "fp32");
  EXPECT_EQ(run("--model " + kCard + " --plan " + (dir / "plan.json").string() + " --tensors " +
                    (dir / "plan.json").string(),
                dir / "c.log"),
            1)
      << "not a whole number of tensors: " << slurp(dir / "c.log");
  fs::remove_all(dir);
}

TEST(InferCli, ADilatedDeviceTakesKTimesItsCpuTimeAndRecordsK) {
  const TempDir tmp("infer-dilated");
  const fs::path& dir = tmp.path();
  {
    std::ofstream t(dir / "in.f32", std::ios::binary);
    const std::string zeros(3 * 28 * 28 * 4, '\0');
    t << zeros;
  }
  const auto card = edgent::model::read_model_card(kCard);
  const auto graph = edgent::model::OnnxGraph::from_file(edgent::model::onnx_path(card, kCard));
  write_plan(dir / "plan.json", 2, edgent::model::analyse(*graph).exit(2).size(), "device-first",
             "none");
  ASSERT_EQ(run("--model " + kCard + " --plan " + (dir / "plan.json").string() + " --tensors " +
                    (dir / "in.f32").string() + " --slowdown 5 -o " + (dir / "r.jsonl").string() +
                    " --summary " + (dir / "s.json").string(),
                dir / "infer.log"),
            0)
      << slurp(dir / "infer.log");
  const auto recs = records(dir / "r.jsonl");
  ASSERT_EQ(recs.size(), 3u);
  for (const auto& r : recs) {
    EXPECT_EQ(r["slowdown"], 5.0);
    const double cpu = r["measured"]["device_cpu_ms"].get<double>();
    const double ms = r["measured"]["device_ms"].get<double>();
    EXPECT_GT(cpu, 0);
    EXPECT_GE(ms, 5 * cpu - 0.15) << r.dump();  // a hold may aim 0.1 ms early (wake latency)
  }
  const auto summary = edgent::read_artifact((dir / "s.json").string(), "run");
  EXPECT_EQ(summary.doc["device"]["emulation"], "dilation");
  EXPECT_EQ(summary.doc["device"]["slowdown"], 5.0);
  fs::remove_all(dir);
}

TEST(InferCli, BadSlowdownsAndAnOracleWithoutATraceAreUsageErrors) {
  const TempDir tmp("infer-badk");
  const fs::path& dir = tmp.path();
  const std::string base = "--model " + kCard + " --data /nonexistent --device-fit x --edge-fit y --deadline 10";
  for (const char* k : {"0", "-1", "nan", "0.5", "inf"}) {
    EXPECT_EQ(run(base + " --slowdown " + k, dir / "k.log"), 2) << k;
    EXPECT_NE(slurp(dir / "k.log").find("--slowdown"), std::string::npos) << slurp(dir / "k.log");
  }
  EXPECT_EQ(run(base + " --slowdown 5 --cpu-quota 0.5", dir / "q.log"), 2);
  EXPECT_EQ(run(base + " --oracle", dir / "o.log"), 2) << slurp(dir / "o.log");
  EXPECT_NE(slurp(dir / "o.log").find("--oracle"), std::string::npos) << slurp(dir / "o.log");
  fs::remove_all(dir);
}

} // namespace
