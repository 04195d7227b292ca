#include "plan/fleet_sim.hpp"

#include "core/error.hpp"

#include "support/plan_problems.hpp"

#include <gtest/gtest.h>

#include <random>
#include <sstream>
#include <string>

namespace edgent::plan {
namespace {

using testing::hand_problem;

TEST(EdgePool, MD1WaitMatchesPollaczekKhinchine) {
  // Poisson arrivals at 0.5 per ms, 1 ms of service each: rho = 0.5 and the mean wait of an
  // M/D/1 queue is rho * D / (2 (1 - rho)) = 0.5 ms.
  EdgePool pool({/*edges=*/1, /*workers=*/1, /*max_queue=*/0});
  std::mt19937_64 rng(7);
  std::exponential_distribution<double> gap(0.5);
  double t = 0;
  double wait = 0;
  const int n = 400000;
  for (int i = 0; i < n; ++i) {
    t += gap(rng);
    const Admission a = pool.admit(t, 1.0);
    ASSERT_TRUE(a.accepted);
    wait += a.wait_ms;
  }
  EXPECT_NEAR(wait / n, 0.5, 0.5 * 0.04);
  EXPECT_NEAR(pool.busy_ms() / t, 0.5, 0.01);
}

TEST(EdgePool, NoWaitWhenArrivalsAreFartherApartThanTheService) {
  EdgePool pool({1, 1, 0});
  for (int i = 0; i < 100; ++i) {
    const Admission a = pool.admit(i * 2.0, 1.9);
    EXPECT_TRUE(a.accepted);
    EXPECT_EQ(a.wait_ms, 0.0);
    EXPECT_DOUBLE_EQ(a.done_ms, i * 2.0 + 1.9);
  }
}

TEST(EdgePool, DeterministicOverloadWaitsGrowByTheDifference) {
  // D/D/1 with arrivals every 1 ms and 1.5 ms of service: request i waits 0.5 i ms.
  EdgePool pool({1, 1, 0});
  for (int i = 0; i < 50; ++i) {
    EXPECT_NEAR(pool.admit(i * 1.0, 1.5).wait_ms, 0.5 * i, 1e-9);
  }
}

TEST(EdgePool, LeastconnSpreadsAndFillsTheIdleEdgeFirst) {
  EdgePool pool({/*edges=*/3, 1, 0});
  // Three at once go to three edges, none waits.
  for (int i = 0; i < 3; ++i) {
    const Admission a = pool.admit(0, 10);
    EXPECT_EQ(a.edge, i);
    EXPECT_EQ(a.wait_ms, 0.0);
  }
  // Edge 1 finishes first; the next request goes there, not to the next in turn.
  EdgePool uneven({2, 1, 0});
  EXPECT_EQ(uneven.admit(0, 10).edge, 0);
  EXPECT_EQ(uneven.admit(0, 1).edge, 1);
  EXPECT_EQ(uneven.admit(2, 1).edge, 1);
  EXPECT_EQ(uneven.admit(2, 1).edge, 0) << "one in flight on each: ties go to the edge after "
                                           "the last one chosen";
}

TEST(EdgePool, WorkersOfOneEdgeServeInParallel) {
  EdgePool pool({1, /*workers=*/2, 0});
  EXPECT_EQ(pool.admit(0, 10).wait_ms, 0.0);
  EXPECT_EQ(pool.admit(0, 10).wait_ms, 0.0);
  EXPECT_DOUBLE_EQ(pool.admit(0, 10).wait_ms, 10.0);
}

TEST(EdgePool, AFullQueueAnswers503) {
  EdgePool pool({1, 1, /*max_queue=*/1});
  EXPECT_TRUE(pool.admit(0, 10).accepted);   // served
  EXPECT_TRUE(pool.admit(0, 10).accepted);   // waits
  EXPECT_FALSE(pool.admit(1, 10).accepted);  // the queue holds one already
  EXPECT_TRUE(pool.admit(10, 10).accepted) << "the waiting one started at 10";
}

TEST(EdgePool, RejectsBadOptions) {
  EXPECT_THROW(EdgePool({0, 1, 0}), ConfigError);
  EXPECT_THROW(EdgePool({1, 0, 0}), ConfigError);
  EXPECT_THROW(EdgePool({1, 1, -1}), ConfigError);
}

FleetOptions light() {
  FleetOptions o;
  o.devices = 1;
  o.rate_hz = 2;
  o.seconds = 10;
  o.deadline_ms = 40;
  o.kbps = 1000;
  o.rtt_ms = 2;
  return o;
}

TEST(FleetSim, OneDeviceAtLowLoadSeesNoQueueAndThePlannedLatency) {
  const LatencyModel model(hand_problem());
  const FleetOptions o = light();
  const Decision d = decide(model, offload_network(o.kbps, o.kbps, o.rtt_ms), o.deadline_ms,
                            Strategy::edgent);
  ASSERT_TRUE(d.feasible);
  ASSERT_GE(d.choice.codec, 0) << "the hand problem offloads at 1000 kbps and 40 ms";
  const FleetResult r = simulate_fleet(model, o);
  EXPECT_EQ(r.requests, 20u);
  EXPECT_EQ(r.mean_wait_ms, 0.0);
  EXPECT_EQ(r.miss_rate, 0.0);
  EXPECT_DOUBLE_EQ(r.offloaded, 1.0);
  EXPECT_NEAR(r.p95_latency_ms, d.predicted.total_ms, 1e-9);
  EXPECT_NEAR(r.on_time_accuracy, *d.accuracy, 1e-12);
  EXPECT_EQ(r.busy_fallbacks, 0u);
}

TEST(FleetSim, AnOverloadedEdgeHurtsTheLoadBlindDevicesMore) {
  const LatencyModel model(hand_problem());
  FleetOptions o = light();
  o.devices = 100;
  o.rate_hz = 20;  // 2000 requests/s for one worker whose service takes milliseconds
  o.seconds = 5;
  o.load_aware = false;
  const FleetResult blind = simulate_fleet(model, o);
  o.load_aware = true;
  const FleetResult aware = simulate_fleet(model, o);
  EXPECT_GT(blind.miss_rate, 0.5);
  EXPECT_LT(aware.miss_rate, blind.miss_rate);
  EXPECT_LT(aware.offloaded, blind.offloaded) << "a busy edge pushes the plans to the device";
  EXPECT_GT(aware.on_time_accuracy, blind.on_time_accuracy);
}

TEST(FleetSim, MoreEdgesShortenTheWait) {
  const LatencyModel model(hand_problem());
  FleetOptions o = light();
  o.devices = 40;
  o.rate_hz = 10;
  o.load_aware = false;
  const FleetResult one = simulate_fleet(model, o);
  o.pool.edges = 4;
  const FleetResult four = simulate_fleet(model, o);
  EXPECT_GT(one.mean_wait_ms, 0.0);
  EXPECT_LT(four.mean_wait_ms, one.mean_wait_ms);
  EXPECT_EQ(four.per_edge.size(), 4u);
  for (const std::size_t n : four.per_edge) {
    EXPECT_GT(n, 0u);
  }
}

TEST(FleetSim, AFullEdgeQueueIsAFallbackOnTheDevice) {
  const LatencyModel model(hand_problem());
  FleetOptions o = light();
  o.devices = 100;
  o.rate_hz = 20;
  o.seconds = 2;
  o.load_aware = false;
  o.pool.max_queue = 2;
  const FleetResult r = simulate_fleet(model, o);
  EXPECT_GT(r.busy_fallbacks, 0u);
  EXPECT_EQ(r.requests, 100u * 40u) << "every request is answered, on the edge or the device";
}

TEST(FleetSim, SameSeedSameFigures) {
  const LatencyModel model(hand_problem());
  FleetOptions o = light();
  o.devices = 20;
  o.poisson = true;
  const FleetResult a = simulate_fleet(model, o);
  const FleetResult b = simulate_fleet(model, o);
  EXPECT_EQ(a.miss_rate, b.miss_rate);
  EXPECT_EQ(a.mean_wait_ms, b.mean_wait_ms);
}

TEST(FleetSim, ResidualsScaleEachPartOfARequest) {
  const LatencyModel model(hand_problem());
  FleetOptions o = light();
  o.deadline_ms = 1000;  // every request meets it, with and without the residuals
  const FleetResult exact = simulate_fleet(model, o);
  o.residuals.requests = {{2.0, 2.0, 2.0}};
  const FleetResult doubled = simulate_fleet(model, o);
  EXPECT_NEAR(doubled.p95_latency_ms, 2 * exact.p95_latency_ms, 1e-9);
  EXPECT_NEAR(doubled.edge_utilization, 2 * exact.edge_utilization, 1e-12);
  o.residuals.requests = {{1.0, 1.0, 1.0}};
  const FleetResult ones = simulate_fleet(model, o);
  EXPECT_EQ(ones.p95_latency_ms, exact.p95_latency_ms) << "ratios of 1 change nothing";
}

TEST(FleetSim, ResidualsCanMakeAPlanThatFitsMissTheDeadline) {
  const LatencyModel model(hand_problem());
  FleetOptions o = light();
  const FleetResult exact = simulate_fleet(model, o);
  ASSERT_EQ(exact.miss_rate, 0.0);
  // Half the requests take 3x longer than predicted on every part.
  o.residuals.requests = {{1.0, 1.0, 1.0}, {3.0, 3.0, 3.0}};
  o.seconds = 50;
  const FleetResult noisy = simulate_fleet(model, o);
  EXPECT_GT(noisy.miss_rate, 0.2);
  EXPECT_LT(noisy.miss_rate, 1.0);
}

TEST(FleetSim, ReadsResidualsFromRecords) {
  std::istringstream in(
      // device-first offload: device 2 + codec 1 predicted, 6 measured -> 2; edge 4 -> 5
      // measured: 1.25; link 3 + 1 predicted, 6 + 2 measured -> 2.
      R"({"fallback":false,"offloaded":true,"predicted":{"device_ms":2,"codec_ms":1,"edge_ms":4,"up_ms":3,"down_ms":1},"measured":{"device_ms":5,"codec_ms":1,"edge_compute_ms":5,"edge_queue_ms":9,"up_ms":6,"down_ms":2}})"
      "\n\n"
      // device-only: a device ratio only.
      R"({"fallback":false,"offloaded":false,"predicted":{"device_ms":10,"codec_ms":0,"edge_ms":0,"up_ms":0,"down_ms":0},"measured":{"device_ms":12,"codec_ms":0,"edge_compute_ms":0,"up_ms":0,"down_ms":0}})"
      "\n"
      // a fallback and a run without fits add nothing.
      R"({"fallback":true,"offloaded":false,"predicted":{"device_ms":10,"codec_ms":0,"edge_ms":1,"up_ms":1,"down_ms":1},"measured":{"device_ms":90,"codec_ms":0,"edge_compute_ms":0,"up_ms":0,"down_ms":0}})"
      "\n"
      R"({"fallback":false,"offloaded":false,"predicted":null,"measured":{"device_ms":1}})"
      "\n");
  const Residuals r = read_residuals(in, "run.jsonl");
  ASSERT_EQ(r.requests.size(), 2u);
  EXPECT_DOUBLE_EQ(r.requests[0].device, 2.0);
  EXPECT_DOUBLE_EQ(r.requests[0].edge, 1.25);
  EXPECT_DOUBLE_EQ(r.requests[0].link, 2.0);
  EXPECT_DOUBLE_EQ(r.requests[1].device, 1.2);
  EXPECT_DOUBLE_EQ(r.requests[1].edge, 1.0) << "no edge part: 1";
  EXPECT_DOUBLE_EQ(r.requests[1].link, 1.0);
}

TEST(FleetSim, ResidualErrorsNameTheFileLineAndKey) {
  std::istringstream bad_json("{}\n{oops\n");
  try {
    read_residuals(bad_json, "run.jsonl");
    FAIL() << "accepted a line that is not JSON";
  } catch (const SchemaError& e) {
    EXPECT_NE(e.message().find("run.jsonl"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("line 2"), std::string::npos) << e.message();
  }
  std::istringstream missing(
      R"({"offloaded":true,"predicted":{"device_ms":1,"codec_ms":0,"edge_ms":1,"up_ms":1,"down_ms":1},"measured":{"device_ms":1}})"
      "\n");
  try {
    read_residuals(missing, "run.jsonl");
    FAIL() << "accepted a record without measured.codec_ms";
  } catch (const SchemaError& e) {
    EXPECT_NE(e.message().find("run.jsonl:1"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("codec_ms"), std::string::npos) << e.message();
  }
}

TEST(FleetSim, RejectsBadOptions) {
  const LatencyModel model(hand_problem());
  FleetOptions o = light();
  o.devices = 0;
  EXPECT_THROW(simulate_fleet(model, o), ConfigError);
  o = light();
  o.deadline_ms = 0;
  EXPECT_THROW(simulate_fleet(model, o), ConfigError);
  o = light();
  o.rate_hz = -1;
  EXPECT_THROW(simulate_fleet(model, o), ConfigError);
}

} // namespace
} // namespace edgent::plan
