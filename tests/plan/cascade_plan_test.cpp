#include "plan/cascade_plan.hpp"

#include "core/error.hpp"
#include "support/plan_problems.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace edgent::plan {
namespace {

/// The hand problem with unit names: exit 1 is unit "a" then its branch "b1"; exit 2 runs "a",
/// "c", "d". Exit 1 branches off exit 2's chain at cut 1.
PlanProblem named_problem() {
  PlanProblem p = testing::hand_problem();
  p.exits[0].unit_names = {"a", "b1"};
  p.exits[1].unit_names = {"a", "c", "d"};
  return p;
}

/// 8000 kbit/s (a byte takes 1 us), RTT 10 ms, no protocol overhead.
Network net() {
  Network n;
  n.up_kbps = 8000;
  n.down_kbps = 8000;
  n.rtt_ms = 10;
  return n;
}

model::CascadeRecord record(std::vector<int> exits, double tau, double accuracy,
                            std::vector<double> leave) {
  model::CascadeRecord r;
  r.cascade.exits = std::move(exits);
  r.cascade.thresholds.assign(r.cascade.exits.size() - 1, tau);
  r.accuracy = accuracy;
  r.leave = std::move(leave);
  return r;
}

TEST(CascadePlan, ShapeFindsTheBranchPointsByUnitName) {
  const auto shape = cascade_shape(named_problem(), model::Cascade{{1, 2}, {0.9}});
  ASSERT_TRUE(shape);
  EXPECT_EQ(shape->exit_index, (std::vector<int>{0, 1}));
  EXPECT_EQ(shape->branch, (std::vector<int>{1, 3}));
  EXPECT_FALSE(cascade_shape(testing::hand_problem(), model::Cascade{{1, 2}, {0.9}}));
  EXPECT_FALSE(cascade_shape(named_problem(), model::Cascade{{1, 3}, {0.9}}));
}

TEST(CascadePlan, LatencyToEachExitByHand) {
  const LatencyModel m(named_problem());
  const CascadeShape shape{{0, 1}, {1, 3}};
  // Cut 1: the device runs a (10) and b1 (5); an input that goes on uploads the 4000 B tensor
  // (4 + 5 ms), the edge runs c, d (4 + 6) and the 40 B answer comes back (0.04 + 5).
  const Breakdown early = m.cascade_latency(shape, 1, 0, 0, net());
  EXPECT_DOUBLE_EQ(early.total_ms, 15);
  EXPECT_DOUBLE_EQ(early.up_ms, 0);
  const Breakdown late = m.cascade_latency(shape, 1, 0, 1, net());
  EXPECT_DOUBLE_EQ(late.device_ms, 15);
  EXPECT_DOUBLE_EQ(late.up_ms, 9);
  EXPECT_DOUBLE_EQ(late.edge_ms, 10);
  EXPECT_DOUBLE_EQ(late.down_ms, 5.04);
  EXPECT_DOUBLE_EQ(late.total_ms, 39.04);
  // Cut 0 (edge-only): the edge evaluates both exits.
  EXPECT_DOUBLE_EQ(m.cascade_latency(shape, 0, 0, 0, net()).total_ms, 6 + 3 + 5.04);
  EXPECT_DOUBLE_EQ(m.cascade_latency(shape, 0, 0, 1, net()).total_ms, 6 + 13 + 5.04);
  // Cut 3 (device-only): no transfer at all.
  EXPECT_DOUBLE_EQ(m.cascade_latency(shape, 3, -1, 1, net()).total_ms, 65);
}

TEST(CascadePlan, TheDeviceScaleMultipliesTheDevicesPartsAtEveryExit) {
  const LatencyModel m(named_problem());
  const CascadeShape shape{{0, 1}, {1, 3}};
  Network slow = net();
  slow.device_scale = 3;
  EXPECT_DOUBLE_EQ(m.cascade_latency(shape, 1, 0, 0, slow).total_ms, 45) << "left on the device";
  const Breakdown late = m.cascade_latency(shape, 1, 0, 1, slow);
  const Breakdown plain = m.cascade_latency(shape, 1, 0, 1, net());
  EXPECT_DOUBLE_EQ(late.device_ms, 45);
  EXPECT_DOUBLE_EQ(late.codec_ms, 3 * plain.codec_ms);
  EXPECT_DOUBLE_EQ(late.edge_ms, plain.edge_ms);
  EXPECT_DOUBLE_EQ(late.total_ms, plain.total_ms + 2 * (plain.device_ms + plain.codec_ms));
  EXPECT_DOUBLE_EQ(m.cascade_latency(shape, 3, -1, 1, slow).total_ms, 3 * 65);
}

TEST(CascadePlan, EveryNetAfterASidesFirstCostsItsRequestNetTime) {
  PlanProblem p = named_problem();
  p.device_request_net_ms = 1;
  p.edge_request_net_ms = 2;
  const LatencyModel m(p);
  const CascadeShape shape{{0, 1}, {1, 3}};
  // Cut 1: the device runs a and b1 as two nets (+1); the edge runs c, d as one (+0).
  EXPECT_DOUBLE_EQ(m.cascade_latency(shape, 1, 0, 0, net()).total_ms, 15 + 1);
  EXPECT_DOUBLE_EQ(m.cascade_latency(shape, 1, 0, 1, net()).total_ms, 39.04 + 1);
  // Cut 0: the edge runs a and b1 (+2), then c, d as a third net (+2 more).
  EXPECT_DOUBLE_EQ(m.cascade_latency(shape, 0, 0, 0, net()).total_ms, 6 + 3 + 5.04 + 2);
  EXPECT_DOUBLE_EQ(m.cascade_latency(shape, 0, 0, 1, net()).total_ms, 6 + 13 + 5.04 + 4);
  // Cut 3 (device-only): a, b1, then c, d.
  EXPECT_DOUBLE_EQ(m.cascade_latency(shape, 3, -1, 0, net()).total_ms, 15 + 1);
  EXPECT_DOUBLE_EQ(m.cascade_latency(shape, 3, -1, 1, net()).total_ms, 65 + 2);
  // A one-exit cascade runs one net per side: the fixed-exit plan's latency.
  const CascadeShape fixed{{1}, {3}};
  Choice c;
  c.exit_index = 1;
  c.cut = 1;
  c.codec = 0;
  EXPECT_DOUBLE_EQ(m.cascade_latency(fixed, 1, 0, 0, net()).total_ms,
                   m.latency(c, net()).total_ms);
}

TEST(CascadePlan, ExpectedLatencyWeighsEachExitAndCountsTheTransferOnlyForThoseThatCross) {
  const LatencyModel m(named_problem());
  const CascadeShape shape{{0, 1}, {1, 3}};
  const CascadeDecision d =
      evaluate_cascade(m, net(), record({1, 2}, 0.9, 0.88, {0.6, 0.4}), shape, 1, 0);
  EXPECT_NEAR(d.expected.total_ms, 0.6 * 15 + 0.4 * 39.04, 1e-9);
  EXPECT_NEAR(d.expected.up_ms, 0.4 * 9, 1e-9);
  EXPECT_DOUBLE_EQ(d.p95_ms, 39.04);
  const CascadeDecision most_early =
      evaluate_cascade(m, net(), record({1, 2}, 0.9, 0.88, {0.96, 0.04}), shape, 1, 0);
  EXPECT_DOUBLE_EQ(most_early.p95_ms, 15);
  EXPECT_DOUBLE_EQ(most_early.max_ms, 39.04) << "the slowest exit, however few reach it";
  EXPECT_DOUBLE_EQ(most_early.latency(CascadeStatistic::max), 39.04);
  // Everyone leaving at exit 1 never pays for a dead link, but an input could.
  Network dead = net();
  dead.up_kbps = 0;
  const CascadeDecision all_early =
      evaluate_cascade(m, dead, record({1, 2}, 0.0, 0.8, {1.0, 0.0}), shape, 1, 0);
  EXPECT_DOUBLE_EQ(all_early.expected.total_ms, 15);
  EXPECT_TRUE(std::isinf(all_early.max_ms));
}

/// Exit 2 alone as a cascade costs what its fixed-exit plan does, at every cut.
void expect_one_exit_is_the_fixed_plan(const LatencyModel& m) {
  const CascadeShape shape{{1}, {3}};
  for (const int cut : {0, 1, 2}) {
    EXPECT_DOUBLE_EQ(m.cascade_latency(shape, cut, 0, 0, net()).total_ms,
                     m.latency(Choice{1, cut, Order::device_first, 0}, net()).total_ms)
        << cut;
  }
  EXPECT_DOUBLE_EQ(m.cascade_latency(shape, 3, -1, 0, net()).total_ms,
                   m.latency(Choice{1, 3, Order::device_first, -1}, net()).total_ms);
}

TEST(CascadePlan, OneExitIsTheFixedExitPlan) {
  expect_one_exit_is_the_fixed_plan(LatencyModel(named_problem()));
}

TEST(CascadePlan, APathThatRunsAnExitsWholeChainStartsColdAsThatChainWasMeasured) {
  PlanProblem p = named_problem();
  p.device_request_ms = 2;
  p.edge_request_ms = 0.5;
  const LatencyModel plain(p);
  p.exits[0].device_chain_request_ms = 1.25;
  p.exits[1].device_chain_request_ms = 3.5;
  p.exits[0].edge_chain_request_ms = 0.25;
  p.exits[1].edge_chain_request_ms = 0.75;
  const LatencyModel m(p);
  const CascadeShape shape{{0, 1}, {1, 3}};
  // Answered on the device at exit 1 (a, b1: exit 1's chain) or exit 2 (device-only): that
  // exit's measured start replaces the line's 2 ms.
  EXPECT_DOUBLE_EQ(m.cascade_latency(shape, 1, 0, 0, net()).device_ms, 15 + 1.25);
  EXPECT_DOUBLE_EQ(m.cascade_latency(shape, 3, -1, 1, net()).device_ms, 65 + 3.5);
  // Crossing at cut 1, the device ran a head: the line, as a fixed plan's head does; the edge
  // ran part of a chain: its line too.
  EXPECT_DOUBLE_EQ(m.cascade_latency(shape, 1, 0, 1, net()).total_ms,
                   plain.cascade_latency(shape, 1, 0, 1, net()).total_ms);
  // Edge-only, the edge runs the answering exit's chain.
  EXPECT_DOUBLE_EQ(m.cascade_latency(shape, 0, 0, 0, net()).edge_ms,
                   plain.cascade_latency(shape, 0, 0, 0, net()).edge_ms - 0.5 + 0.25);
  EXPECT_DOUBLE_EQ(m.cascade_latency(shape, 0, 0, 1, net()).edge_ms,
                   plain.cascade_latency(shape, 0, 0, 1, net()).edge_ms - 0.5 + 0.75);
  // A one-exit cascade is still the fixed-exit plan at every cut.
  expect_one_exit_is_the_fixed_plan(m);
}

TEST(CascadePlan, SearchPicksTheMostAccuratePlanWhoseStatisticMeetsTheDeadline) {
  const LatencyModel m(named_problem());
  model::CascadeTable table;
  table.entries = {record({2}, 0, 0.9, {1.0}), record({1}, 0, 0.8, {1.0}),
                   record({1, 2}, 0.9, 0.88, {0.6, 0.4})};
  // Exit 2 alone needs 23.04 ms at best (edge-only); the cascade at cut 0 expects
  // 0.6 x 14.04 + 0.4 x 24.04 = 18.04 ms.
  CascadeDecision d = decide_cascade(m, net(), 20, table, CascadeStatistic::mean);
  ASSERT_TRUE(d.found);
  EXPECT_TRUE(d.feasible);
  EXPECT_EQ(d.cascade.exits, (std::vector<int>{1, 2}));
  EXPECT_EQ(d.cut, 0);
  EXPECT_EQ(d.codec, 0);  // lossless only: int8 is never used
  EXPECT_NEAR(d.expected.total_ms, 18.04, 1e-9);
  // Its p95 (24.04 ms) misses 20 ms: under p95 only exit 1 alone fits.
  d = decide_cascade(m, net(), 20, table, CascadeStatistic::p95);
  EXPECT_TRUE(d.feasible);
  EXPECT_EQ(d.cascade.exits, (std::vector<int>{1}));
  // A cascade whose few late inputs cross the link: its p95 is exit 1's and meets 20 ms, its
  // slowest exit (24.04 ms at best) does not, so under max only exit 1 alone fits.
  model::CascadeTable tail = table;
  tail.entries.push_back(record({1, 2}, 0.5, 0.89, {0.96, 0.04}));
  d = decide_cascade(m, net(), 20, tail, CascadeStatistic::p95);
  EXPECT_EQ(d.cascade.exits, (std::vector<int>{1, 2}));
  EXPECT_DOUBLE_EQ(d.accuracy, 0.89);
  d = decide_cascade(m, net(), 20, tail, CascadeStatistic::max);
  EXPECT_TRUE(d.feasible);
  EXPECT_EQ(d.cascade.exits, (std::vector<int>{1}));
  EXPECT_EQ(parse_cascade_statistic("max"), CascadeStatistic::max);
  EXPECT_STREQ(cascade_statistic_name(CascadeStatistic::max), "max");
  EXPECT_THROW(parse_cascade_statistic("p99"), UsageError);
  // With a loose deadline the fixed exit 2 is the most accurate.
  d = decide_cascade(m, net(), 100, table, CascadeStatistic::mean);
  EXPECT_EQ(d.cascade.exits, (std::vector<int>{2}));
  // Nothing fits: the fastest, flagged.
  d = decide_cascade(m, net(), 1, table, CascadeStatistic::mean);
  EXPECT_FALSE(d.feasible);
  const PlanRecord r = to_record(m, d, CascadeStatistic::mean);
  EXPECT_EQ(r.order, Order::device_first);
  // Without unit names there is no cascade to plan.
  EXPECT_THROW(decide_cascade(LatencyModel(testing::hand_problem()), net(), 20, table,
                              CascadeStatistic::mean),
               ConfigError);
}

/// The search by its definition: every entry, cut and lossless codec through
/// evaluate_cascade, in the table's order, under the documented order.
CascadeDecision search_everything(const LatencyModel& m, const Network& n, double deadline,
                                  const model::CascadeTable& table, CascadeStatistic s) {
  CascadeDecision best;
  for (const model::CascadeRecord& r : table.entries) {
    const auto shape = cascade_shape(m.problem(), r.cascade);
    if (!shape) {
      continue;
    }
    const ExitCosts& last = m.problem().exits[static_cast<std::size_t>(shape->exit_index.back())];
    for (const int cut : last.cuts) {
      for (const int codec : cut < last.units() ? std::vector<int>{0, 1} : std::vector<int>{-1}) {
        if (codec >= 0 && m.problem().codecs[static_cast<std::size_t>(codec)].name != "fp32") {
          continue;
        }
        CascadeDecision d = evaluate_cascade(m, n, r, *shape, cut, codec);
        const double l = d.latency(s);
        d.feasible = std::isfinite(l) && l <= deadline;
        const double lb = best.latency(s);
        bool better = !best.found;
        if (!better && d.feasible != best.feasible) {
          better = d.feasible;
        } else if (!better && d.feasible && d.accuracy != best.accuracy) {
          better = d.accuracy > best.accuracy;
        } else if (!better && l != lb) {
          better = l < lb;
        } else if (!better) {
          better = d.accuracy > best.accuracy;
        }
        if (better) {
          best = std::move(d);
        }
      }
    }
  }
  return best;
}

TEST(CascadePlan, SearchFindsWhatEvaluatingEveryCandidateFinds) {
  // The search skips entries once a plan is feasible and scores candidates from terms
  // prepared without the network: over deadlines, links, device speeds, queues and
  // statistics it must land where the plain search does, with entries of equal accuracy
  // (and duplicates) in the table, and so must one preparation reused for every network.
  const LatencyModel m(named_problem());
  ASSERT_EQ(m.problem().codecs[0].name, "fp32");
  model::CascadeTable table;
  const double accuracies[] = {0.8, 0.88, 0.88, 0.9, 0.85, 0.88, 0.8};
  for (int i = 0; i < 7; ++i) {
    const double early = 0.1 + 0.13 * i;
    table.entries.push_back(record({1, 2}, 0.5 + 0.05 * i, accuracies[i], {early, 1 - early}));
  }
  table.entries.push_back(record({1}, 0, 0.8, {1.0}));
  table.entries.push_back(record({2}, 0, 0.9, {1.0}));
  table.entries.push_back(table.entries[2]); // a duplicate
  const CascadeCandidates prepared(m, table);
  for (const double kbps : {200.0, 2000.0, 8000.0, 80000.0}) {
    for (const double scale : {1.0, 0.6, 2.5}) {
      Network n = net();
      n.up_kbps = n.down_kbps = kbps;
      n.device_scale = scale;
      n.edge_queue_ms = scale == 2.5 ? 1.5 : 0.0;
      for (const CascadeStatistic s :
           {CascadeStatistic::mean, CascadeStatistic::p95, CascadeStatistic::max}) {
        for (double deadline = 1; deadline < 80; deadline *= 1.15) {
          const CascadeDecision want = search_everything(m, n, deadline, table, s);
          for (const CascadeDecision& got : {decide_cascade(m, n, deadline, table, s),
                                             prepared.decide(n, deadline, s)}) {
            const std::string at = fmt::format("{} kbit/s x{} {} ms", kbps, scale, deadline);
            ASSERT_TRUE(got.found) << at;
            EXPECT_EQ(got.feasible, want.feasible) << at;
            EXPECT_EQ(got.cascade.exits, want.cascade.exits) << at;
            EXPECT_EQ(got.cascade.thresholds, want.cascade.thresholds) << at;
            EXPECT_EQ(got.cut, want.cut) << at;
            EXPECT_EQ(got.codec, want.codec) << at;
            EXPECT_EQ(got.latency(s), want.latency(s)) << at;
            EXPECT_EQ(got.expected.total_ms, want.expected.total_ms) << at;
            ASSERT_EQ(got.per_exit.size(), want.per_exit.size()) << at;
            for (std::size_t i = 0; i < got.per_exit.size(); ++i) {
              EXPECT_EQ(got.per_exit[i].total_ms, want.per_exit[i].total_ms) << at;
              EXPECT_EQ(got.per_exit[i].codec_ms, want.per_exit[i].codec_ms) << at;
              EXPECT_EQ(got.per_exit[i].edge_ms, want.per_exit[i].edge_ms) << at;
            }
          }
        }
      }
    }
  }
}

TEST(CascadePlan, WithNothingFeasibleEqualLatencyGoesToTheMoreAccurateEntry) {
  const LatencyModel m(named_problem());
  model::CascadeTable table;
  // Same exits and the same P(leave): the same latency everywhere; the second is more accurate.
  table.entries = {record({1, 2}, 0.6, 0.85, {0.5, 0.5}), record({1, 2}, 0.7, 0.87, {0.5, 0.5})};
  const CascadeDecision d = decide_cascade(m, net(), 1, table, CascadeStatistic::mean);
  EXPECT_FALSE(d.feasible);
  EXPECT_DOUBLE_EQ(d.accuracy, 0.87);
}

TEST(CascadePlan, TheRecordCarriesTheCascadeAndRoundTrips) {
  const LatencyModel m(named_problem());
  const CascadeDecision d = evaluate_cascade(m, net(), record({1, 2}, 0.9, 0.88, {0.6, 0.4}),
                                             CascadeShape{{0, 1}, {1, 3}}, 1, 0);
  const PlanRecord r = to_record(m, d, CascadeStatistic::max);
  ASSERT_TRUE(r.cascade);
  EXPECT_EQ(r.exit, 2);
  EXPECT_EQ(r.cut, 1);
  EXPECT_EQ(r.codec, "fp32");
  const nlohmann::json j = plan_to_json(r);
  const PlanRecord back = plan_from_json(JsonView(j, "plan.json"));
  ASSERT_TRUE(back.cascade);
  EXPECT_EQ(back.cascade->cascade.exits, r.cascade->cascade.exits);
  EXPECT_EQ(back.cascade->cascade.thresholds, r.cascade->cascade.thresholds);
  EXPECT_EQ(back.cascade->statistic, "max");
  EXPECT_DOUBLE_EQ(back.cascade->expected_ms, d.expected.total_ms);
  // A fixed plan has no cascade key.
  EXPECT_FALSE(plan_to_json(to_record(m, evaluate_cascade(m, net(), record({2}, 0, 0.9, {1.0}),
                                                          CascadeShape{{1}, {3}}, 1, 0),
                                      CascadeStatistic::mean))
                   .contains("cascade"));
  // Thresholds outside [0, 1], a cascade not ending at the plan's exit, edge-first: refused.
  for (const auto& bad : {std::pair{"/cascade/thresholds/0", nlohmann::json(1.5)},
                          std::pair{"/cascade/thresholds/0", nlohmann::json(-0.1)},
                          std::pair{"/cascade/exits/1", nlohmann::json(3)},
                          std::pair{"/order", nlohmann::json("edge-first")}}) {
    nlohmann::json b = j;
    b[nlohmann::json::json_pointer(bad.first)] = bad.second;
    EXPECT_THROW(plan_from_json(JsonView(b, "plan.json")), SchemaError) << bad.first;
  }
}

} // namespace
} // namespace edgent::plan
