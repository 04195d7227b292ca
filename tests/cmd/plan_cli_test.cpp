// Runs the real edgent-plan and edgent-mapbuild binaries on the hand-written fixture in
// tests/data/plan: exit codes, messages, keys present.
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const std::string kData = EDGENT_TEST_DATA_DIR "/plan/";
const std::string kModel = " --model " + kData + "model.json --accuracy " + kData +
                           "accuracy.json --device-fit " + kData + "device_fit.json --edge-fit " +
                           kData + "edge_fit.json";

using edgent::testing::RunResult;
using Outcome = RunResult;

class Cli : public ::testing::Test {
protected:
  Outcome run(const std::string& tool, const std::string& args) const {
    return edgent::testing::run_tool(tool, args);
  }
  std::string path(const std::string& name) const { return m_dir.file(name); }
  nlohmann::json json(const std::string& name) const {
    std::ifstream in(path(name));
    return nlohmann::json::parse(in);
  }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path(name)) << text;
  }

  edgent::testing::TempDir m_dir{"plan-cli"};
};

TEST_F(Cli, PlanWritesAFeasiblePlan) {
  const Outcome r = run("edgent-plan", kModel + " --bandwidth 2000 --rtt 10 --deadline 40 -o " +
                                       path("plan.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = json("plan.json");
  EXPECT_EQ(j["schema"], "edgent.plan/1");
  EXPECT_TRUE(j["feasible"].get<bool>());
  for (const char* k : {"exit", "cut", "order", "codec", "accuracy"}) {
    EXPECT_TRUE(j["plan"].contains(k)) << k;
  }
  for (const char* k : {"device_ms", "edge_ms", "up_ms", "down_ms", "total_ms"}) {
    EXPECT_TRUE(j["predicted"][k].is_number()) << k;
  }
  EXPECT_LE(j["predicted"]["total_ms"].get<double>(), 40.0);
}

TEST_F(Cli, InfeasibleExitsThreeWithTheFastestPlanFlagged) {
  const Outcome r =
      run("edgent-plan", kModel + " --bandwidth 100 --deadline 1 -o " + path("plan.json"));
  EXPECT_EQ(r.code, 3) << r.err;
  const auto j = json("plan.json");
  EXPECT_FALSE(j["feasible"].get<bool>());
  EXPECT_GT(j["predicted"]["total_ms"].get<double>(), 1.0);
}

TEST_F(Cli, BaselineStrategies) {
  ASSERT_EQ(run("edgent-plan", kModel + " --bandwidth 100000 --deadline 500 --strategy "
                                        "device-only -o " + path("d.json")).code, 0);
  EXPECT_EQ(json("d.json")["plan"]["codec"], "none");
  EXPECT_EQ(json("d.json")["plan"]["exit"], 5);
  ASSERT_EQ(run("edgent-plan", kModel + " --bandwidth 100000 --deadline 500 --strategy "
                                        "edge-only -o " + path("e.json")).code, 0);
  EXPECT_EQ(json("e.json")["plan"]["cut"], 0);
  EXPECT_EQ(json("e.json")["predicted"]["device_ms"], 0.0);
}

TEST_F(Cli, SweepWritesJsonAndCsv) {
  const Outcome r = run("edgent-plan", kModel + " --rtt 10 --deadline 40 --sweep-bandwidth "
                                            "100:100000:4 --csv " + path("s.csv") + " -o " +
                                            path("s.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = json("s.json");
  EXPECT_EQ(j["schema"], "edgent.sweep/1");
  EXPECT_EQ(j["rows"].size(), 4U * 5U);
  std::ifstream csv(path("s.csv"));
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header.rfind("bandwidth_kbps,deadline_ms,strategy,", 0), 0U);
}

TEST_F(Cli, BadInputsAreUsageErrors) {
  EXPECT_EQ(run("edgent-plan", kModel + " --bandwidth 100 --deadline 0").code, 2);
  EXPECT_EQ(run("edgent-plan", kModel + " --bandwidth 100 --deadline 10 --codecs fp64").code, 2);
  auto empty_codecs = edgent::testing::words(kModel + " --bandwidth 100 --deadline 10 --codecs");
  empty_codecs.emplace_back();
  EXPECT_EQ(edgent::testing::run_tool("edgent-plan", empty_codecs).code, 2);
  EXPECT_EQ(run("edgent-plan", kModel + " --deadline 10").code, 2);
  // A fit from another model.
  std::ifstream in(kData + "edge_fit.json");
  auto fit = nlohmann::json::parse(in);
  fit["model_sha256"] = std::string(64, '0');
  write("fit.json", fit.dump());
  const Outcome r = run("edgent-plan", " --model " + kData + "model.json --device-fit " + kData +
                                       "device_fit.json --edge-fit " + path("fit.json") +
                                       " --bandwidth 100 --deadline 10");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("fit.json: model_sha256: "), std::string::npos) << r.err;
}

TEST_F(Cli, DeviceScalePlansTheDeviceAsMeasured) {
  const std::string args = kModel + " --strategy device-only --bandwidth 2000 --deadline 100000";
  ASSERT_EQ(run("edgent-plan", args + " -o " + path("one.json")).code, 0);
  ASSERT_EQ(run("edgent-plan", args + " --device-scale 1.5 -o " + path("slow.json")).code, 0);
  const auto one = json("one.json");
  const auto slow = json("slow.json");
  EXPECT_FALSE(one.contains("device_scale")) << "absent at 1, as before";
  EXPECT_EQ(slow["device_scale"], 1.5);
  EXPECT_EQ(slow["plan"], one["plan"]) << "a device-only plan stays device-only";
  EXPECT_NEAR(slow["predicted"]["device_ms"].get<double>(),
              1.5 * one["predicted"]["device_ms"].get<double>(), 1e-9);
  EXPECT_NEAR(slow["predicted"]["total_ms"].get<double>() - one["predicted"]["total_ms"].get<double>(),
              0.5 * (one["predicted"]["device_ms"].get<double>() + one["predicted"]["codec_ms"].get<double>()),
              1e-9);
  // The edge's side does not change with the device's speed.
  ASSERT_EQ(run("edgent-plan", kModel + " --strategy edge-only --bandwidth 2000 --deadline 100000 "
                                        "--device-scale 3 -o " + path("edge.json")).code, 0);
  ASSERT_EQ(run("edgent-plan", kModel + " --strategy edge-only --bandwidth 2000 --deadline 100000 "
                                        "-o " + path("edge1.json")).code, 0);
  EXPECT_EQ(json("edge.json")["predicted"]["edge_ms"], json("edge1.json")["predicted"]["edge_ms"]);
  for (const std::string bad : {"0", "-1", "nan", "inf", "x"}) {
    const Outcome r = run("edgent-plan", args + " --device-scale " + bad);
    EXPECT_EQ(r.code, 2) << bad;
    EXPECT_NE(r.err.find("--device-scale"), std::string::npos) << r.err;
  }
}

TEST_F(Cli, CascadePlanCarriesTheCascadeAndItsExpectedLatency) {
  const std::string table = " --cascades " + kData + "cascade.json";
  const Outcome r = run("edgent-plan", kModel + table + " --bandwidth 2000 --rtt 10 --deadline 20 -o " +
                                       path("plan.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = json("plan.json");
  ASSERT_TRUE(j["plan"].contains("cascade")) << j.dump(1);
  const auto& c = j["plan"]["cascade"];
  EXPECT_EQ(c["exits"].back(), j["plan"]["exit"]);
  EXPECT_EQ(j["plan"]["order"], "device-first");
  double expected = 0;
  for (std::size_t i = 0; i < c["leave"].size(); ++i) {
    expected += c["leave"][i].get<double>() * c["latency_ms"][i].get<double>();
  }
  EXPECT_NEAR(expected, c["expected_ms"].get<double>(), 1e-9);
  EXPECT_NEAR(expected, j["predicted"]["total_ms"].get<double>(), 1e-9);
  EXPECT_LE(expected, 20.0);
  // The p95 statistic is stricter than the mean.
  const Outcome p95 = run("edgent-plan", kModel + table + " --cascade-latency p95 --bandwidth 2000 "
                                         "--rtt 10 --deadline 20 -o " + path("p95.json"));
  ASSERT_TRUE(p95.code == 0 || p95.code == 3) << p95.err;
  const auto q = json("p95.json");
  if (q["plan"].contains("cascade")) {
    EXPECT_LE(q["plan"]["cascade"]["p95_ms"].get<double>(), 20.0);
  }
  EXPECT_LE(q["plan"]["accuracy"].get<double>(), j["plan"]["accuracy"].get<double>());
}

TEST_F(Cli, BadCascadeInputsAreUsageErrors) {
  const std::string net = " --bandwidth 2000 --rtt 10 --deadline 20 -o " + path("p.json");
  EXPECT_EQ(run("edgent-plan", kModel + " --cascade-latency p95" + net).code, 2);
  EXPECT_EQ(run("edgent-plan", kModel + " --cascades " + kData + "cascade.json --cascade-latency p50" + net).code, 2);
  EXPECT_EQ(run("edgent-plan", kModel + " --cascades " + kData + "cascade.json --strategy device-only" + net).code, 2);
  std::ifstream in(kData + "cascade.json");
  const auto table = nlohmann::json::parse(in);
  for (const auto& [pointer, value] :
       {std::pair{"/entries/5/thresholds/0", nlohmann::json(1.5)},
        std::pair{"/entries/5/thresholds/0", nlohmann::json(-0.5)},
        std::pair{"/entries/5/thresholds/0", nlohmann::json("nan")},
        std::pair{"/entries/5/leave/0", nlohmann::json(0.5)},
        std::pair{"/model_sha256", nlohmann::json(std::string(64, '0'))}}) {
    auto bad = table;
    bad[nlohmann::json::json_pointer(pointer)] = value;
    write("bad.json", bad.dump());
    const Outcome r = run("edgent-plan", kModel + " --cascades " + path("bad.json") + net);
    EXPECT_EQ(r.code, 2) << pointer << " " << value;
    EXPECT_NE(r.err.find("bad.json: "), std::string::npos) << r.err;
  }
  // A well-formed table none of whose cascades the model has (its exits are 1 to 5): plan and
  // mapbuild, building and evaluating a map, name the table and its key.
  auto foreign = table;
  foreign["entries"] = nlohmann::json::array(
      {{{"exits", {9}}, {"thresholds", nlohmann::json::array()}, {"accuracy", 0.9}, {"leave", {1.0}}}});
  write("foreign.json", foreign.dump());
  write("trace.csv", "t_s,bandwidth_kbps\n0,300\n1,300\n");
  const std::string tail = " --cascades " + path("foreign.json");
  const Outcome mapped = run("edgent-mapbuild", kModel + " --trace " + path("trace.csv") +
                                                " --deadline 20 -o " + path("map.json"));
  ASSERT_EQ(mapped.code, 0) << mapped.err;
  for (const Outcome& r :
       {run("edgent-plan", kModel + tail + net),
        run("edgent-mapbuild", kModel + tail + " --trace " + path("trace.csv") +
                                   " --deadline 20 -o " + path("m.json")),
        run("edgent-mapbuild", "evaluate" + kModel + tail + " --map " + path("map.json") +
                                   " --trace " + path("trace.csv") + " -o " + path("e.json"))}) {
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find("foreign.json: entries: no cascade of the table fits the model's chains"),
              std::string::npos)
        << r.err;
  }
  EXPECT_FALSE(fs::exists(path("m.json")));
  EXPECT_FALSE(fs::exists(path("e.json")));
}

TEST_F(Cli, BadTraceNamesFileAndLine) {
  write("bad.csv", "t_s,bandwidth_kbps\n0,100\n1,x\n");
  const Outcome r = run("edgent-plan", kModel + " --trace " + path("bad.csv") + " --deadline 40");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("bad.csv: line 3: bandwidth_kbps 'x' is not a finite number"),
            std::string::npos)
      << r.err;
  const Outcome m = run("edgent-mapbuild", kModel + " --trace " + path("bad.csv") +
                                           " --deadline 40 -o " + path("map.json"));
  EXPECT_EQ(m.code, 2);
  EXPECT_NE(m.err.find("bad.csv: line 3:"), std::string::npos) << m.err;
  EXPECT_FALSE(fs::exists(path("map.json")));
}

TEST_F(Cli, TraceGivesTheBandwidthAtATime) {
  write("t.csv", "t_s,bandwidth_kbps\n0,100\n10,50000\n");
  ASSERT_EQ(run("edgent-plan", kModel + " --trace " + path("t.csv") + " --at 12 --deadline 40 "
                                        "-o " + path("late.json")).code, 0);
  EXPECT_EQ(json("late.json")["bandwidth_kbps"], 50000.0);
  ASSERT_EQ(run("edgent-plan", kModel + " --trace " + path("t.csv") + " --at 3 --scale 2 "
                                        "--deadline 40 -o " + path("early.json")).code, 0);
  EXPECT_EQ(json("early.json")["bandwidth_kbps"], 200.0);
}

TEST_F(Cli, MapbuildAndEvaluate) {
  std::string csv = "t_s,bandwidth_kbps\n";
  for (int t = 0; t < 200; ++t) {
    csv += std::to_string(t) + "," + (t % 100 < 50 ? "300" : "8000") + "\n";
  }
  write("trace.csv", csv);
  Outcome r = run("edgent-mapbuild", kModel + " --trace " + path("trace.csv") +
                                     " --deadline 40 --rtt 10 -o " + path("map.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto map = json("map.json");
  EXPECT_EQ(map["schema"], "edgent.configmap/1");
  EXPECT_GE(map["states"].size(), 3U);
  EXPECT_EQ(map["traces"][0]["sha256"].get<std::string>().size(), 64U);
  EXPECT_NE(r.err.find("bandwidth states"), std::string::npos) << r.err;
  r = run("edgent-mapbuild", "evaluate" + kModel + " --map " + path("map.json") + " --trace " +
                                 path("trace.csv") + " -o " + path("eval.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto ev = json("eval.json");
  EXPECT_EQ(ev["schema"], "edgent.evaluation/1");
  for (const char* k : {"map", "oracle", "static"}) {
    EXPECT_TRUE(ev["total"][k]["mean_reward"].is_number()) << k;
  }
}

TEST_F(Cli, MapbuildWithCascadesPlansACascadePerState) {
  std::string csv = "t_s,bandwidth_kbps\n";
  for (int t = 0; t < 200; ++t) {
    csv += std::to_string(t) + "," + (t % 100 < 50 ? "300" : "8000") + "\n";
  }
  write("trace.csv", csv);
  const Outcome r = run("edgent-mapbuild", kModel + " --cascades " + kData + "cascade.json" +
                                           " --trace " + path("trace.csv") +
                                           " --deadline 20 --rtt 10 -o " + path("map.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto map = json("map.json");
  int cascades = 0;
  for (const auto& st : map["states"]) {
    if (st["plan"].contains("cascade")) {
      ++cascades;
      EXPECT_EQ(st["plan"]["cascade"]["exits"].back(), st["plan"]["exit"]);
      EXPECT_NEAR(st["plan"]["cascade"]["expected_ms"].get<double>(),
                  st["predicted"]["total_ms"].get<double>(), 1e-9);
      if (st["feasible"].get<bool>()) {
        EXPECT_LE(st["predicted"]["total_ms"].get<double>(), 20.0);
      }
    }
  }
  EXPECT_GT(cascades, 0) << map.dump(1);
  // evaluate replays the cascade states as cascades; with the table the oracle searches the
  // same cascades, so no policy is on time and correct more often.
  const Outcome e = run("edgent-mapbuild", "evaluate" + kModel + " --cascades " + kData +
                                               "cascade.json --map " + path("map.json") +
                                               " --trace " + path("trace.csv") + " -o " +
                                               path("eval.json"));
  ASSERT_EQ(e.code, 0) << e.err;
  const auto ev = json("eval.json")["total"];
  EXPECT_LE(ev["map"]["on_time_accuracy"].get<double>(),
            ev["oracle"]["on_time_accuracy"].get<double>() + 1e-12)
      << ev.dump(1);
  EXPECT_GT(ev["map"]["on_time_accuracy"].get<double>(), 0.0) << ev.dump(1);
  EXPECT_EQ(run("edgent-mapbuild", kModel + " --cascade-latency p95 --trace " + path("trace.csv") +
                                   " --deadline 20 -o " + path("m2.json"))
                .code,
            2);
}

TEST_F(Cli, MapbuildRecordsItsObjectiveAndRefusesAnUnknownOne) {
  std::string csv = "t_s,bandwidth_kbps\n";
  for (int t = 0; t < 100; ++t) {
    csv += std::to_string(t) + "," + (t < 50 ? "300" : "8000") + "\n";
  }
  write("trace.csv", csv);
  Outcome r = run("edgent-mapbuild", kModel + " --trace " + path("trace.csv") +
                                     " --deadline 40 --rtt 10 -o " + path("a.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json("a.json")["objective"]["name"], "accuracy") << "the default";
  r = run("edgent-mapbuild", kModel + " --trace " + path("trace.csv") +
                                 " --deadline 40 --rtt 10 --objective reward --throughput-unit s -o " +
                                 path("r.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto map = json("r.json");
  EXPECT_EQ(map["objective"]["name"], "reward");
  EXPECT_EQ(map["objective"]["throughput_unit"], "s");
  // evaluate reads the objective back from the map.
  r = run("edgent-mapbuild", "evaluate" + kModel + " --map " + path("r.json") + " --trace " +
                                 path("trace.csv") + " -o " + path("eval.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json("eval.json")["objective"]["name"], "reward");
  EXPECT_TRUE(json("eval.json")["total"]["map"]["on_time_accuracy"].is_number());
  for (const std::string bad : {"--objective latency", "--throughput-unit h", "--objective nan"}) {
    r = run("edgent-mapbuild", kModel + " --trace " + path("trace.csv") + " --deadline 40 " +
                                   bad + " -o " + path("bad.json"));
    EXPECT_EQ(r.code, 2) << bad << ": " << r.err;
    EXPECT_NE(r.err.find(bad.substr(0, bad.find(' '))), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(path("bad.json")));
  }
}

} // namespace
