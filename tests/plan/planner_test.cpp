#include "plan/planner.hpp"

#include "core/error.hpp"

#include "support/plan_problems.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace edgent::plan {
namespace {

using testing::hand_problem;

TEST(LatencyModel, DeviceFirstBreakdownByHand) {
  const LatencyModel m(hand_problem());
  const Network net{/*up_kbps=*/800, /*down_kbps=*/400, /*rtt_ms=*/10, /*edge_queue_ms=*/3};
  // exit 2, cut 1: device 10; upload 4000 B int8 = 1000 B = 8000 bit at 800 kbps = 10 ms + 5;
  // edge 4 + 6 + 3 queue; download 40 B = 320 bit at 400 kbps = 0.8 ms + 5.
  const Breakdown b = m.latency(Choice{1, 1, Order::device_first, 1}, net);
  EXPECT_DOUBLE_EQ(b.device_ms, 10);
  EXPECT_DOUBLE_EQ(b.up_ms, 15);
  EXPECT_DOUBLE_EQ(b.edge_ms, 13);
  EXPECT_DOUBLE_EQ(b.down_ms, 5.8);
  EXPECT_DOUBLE_EQ(b.total_ms, 10 + 15 + 13 + 5.8);
}

TEST(LatencyModel, EdgeFirstBreakdownByHand) {
  const LatencyModel m(hand_problem());
  const Network net{800, 400, 10, 0};
  // exit 2, cut 2 edge-first: upload fp32 input 1000 B = 10 ms + 5; edge 2 + 4; download
  // tensor 2 (2000 B fp32) = 40 ms + 5; device runs unit 3: 30.
  const Breakdown b = m.latency(Choice{1, 2, Order::edge_first, 0}, net);
  EXPECT_DOUBLE_EQ(b.up_ms, 15);
  EXPECT_DOUBLE_EQ(b.edge_ms, 6);
  EXPECT_DOUBLE_EQ(b.down_ms, 45);
  EXPECT_DOUBLE_EQ(b.device_ms, 30);
}

TEST(LatencyModel, EachSideThatWorksPaysItsRequestStartAndCodec) {
  PlanProblem p = hand_problem();
  p.device_request_ms = 2;
  p.device_request_ms_per_param_byte = 0.001;
  p.edge_request_ms = 0.5;
  p.edge_request_ms_per_param_byte = 0.0001;
  p.exits[1].param_bytes = {1000, 2000, 3000};
  CodecTime int8;
  int8.encode_ms = 0.3;
  int8.encode_ms_per_byte = 0.0001;
  int8.decode_ms = 0.2;
  int8.decode_ms_per_byte = 0.0002;
  p.codecs[1].device = int8;
  p.codecs[1].edge = int8;
  CodecTime fp32;
  fp32.encode_ms = 0.01;
  fp32.decode_ms = 0.02;
  p.fp32.device = fp32;
  p.fp32.edge = fp32;
  const LatencyModel m(p);
  const Network net{800, 400, 10, 0};
  // exit 2, cut 1, int8: the device starts cold with its head (2 + 1 per weight kB), encodes
  // the 4000-byte tensor (0.3 + 0.4) and decodes the 40-byte fp32 logits (0.02); the edge
  // starts cold (0.5), decodes (0.2 + 0.8), runs units 2-3 (10 + 0.5 for 5000 weight
  // bytes) and encodes the logits (0.01).
  Breakdown b = m.latency(Choice{1, 1, Order::device_first, 1}, net);
  EXPECT_DOUBLE_EQ(b.device_ms, 10 + 2 + 1);
  EXPECT_DOUBLE_EQ(b.codec_ms, 0.3 + 0.4 + 0.02);
  EXPECT_DOUBLE_EQ(b.edge_ms, 0.5 + 0.2 + 0.8 + 10 + 0.5 + 0.01);
  EXPECT_DOUBLE_EQ(b.total_ms, b.device_ms + b.codec_ms + b.edge_ms + b.up_ms + b.down_ms);
  // Edge-only: the device's cold start lands on encoding the input (1000 bytes).
  b = m.latency(Choice{1, 0, Order::device_first, 1}, net);
  EXPECT_DOUBLE_EQ(b.device_ms, 0);
  EXPECT_DOUBLE_EQ(b.codec_ms, 2 + 0.3 + 0.1 + 0.02);
  // Device-only: one cold start and every weight, no codec, nothing on the edge.
  b = m.latency(Choice{1, 3, Order::device_first, -1}, net);
  EXPECT_DOUBLE_EQ(b.device_ms, 60 + 2 + 6);
  EXPECT_DOUBLE_EQ(b.codec_ms, 0);
  EXPECT_DOUBLE_EQ(b.edge_ms, 0);
  // A whole chain's cold start measured for its exit replaces the line on that side; a head
  // keeps the line.
  {
    PlanProblem q = p;
    q.exits[1].device_chain_request_ms = 5;
    q.exits[1].edge_chain_request_ms = 0.7;
    const LatencyModel mq(q);
    EXPECT_DOUBLE_EQ(mq.latency(Choice{1, 3, Order::device_first, -1}, net).device_ms, 60 + 5);
    EXPECT_DOUBLE_EQ(mq.latency(Choice{1, 1, Order::device_first, 1}, net).device_ms, 10 + 2 + 1);
    EXPECT_DOUBLE_EQ(mq.latency(Choice{1, 0, Order::device_first, 1}, net).edge_ms,
                     0.7 + 0.2 + 0.2 + 12 + 0.01);
  }
  // Measured as a request's first work, the cold encoding replaces cold start + encoding.
  {
    PlanProblem q = p;
    q.codecs[1].device.encode_first_ms = 1.5;
    const LatencyModel mq(q);
    EXPECT_DOUBLE_EQ(mq.latency(Choice{1, 0, Order::device_first, 1}, net).codec_ms, 1.5 + 0.02);
  }
  // Edge-first cut 2: the device encodes the fp32 input cold and decodes tensor 2 in int8.
  b = m.latency(Choice{1, 2, Order::edge_first, 1}, net);
  EXPECT_DOUBLE_EQ(b.codec_ms, 2 + 0.01 + 0.2 + 0.4);
  EXPECT_DOUBLE_EQ(b.device_ms, 30 + 3);
  EXPECT_DOUBLE_EQ(b.edge_ms, 0.5 + 0.02 + 6 + 0.3 + 0.3 + 0.2);
}

TEST(LatencyModel, ASegmentRunsAsOneNetAndSavesThePerNetCost) {
  PlanProblem p = hand_problem();
  p.device_net_ms = 1.5;
  p.edge_net_ms = 0.5;
  const LatencyModel m(p);
  const Network net{800, 400, 10, 0};
  // Device-first, exit 2, cut 2: device runs units 1-2 as one net: 10 + 20 - 1.5; the edge
  // runs unit 3 alone: 6, no saving.
  Breakdown b = m.latency(Choice{1, 2, Order::device_first, 0}, net);
  EXPECT_DOUBLE_EQ(b.device_ms, 28.5);
  EXPECT_DOUBLE_EQ(b.edge_ms, 6);
  // Edge-first, exit 2, cut 3: the edge runs all three units: 12 - 2 * 0.5; no device part.
  b = m.latency(Choice{1, 3, Order::edge_first, 0}, net);
  EXPECT_DOUBLE_EQ(b.edge_ms, 11);
  EXPECT_DOUBLE_EQ(b.device_ms, 0);
  // Device only: 60 - 2 * 1.5.
  b = m.latency(Choice{1, 3, Order::device_first, 0}, net);
  EXPECT_DOUBLE_EQ(b.device_ms, 57);
  // Per byte: the boundaries inside exit 2's device-only chain carry 4000 and 2000 bytes.
  p.device_net_ms_per_byte = 1e-3;
  b = LatencyModel(p).latency(Choice{1, 3, Order::device_first, 0}, net);
  EXPECT_DOUBLE_EQ(b.device_ms, 60 - 2 * 1.5 - 6000 * 1e-3);
  p.device_net_ms = -1;
  EXPECT_THROW(LatencyModel{p}, ConfigError);
}

TEST(LatencyModel, DeviceOnlyHasNoTransferAndEdgeOnlyNoDevice) {
  const LatencyModel m(hand_problem());
  const Network net{0, 0, 50, 7}; // no link at all
  const Breakdown dev = m.latency(Choice{1, 3, Order::device_first, -1}, net);
  EXPECT_DOUBLE_EQ(dev.total_ms, 60);
  EXPECT_DOUBLE_EQ(dev.up_ms + dev.down_ms + dev.edge_ms, 0);
  const Breakdown edge = m.latency(Choice{1, 0, Order::device_first, 0}, Network{8, 8, 2, 0});
  EXPECT_DOUBLE_EQ(edge.device_ms, 0);
  EXPECT_DOUBLE_EQ(edge.edge_ms, 12);
  EXPECT_DOUBLE_EQ(edge.up_ms, 1 + 1000.0);   // 8000 bit at 8 kbps
  EXPECT_DOUBLE_EQ(edge.down_ms, 1 + 40.0);   // 320 bit at 8 kbps
  EXPECT_TRUE(std::isinf(m.latency(Choice{1, 0, Order::device_first, 0}, net).total_ms));
}

TEST(LatencyModel, TheDeviceScaleMultipliesTheDevicesComputeAndCodecOnly) {
  PlanProblem p = hand_problem();
  p.device_request_ms = 2;
  const LatencyModel m(p);
  Network net{800, 400, 10, 3};
  const Choice first{1, 1, Order::device_first, 1};
  const Choice last{1, 2, Order::edge_first, 0};
  const Breakdown a = m.latency(first, net);
  const Breakdown e = m.latency(last, net);
  net.device_scale = 2.5;
  const Breakdown b = m.latency(first, net);
  EXPECT_DOUBLE_EQ(b.device_ms, 2.5 * a.device_ms);
  EXPECT_DOUBLE_EQ(b.codec_ms, 2.5 * a.codec_ms);
  EXPECT_DOUBLE_EQ(b.edge_ms, a.edge_ms);
  EXPECT_DOUBLE_EQ(b.up_ms, a.up_ms);
  EXPECT_DOUBLE_EQ(b.down_ms, a.down_ms);
  EXPECT_DOUBLE_EQ(b.total_ms, b.device_ms + b.codec_ms + b.edge_ms + b.up_ms + b.down_ms);
  const Breakdown f = m.latency(last, net);
  EXPECT_DOUBLE_EQ(f.device_ms, 2.5 * e.device_ms);
  EXPECT_DOUBLE_EQ(f.edge_ms, e.edge_ms);
  // The planner sees it: device-only (62 ms as profiled) meets 70 ms, and not on a device
  // 2.5x slower.
  net.device_scale = 1;
  EXPECT_TRUE(decide(m, net, 70, Strategy::device_only).feasible);
  net.device_scale = 2.5;
  const Decision slow = decide(m, net, 70, Strategy::device_only);
  EXPECT_FALSE(slow.feasible);
  EXPECT_DOUBLE_EQ(slow.predicted.total_ms, 2.5 * 62);
}

TEST(LatencyModel, OffloadNetworkAddsTheProtocolBytesToEachTransfer) {
  const LatencyModel m(hand_problem());
  const Network plain{800, 400, 10, 0};
  const Network offload = offload_network(800, 400, 10);
  const Choice split{1, 1, Order::device_first, 1};
  EXPECT_DOUBLE_EQ(m.latency(split, offload).up_ms - m.latency(split, plain).up_ms,
                   kOffloadUpOverheadBytes * 8 / 800);
  EXPECT_DOUBLE_EQ(m.latency(split, offload).down_ms - m.latency(split, plain).down_ms,
                   kOffloadDownOverheadBytes * 8 / 400);
  const Choice device_only{1, 3, Order::device_first, -1};
  EXPECT_DOUBLE_EQ(m.latency(device_only, offload).total_ms,
                   m.latency(device_only, plain).total_ms);
}

TEST(LatencyModel, MeasuredSizesOverrideTheCodecRatio) {
  PlanProblem p = hand_problem();
  p.exits[1].encoded_bytes.assign(4 * 2, std::nullopt);
  p.exits[1].encoded_bytes[1 * 2 + 1] = 100; // cut 1, int8: measured 100 B, not 1000 B
  const LatencyModel m(p);
  EXPECT_DOUBLE_EQ(m.tensor_bytes(1, 1, 1), 100);
  EXPECT_DOUBLE_EQ(m.tensor_bytes(1, 1, 0), 4000);
  EXPECT_DOUBLE_EQ(m.tensor_bytes(1, 2, 1), 500);
  const Breakdown b = m.latency(Choice{1, 1, Order::device_first, 1}, Network{800, 800, 0, 0});
  EXPECT_DOUBLE_EQ(b.up_ms, 1.0); // 800 bit at 800 kbps
}

TEST(Planner, ZeroBandwidthFallsBackToDevice) {
  const LatencyModel m(hand_problem());
  const Decision d = decide(m, Network{0, 0, 0, 0}, 1000, Strategy::edgent);
  ASSERT_TRUE(d.feasible);
  EXPECT_EQ(d.choice.exit_index, 1);
  EXPECT_EQ(d.choice.cut, 3);
  EXPECT_EQ(d.choice.codec, -1);
}

TEST(Planner, InfeasibleReturnsFastestFlagged) {
  const LatencyModel m(hand_problem());
  const Network net{100, 100, 10, 0};
  const Decision d = decide(m, net, /*deadline_ms=*/1, Strategy::edgent);
  EXPECT_FALSE(d.feasible);
  ASSERT_TRUE(d.found);
  double fastest = std::numeric_limits<double>::infinity();
  for (const Choice& c : candidates(m, Strategy::edgent)) {
    fastest = std::min(fastest, m.latency(c, net).total_ms);
  }
  EXPECT_DOUBLE_EQ(d.predicted.total_ms, fastest);
}

TEST(Planner, HigherAccuracyBeatsLowerLatencyWithinDeadline) {
  const LatencyModel m(hand_problem());
  // Device-only: exit 1 = 15 ms (0.8), exit 2 = 60 ms (0.9).
  const Decision d = decide(m, Network{0, 0, 0, 0}, 60, Strategy::exit_only);
  EXPECT_EQ(d.choice.exit_index, 1);
  const Decision d2 = decide(m, Network{0, 0, 0, 0}, 59.9, Strategy::exit_only);
  EXPECT_EQ(d2.choice.exit_index, 0);
  ASSERT_TRUE(d2.accuracy);
  EXPECT_DOUBLE_EQ(*d2.accuracy, 0.8);
}

TEST(Planner, UnknownAccuracyTakesDeepestFittingExit) {
  PlanProblem p = hand_problem();
  p.exits[0].accuracy.reset();
  const LatencyModel m(p);
  const Decision d = decide(m, Network{0, 0, 0, 0}, 100, Strategy::exit_only);
  EXPECT_EQ(d.choice.exit_index, 1);
  EXPECT_FALSE(d.accuracy);
  const Decision d2 = decide(m, Network{0, 0, 0, 0}, 20, Strategy::exit_only);
  EXPECT_EQ(d2.choice.exit_index, 0);
}

TEST(Planner, CodecAccuracyTableOverridesExitAccuracy) {
  PlanProblem p = hand_problem();
  p.exits[1].codec_accuracy.assign(4 * 2, std::nullopt);
  p.exits[1].codec_accuracy[1 * 2 + 1] = 0.5; // cut 1, int8: much worse
  const LatencyModel m(p);
  EXPECT_DOUBLE_EQ(*m.accuracy(Choice{1, 1, Order::device_first, 1}), 0.5);
  EXPECT_DOUBLE_EQ(*m.accuracy(Choice{1, 1, Order::device_first, 0}), 0.9);
  EXPECT_DOUBLE_EQ(*m.accuracy(Choice{1, 3, Order::device_first, -1}), 0.9);
}

TEST(Planner, BaselinesPickWhatTheirDefinitionSays) {
  const LatencyModel m(hand_problem());
  const Network net{5000, 5000, 5, 0};
  const Decision dev = decide(m, net, 1000, Strategy::device_only);
  EXPECT_EQ(dev.choice.exit_index, 1);
  EXPECT_EQ(dev.choice.cut, 3);
  EXPECT_EQ(dev.choice.codec, -1);
  const Decision edge = decide(m, net, 1000, Strategy::edge_only);
  EXPECT_EQ(edge.choice.exit_index, 1);
  EXPECT_EQ(edge.choice.cut, 0);
  EXPECT_EQ(edge.choice.order, Order::device_first);
  for (const Choice& c : candidates(m, Strategy::partition_only)) {
    EXPECT_EQ(c.exit_index, 1);
  }
  for (const Choice& c : candidates(m, Strategy::exit_only)) {
    EXPECT_EQ(c.codec, -1);
    EXPECT_EQ(c.cut, m.problem().exits[c.exit_index].units());
  }
  EXPECT_EQ(candidates(m, Strategy::exit_only).size(), 2U);
  EXPECT_EQ(candidates(m, Strategy::device_only).size(), 1U);
  EXPECT_EQ(candidates(m, Strategy::edge_only).size(), 2U); // one per codec
}

TEST(Planner, OrdersCanBeDisallowed) {
  const LatencyModel m(hand_problem());
  for (const Choice& c : candidates(m, Strategy::edgent, SearchSpace{true, false})) {
    EXPECT_EQ(c.order, Order::device_first);
  }
  for (const Choice& c : candidates(m, Strategy::edgent, SearchSpace{false, true})) {
    EXPECT_TRUE(c.order == Order::edge_first || c.codec == -1);
  }
}

TEST(Planner, EquivalentPlansAreCountedOnce) {
  const LatencyModel m(hand_problem());
  // exit 1 (n=2): edge-only ×2 codecs, interior cut 1 ×2 device-first, device-only,
  // edge-first cut 1 ×2 = 7; exit 2 (n=3): 2 + 4 + 1 + 4 = 11.
  EXPECT_EQ(candidates(m, Strategy::edgent).size(), 18U);
}

TEST(Planner, TheRewardObjectiveTradesAccuracyForThroughput) {
  const LatencyModel m(hand_problem());
  const Network net{1e9, 1e9, 0, 0};
  // Both exits fit 200 ms on the device: the accuracy objective takes exit 2 (0.9, 60 ms),
  // the reward per second exit 1 (0.8, 15 ms: exp(0.8) + 66.7 beats exp(0.9) + 16.7).
  const Decision a = decide(m, net, 200, Strategy::exit_only);
  EXPECT_EQ(a.choice.exit_index, 1);
  const Decision r = decide(m, net, 200, Strategy::exit_only, {}, {Objective::Kind::reward, 1000});
  EXPECT_EQ(r.choice.exit_index, 0);
  // Per ms the throughput term is small: the reward agrees with the accuracy.
  EXPECT_EQ(decide(m, net, 200, Strategy::exit_only, {}, {Objective::Kind::reward, 1}).choice.exit_index, 1);
  EXPECT_EQ(parse_objective("accuracy"), Objective::Kind::accuracy);
  EXPECT_THROW(parse_objective("latency"), UsageError);
  EXPECT_DOUBLE_EQ(parse_throughput_unit("s"), 1000);
  EXPECT_EQ(throughput_unit_name(1e-3), "us");
  EXPECT_THROW(parse_throughput_unit("h"), UsageError);
}

TEST(Reward, Formula) {
  EXPECT_DOUBLE_EQ(reward(0.9, 50, 100), std::exp(0.9) + 1.0 / 50);
  EXPECT_DOUBLE_EQ(reward(0.9, 100, 100), std::exp(0.9) + 1.0 / 100);
  EXPECT_EQ(reward(0.9, 100.01, 100), 0.0);
  EXPECT_EQ(reward(0.9, std::numeric_limits<double>::infinity(), 100), 0.0);
}

TEST(Problem, RejectsEmptyCodecsAndBadSizes) {
  PlanProblem p = hand_problem();
  p.codecs.clear();
  EXPECT_THROW(LatencyModel{p}, ConfigError);
  p = hand_problem();
  p.exits[0].fp32_bytes.pop_back();
  EXPECT_THROW(LatencyModel{p}, ConfigError);
  p = hand_problem();
  p.exits[0].device_ms[0] = -1;
  EXPECT_THROW(LatencyModel{p}, ConfigError);
  p = hand_problem();
  p.exits[0].cuts = {0, 2, 1};
  EXPECT_THROW(LatencyModel{p}, ConfigError);
}

// ---- brute force on random small instances --------------------------------------------------

/// Latency computed directly from the definitions, without prefix sums.
double brute_latency(const PlanProblem& p, int x, int cut, bool edge_first, int codec,
                     const Network& net) {
  const ExitCosts& e = p.exits[x];
  const int n = e.units();
  double dev = 0;
  double edge = 0;
  if (!edge_first && cut == n) {
    for (double v : e.device_ms) {
      dev += v;
    }
    return dev;
  }
  for (int u = 0; u < n; ++u) {
    const bool before = u < cut;
    if (before != edge_first) {
      dev += e.device_ms[u];
    } else {
      edge += e.edge_ms[u];
    }
  }
  const double tensor = e.fp32_bytes[cut] * p.codecs[codec].ratio * 8;
  const double up_bits = edge_first ? e.fp32_bytes[0] * 8 : tensor;
  const double down_bits = edge_first ? tensor : e.fp32_bytes[n] * 8;
  return dev + edge + net.edge_queue_ms + net.rtt_ms + up_bits / net.up_kbps +
         down_bits / net.down_kbps;
}

TEST(Planner, MatchesBruteForceOnRandomInstances) {
  std::mt19937 rng(12345);
  std::uniform_real_distribution<double> ms(0.0, 20.0);
  std::uniform_real_distribution<double> bytes(10.0, 50000.0);
  std::uniform_int_distribution<int> units(1, 6);
  std::uniform_int_distribution<int> coin(0, 1);
  int infeasible = 0;
  for (int trial = 0; trial < 400; ++trial) {
    PlanProblem p;
    p.codecs = {{"fp32", 1.0}, {"fp16", 0.5}, {"int8", 0.25}};
    const int nexit = 1 + trial % 3;
    for (int x = 0; x < nexit; ++x) {
      ExitCosts e;
      e.exit = x + 1;
      const int n = units(rng);
      for (int u = 0; u < n; ++u) {
        e.device_ms.push_back(ms(rng));
        e.edge_ms.push_back(ms(rng) / 5);
      }
      for (int c = 0; c <= n; ++c) {
        e.fp32_bytes.push_back(bytes(rng));
        if (c == 0 || c == n || coin(rng)) {
          e.cuts.push_back(c);
        }
      }
      e.accuracy = std::round(std::uniform_real_distribution<double>(0.5, 0.95)(rng) * 20) / 20;
      p.exits.push_back(e);
    }
    const Network net{std::uniform_real_distribution<double>(50, 20000)(rng),
                      std::uniform_real_distribution<double>(50, 20000)(rng),
                      std::uniform_real_distribution<double>(0, 30)(rng), 0};
    const double deadline = std::uniform_real_distribution<double>(5, 80)(rng);
    const LatencyModel m(p);
    const Decision d = decide(m, net, deadline, Strategy::edgent);

    // Brute force: every exit, every valid cut, both orders, every codec.
    double best_acc = -1;
    double best_lat = std::numeric_limits<double>::infinity();
    double fastest = std::numeric_limits<double>::infinity();
    for (int x = 0; x < nexit; ++x) {
      const ExitCosts& e = p.exits[x];
      for (int cut : e.cuts) {
        for (int ef = 0; ef < 2; ++ef) {
          for (int k = 0; k < 3; ++k) {
            double lat = 0;
            if (ef == 1 && (cut == 0 || cut == e.units())) {
              continue; // equivalent to device-only / edge-only
            }
            lat = brute_latency(p, x, cut, ef == 1, k, net);
            fastest = std::min(fastest, lat);
            if (lat <= deadline && (*e.accuracy > best_acc + 1e-12 ||
                                    (*e.accuracy >= best_acc - 1e-12 && lat < best_lat))) {
              best_acc = *e.accuracy;
              best_lat = lat;
            }
          }
        }
      }
    }
    if (best_acc < 0) {
      ++infeasible;
      EXPECT_FALSE(d.feasible) << "trial " << trial;
      EXPECT_NEAR(d.predicted.total_ms, fastest, 1e-9) << "trial " << trial;
    } else {
      ASSERT_TRUE(d.feasible) << "trial " << trial;
      EXPECT_DOUBLE_EQ(*d.accuracy, best_acc) << "trial " << trial;
      EXPECT_NEAR(d.predicted.total_ms, best_lat, 1e-9) << "trial " << trial;
    }
  }
  // The instances must exercise both outcomes.
  EXPECT_GT(infeasible, 10);
  EXPECT_LT(infeasible, 390);
}

} // namespace
} // namespace edgent::plan
