#include "runtime/run_summary.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace edgent::runtime {
namespace {

/// A request that took @p total_ms against a 10 ms deadline, answered @p cls for @p label.
RequestRecord request(double total_ms, int cls, int label) {
  RequestRecord r;
  r.deadline_ms = 10;
  r.cls = cls;
  r.label = label;
  r.result.exit = 2;
  r.result.measured.total_ms = total_ms;
  r.result.measured.device_ms = total_ms;
  return r;
}

RunFacts facts() {
  RunFacts f;
  f.mode = "fits";
  f.strategy = "edgent";
  f.model_sha256 = "abc";
  f.deadline_ms = 10;
  f.probes = 3;
  f.elapsed_s = 1.5;
  return f;
}

TEST(RunSummary, CountsAccuracyOnTimeAccuracyAndMisses) {
  RunSummary s;
  s.add(request(5, 1, 1));   // correct, on time
  s.add(request(15, 1, 1));  // correct, late
  s.add(request(8, 2, 1));   // wrong, on time
  s.add(request(9, 3, -1));  // unlabelled, on time
  EXPECT_EQ(s.count(), 4u);
  const nlohmann::json j = s.to_json(facts());
  EXPECT_EQ(j["count"], 4);
  EXPECT_EQ(j["labelled"], 3);
  EXPECT_DOUBLE_EQ(j["accuracy"].get<double>(), 2.0 / 3);
  EXPECT_DOUBLE_EQ(j["on_time_accuracy"].get<double>(), 1.0 / 3);
  EXPECT_EQ(j["deadline_misses"], 1);
  EXPECT_DOUBLE_EQ(j["deadline_miss_rate"].get<double>(), 0.25);
  EXPECT_EQ(j["mode"], "fits");
  EXPECT_EQ(j["strategy"], "edgent");
  EXPECT_EQ(j["probes"], 3);
  EXPECT_EQ(j["model_sha256"], "abc");
  EXPECT_EQ(j["device"]["emulation"], "none");
  EXPECT_TRUE(j["device"]["cpus"].is_null());
  EXPECT_FALSE(j["interrupted"].get<bool>());
}

TEST(RunSummary, FallbacksOnABusyEdgeAreCountedApart) {
  RunSummary s;
  RequestRecord busy = request(5, 1, 1);
  busy.result.fallback = true;
  busy.result.edge_busy = true;
  busy.result.fallback_reason = "HTTP 503: busy";
  RequestRecord broken = request(5, 1, 1);
  broken.result.fallback = true;
  broken.result.fallback_reason = "connection refused";
  s.add(busy);
  s.add(broken);
  s.add(request(5, 1, 1));
  const nlohmann::json j = s.to_json(facts());
  EXPECT_EQ(j["fallbacks"], 2);
  EXPECT_EQ(j["busy_fallbacks"], 1);
  EXPECT_TRUE(to_json(busy)["edge_busy"].get<bool>());
  EXPECT_FALSE(to_json(broken)["edge_busy"].get<bool>());
}

TEST(RunSummary, AnswersCountEachExitByWhereItRan) {
  RunSummary s;
  RequestRecord device = request(5, 1, 1);
  device.result.exit = 1;
  s.add(device);
  s.add(device);
  RequestRecord edge = request(5, 1, 1);
  edge.result.exit = 3;
  edge.result.offloaded = true;
  s.add(edge);
  // Edge-first: the exit's last units run on the device.
  RequestRecord edge_first = edge;
  edge_first.plan.order = plan::Order::edge_first;
  s.add(edge_first);
  const nlohmann::json j = s.to_json(facts());
  ASSERT_EQ(j["answers"].size(), 2u) << j["answers"].dump();
  EXPECT_EQ(j["answers"][0], (nlohmann::json{{"exit", 1}, {"device", 2}, {"edge", 0}}));
  EXPECT_EQ(j["answers"][1], (nlohmann::json{{"exit", 3}, {"device", 1}, {"edge", 1}}));
  EXPECT_EQ(to_json(edge)["answered_on"], "edge");
  EXPECT_EQ(to_json(edge_first)["answered_on"], "device");
}

TEST(RunSummary, LatencyPercentilesInterpolateBetweenOrderStatistics) {
  RunSummary s;
  for (int i = 100; i >= 1; --i) {
    s.add(request(i, 0, 0));
  }
  const nlohmann::json lat = s.to_json(facts())["latency_ms"];
  EXPECT_DOUBLE_EQ(lat["mean"].get<double>(), 50.5);
  // stats::quantile, type 7: position q·(n − 1) between the sorted values.
  EXPECT_DOUBLE_EQ(lat["p50"].get<double>(), 50.5);
  EXPECT_DOUBLE_EQ(lat["p95"].get<double>(), 95.05);
  EXPECT_DOUBLE_EQ(lat["p99"].get<double>(), 99.01);
  EXPECT_DOUBLE_EQ(lat["max"].get<double>(), 100);

  RunSummary three;
  for (const double ms : {3.0, 1.0, 2.0}) {
    three.add(request(ms, 0, 0));
  }
  const nlohmann::json l3 = three.to_json(facts())["latency_ms"];
  EXPECT_DOUBLE_EQ(l3["p50"].get<double>(), 2);
  EXPECT_DOUBLE_EQ(l3["p95"].get<double>(), 2.9);
}

TEST(RunSummary, AnEmptyRunHasNullAccuraciesAndZeros) {
  RunFacts f = facts();
  f.mode = "plan";
  f.strategy.reset();
  f.interrupted = true;
  const nlohmann::json j = RunSummary().to_json(f);
  EXPECT_EQ(j["count"], 0);
  EXPECT_TRUE(j["accuracy"].is_null());
  EXPECT_TRUE(j["on_time_accuracy"].is_null());
  EXPECT_TRUE(j["strategy"].is_null());
  EXPECT_DOUBLE_EQ(j["deadline_miss_rate"].get<double>(), 0);
  EXPECT_DOUBLE_EQ(j["latency_ms"]["p99"].get<double>(), 0);
  EXPECT_EQ(j["overhead"]["requests"], 0);
  EXPECT_EQ(j["prediction"]["requests"], 0);
  EXPECT_TRUE(j["interrupted"].get<bool>());
}

TEST(RunSummary, OffloadsSwitchesOverheadAndPredictionErrors) {
  RunSummary s;
  RequestRecord a = request(10, 0, 0);
  a.result.offloaded = true;
  a.result.bytes_up = 1000;
  a.result.bytes_down = 40;
  a.result.measured.device_ms = 4;
  a.result.measured.edge_compute_ms = 4;
  a.result.measured.up_ms = 1.5;
  a.result.measured.down_ms = 0.5;
  a.predicted = plan::Breakdown{};
  a.predicted->device_ms = 5;
  a.predicted->edge_ms = 2;
  a.predicted->up_ms = 1;
  a.predicted->down_ms = 1;
  a.predicted->total_ms = 8;
  s.add(a);
  RequestRecord b = request(6, 0, 0);  // device only, switched to, predicted exactly
  b.switched = true;
  b.predicted = plan::Breakdown{};
  b.predicted->device_ms = 6;
  b.predicted->total_ms = 6;
  b.device_scale = 2;  // the fit alone said 3 ms
  s.add(b);
  RequestRecord c = request(20, 0, 0);  // a fallback: no prediction error counted
  c.result.fallback = true;
  c.result.fallback_reason = "timeout";
  c.predicted = b.predicted;
  s.add(c);
  RequestRecord d = request(5, 0, 0);  // infinite prediction: not counted either
  d.predicted = plan::Breakdown{};
  d.predicted->total_ms = std::numeric_limits<double>::infinity();
  s.add(d);

  const nlohmann::json j = s.to_json(facts());
  EXPECT_EQ(j["offloaded"], 1);
  EXPECT_EQ(j["fallbacks"], 1);
  EXPECT_EQ(j["plan_switches"], 1);
  EXPECT_EQ(j["bytes_up"], 1000);
  EXPECT_EQ(j["bytes_down"], 40);
  // Overhead of the offloaded request: 10 - (4 + 4) = 2 ms, 25 % of compute, over target.
  EXPECT_EQ(j["overhead"]["requests"], 1);
  EXPECT_DOUBLE_EQ(j["overhead"]["median_ms"].get<double>(), 2);
  EXPECT_DOUBLE_EQ(j["overhead"]["median_ratio"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(j["overhead"]["within_target"].get<double>(), 0);
  // Whole-request errors: |10 - 8| / 10 and 0; the median of two is their mean.
  EXPECT_EQ(j["prediction"]["requests"], 2);
  EXPECT_DOUBLE_EQ(j["prediction"]["median_rel_error"].get<double>(), 0.1);
  EXPECT_EQ(j["prediction"]["device"]["requests"], 2);
  // Device: |4 - 5| / 4 and 0 scaled; against the fit alone 0.25 and |6 - 3| / 6.
  EXPECT_DOUBLE_EQ(j["prediction"]["device"]["median_rel_error"].get<double>(), 0.125);
  EXPECT_DOUBLE_EQ(j["prediction"]["device"]["median_rel_error_profiled"].get<double>(), 0.375);
  EXPECT_EQ(j["prediction"]["edge"]["requests"], 1);
  EXPECT_DOUBLE_EQ(j["prediction"]["edge"]["median_rel_error"].get<double>(), 0.5);
  EXPECT_EQ(j["prediction"]["network"]["requests"], 1);
  EXPECT_DOUBLE_EQ(j["prediction"]["network"]["median_rel_error"].get<double>(), 0);
}

TEST(RunSummary, ACascadeRequestIsMeasuredAgainstThePredictionOfTheExitThatAnswered) {
  // A cascade expected to take 5 ms on average: 2 ms when the first exit answers, 17 ms when
  // the last does. Each request is compared with its own exit's prediction.
  plan::Breakdown expected;
  expected.device_ms = expected.total_ms = 5;
  RunSummary s;
  RequestRecord early = request(2.2, 0, 0);
  early.predicted = expected;
  early.predicted_answer = plan::Breakdown{};
  early.predicted_answer->device_ms = early.predicted_answer->total_ms = 2;
  s.add(early);
  RequestRecord late = request(15.3, 0, 0);
  late.predicted = expected;
  late.predicted_answer = plan::Breakdown{};
  late.predicted_answer->device_ms = late.predicted_answer->total_ms = 17;
  s.add(late);
  const nlohmann::json j = s.to_json(facts());
  // |2.2 - 2| / 2.2 = 0.0909 and |15.3 - 17| / 15.3 = 0.1111: median 0.101. Against the
  // expected 5 ms they would be 1.27 and 0.67.
  EXPECT_NEAR(j["prediction"]["median_rel_error"].get<double>(), (0.2 / 2.2 + 1.7 / 15.3) / 2, 1e-12);
  EXPECT_NEAR(j["prediction"]["device"]["median_rel_error"].get<double>(), (0.2 / 2.2 + 1.7 / 15.3) / 2,
              1e-12);
  EXPECT_DOUBLE_EQ(early.prediction_of_run()->total_ms, 2);
  const nlohmann::json line = to_json(late);
  EXPECT_DOUBLE_EQ(line["predicted"]["total_ms"].get<double>(), 5);
  EXPECT_DOUBLE_EQ(line["predicted_answer"]["total_ms"].get<double>(), 17);
  // Without an answer's prediction (a fixed exit), the plan's.
  RequestRecord fixed = request(4, 0, 0);
  fixed.predicted = expected;
  EXPECT_DOUBLE_EQ(fixed.prediction_of_run()->total_ms, 5);
}

TEST(RunSummary, DeviceEmulationIsNamed) {
  RunFacts f = facts();
  f.slowdown = 20;
  EXPECT_EQ(RunSummary().to_json(f)["device"]["emulation"], "dilation");
  f.slowdown = 1;
  f.cpu_quota = 0.25;
  const nlohmann::json d = RunSummary().to_json(f)["device"];
  EXPECT_EQ(d["emulation"], "cpu-quota");
  EXPECT_DOUBLE_EQ(d["cpus"].get<double>(), 0.25);
}

TEST(RequestRecord, JsonLineHasEveryKeyWithNullForTheUnknown) {
  RequestRecord r = request(12, 3, -1);
  r.id = 7;
  r.plan = {2, 1, plan::Order::edge_first, "int8", {}, std::nullopt};
  r.bandwidth_kbps = 800;
  const nlohmann::json j = to_json(r);
  EXPECT_EQ(j["id"], 7);
  EXPECT_EQ(j["input"], 7);
  EXPECT_EQ(j["plan"]["order"], "edge-first");
  EXPECT_EQ(j["plan"]["codec"], "int8");
  EXPECT_FALSE(j["plan"].contains("accuracy"));
  EXPECT_EQ(j["exit_used"], 2);
  EXPECT_TRUE(j["predicted"].is_null());
  EXPECT_TRUE(j["predicted_answer"].is_null());
  EXPECT_DOUBLE_EQ(j["measured"]["total_ms"].get<double>(), 12);
  EXPECT_DOUBLE_EQ(j["bandwidth_kbps"].get<double>(), 800);
  EXPECT_TRUE(j["rtt_ms"].is_null());
  EXPECT_TRUE(j["label"].is_null());
  EXPECT_TRUE(j["correct"].is_null());
  EXPECT_FALSE(j["deadline_met"].get<bool>());
  EXPECT_TRUE(j["fallback_reason"].is_null());
  EXPECT_FALSE(j["edge_busy"].get<bool>());
  EXPECT_DOUBLE_EQ(j["planned_queue_ms"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(j["device_scale"].get<double>(), 1.0);
  EXPECT_FALSE(j["plan"].contains("cascade"));
  EXPECT_EQ(j["answered_on"], "device");
  EXPECT_TRUE(j["confidence"].is_number());
  EXPECT_EQ(j.size(), 29u);
}

} // namespace
} // namespace edgent::runtime
