#include "dynamic/config_map.hpp"

#include "core/error.hpp"
#include "support/plan_problems.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace edgent::dynamic {
namespace {

/// Two exits; offloading wins above roughly 1 Mbps with a 40 ms deadline.
plan::LatencyModel small_model() {
  plan::PlanProblem p;
  p.codecs = {{"fp32", 1.0}, {"int8", 0.25}};
  plan::ExitCosts e1;
  e1.exit = 1;
  e1.device_ms = {10, 10};
  e1.edge_ms = {2, 2};
  e1.fp32_bytes = {4000, 20000, 40};
  e1.cuts = {0, 1, 2};
  e1.accuracy = 0.8;
  plan::ExitCosts e2;
  e2.exit = 2;
  e2.device_ms = {10, 20, 30};
  e2.edge_ms = {2, 4, 6};
  e2.fp32_bytes = {4000, 20000, 8000, 40};
  e2.cuts = {0, 1, 2, 3};
  e2.accuracy = 0.9;
  p.exits = {e1, e2};
  return plan::LatencyModel(p);
}

data::Trace piecewise(const std::vector<std::pair<int, double>>& pieces, double noise, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> n(0, noise);
  std::string csv = "t_s,bandwidth_kbps\n";
  int t = 0;
  for (const auto& [len, level] : pieces) {
    for (int i = 0; i < len; ++i, ++t) {
      csv += std::to_string(t) + "," + std::to_string(level * std::exp(n(rng))) + "\n";
    }
  }
  return data::parse_trace(csv, "syn.csv");
}

const plan::Network kBase{0, 0, /*rtt_ms=*/5, 0};

TEST(ConfigMap, StatesAreSortedCoverFromZeroAndHoldTheBestPlan) {
  const auto model = small_model();
  const std::vector<data::Trace> traces{piecewise({{60, 300}, {60, 3000}, {60, 30000}}, 0.1, 1)};
  const ConfigMap map =
      build_config_map(model, kBase, 40, traces, {1.0}, MapSettings{}, plan::all_strategies());
  ASSERT_GE(map.states.size(), 4U); // [0, ..) plus one bin per level
  EXPECT_EQ(map.states[0].lo_kbps, 0);
  EXPECT_EQ(map.traces.at(0).segments, 3U);
  for (std::size_t i = 0; i < map.states.size(); ++i) {
    const MapState& s = map.states[i];
    if (i > 0) {
      EXPECT_GT(s.lo_kbps, map.states[i - 1].lo_kbps);
      EXPECT_EQ(map.states[i - 1].hi_kbps, s.lo_kbps);
    }
    const plan::Scored best = plan::best_of(
        model, plan::Network{s.bandwidth_kbps, s.bandwidth_kbps, 5, 0}, 40,
        plan::all_strategies(), plan::Objective{});
    EXPECT_DOUBLE_EQ(s.score, best.score);
    EXPECT_EQ(s.plan.exit, plan::to_record(model, best.decision).exit);
  }
  EXPECT_TRUE(std::isinf(map.states.back().hi_kbps));
  // At 0 kbps only the device can run: the map's lowest state is device-only.
  EXPECT_EQ(map.states[0].plan.codec, "none");
  EXPECT_EQ(map.lookup(0), 0U);
  EXPECT_EQ(map.lookup(1e12), map.states.size() - 1);
}

TEST(ConfigMap, JsonRoundTrip) {
  const auto model = small_model();
  const std::vector<data::Trace> traces{piecewise({{50, 500}, {50, 5000}}, 0.1, 2)};
  ConfigMap map =
      build_config_map(model, kBase, 40, traces, {1.0}, MapSettings{}, plan::all_strategies());
  map.model_sha256 = "abc";
  Artifact art;
  art.doc = config_map_to_json(map);
  art.file = "map.json";
  const ConfigMap back = config_map_from_artifact(art);
  ASSERT_EQ(back.states.size(), map.states.size());
  for (std::size_t i = 0; i < map.states.size(); ++i) {
    EXPECT_DOUBLE_EQ(back.states[i].lo_kbps, map.states[i].lo_kbps);
    EXPECT_EQ(back.states[i].plan.exit, map.states[i].plan.exit);
    EXPECT_EQ(back.states[i].plan.cut, map.states[i].plan.cut);
    EXPECT_EQ(back.states[i].plan.codec, map.states[i].plan.codec);
    EXPECT_DOUBLE_EQ(back.states[i].predicted.total_ms, map.states[i].predicted.total_ms);
  }
  EXPECT_EQ(back.traces.at(0).sha256, traces[0].sha256);
  EXPECT_EQ(back.settings.detector.max_run, map.settings.detector.max_run);
  EXPECT_EQ(back.settings.objective.kind, plan::Objective::Kind::accuracy);
  art.doc["states"][1]["lo_kbps"] = 0; // not ascending any more
  EXPECT_THROW(config_map_from_artifact(art), SchemaError);
}

TEST(ConfigMap, ObjectiveRoundTripsAndOldMapsReadAsReward) {
  const auto model = small_model();
  const std::vector<data::Trace> traces{piecewise({{50, 500}, {50, 5000}}, 0.1, 2)};
  MapSettings settings;
  settings.objective = {plan::Objective::Kind::reward, 1000};
  const ConfigMap map =
      build_config_map(model, kBase, 40, traces, {1.0}, settings, plan::all_strategies());
  Artifact art;
  art.doc = config_map_to_json(map);
  art.file = "map.json";
  EXPECT_EQ(art.doc["objective"]["name"], "reward");
  EXPECT_EQ(art.doc["objective"]["throughput_unit"], "s");
  ConfigMap back = config_map_from_artifact(art);
  EXPECT_EQ(back.settings.objective.kind, plan::Objective::Kind::reward);
  EXPECT_DOUBLE_EQ(back.settings.objective.throughput_unit_ms, 1000);
  for (std::size_t i = 0; i < map.states.size(); ++i) {
    EXPECT_DOUBLE_EQ(back.states[i].score, map.states[i].score);
  }
  // A map written before the objective was recorded: the reward per ms built it.
  art.doc.erase("objective");
  for (auto& st : art.doc["states"]) {
    st["reward"] = st["score"];
    st.erase("score");
  }
  back = config_map_from_artifact(art);
  EXPECT_EQ(back.settings.objective.kind, plan::Objective::Kind::reward);
  EXPECT_DOUBLE_EQ(back.settings.objective.throughput_unit_ms, 1);
  EXPECT_DOUBLE_EQ(back.states[1].score, map.states[1].score);
  art.doc["objective"] = {{"name", "latency"}, {"throughput_unit", "ms"}};
  EXPECT_THROW(config_map_from_artifact(art), SchemaError);
}

TEST(ConfigMap, AccuracyObjectivePrefersAccuracyThatTheRewardTradesForSpeed) {
  const auto model = small_model();
  const std::vector<data::Trace> traces{piecewise({{60, 3000}, {60, 30000}}, 0.1, 5)};
  MapSettings by_accuracy;
  MapSettings by_reward;
  by_reward.objective = {plan::Objective::Kind::reward, 1000};
  const ConfigMap a =
      build_config_map(model, kBase, 40, traces, {1.0}, by_accuracy, plan::all_strategies());
  const ConfigMap r =
      build_config_map(model, kBase, 40, traces, {1.0}, by_reward, plan::all_strategies());
  ASSERT_EQ(a.states.size(), r.states.size());
  bool differ = false;
  for (std::size_t i = 0; i < a.states.size(); ++i) {
    // Same feasibility; the accuracy map's plan is never less accurate.
    EXPECT_EQ(a.states[i].feasible, r.states[i].feasible);
    if (a.states[i].feasible) {
      EXPECT_GE(a.states[i].plan.accuracy.value_or(0), r.states[i].plan.accuracy.value_or(0));
      differ = differ || a.states[i].plan.exit != r.states[i].plan.exit;
    }
  }
  EXPECT_TRUE(differ) << "per-second throughput should trade accuracy for speed somewhere";
}

TEST(ConfigMap, ChoiceFromRecordChecksTheModel) {
  const auto model = small_model();
  plan::PlanRecord r{2, 1, plan::Order::device_first, "int8", 0.9};
  const plan::Choice c = choice_from_record(model, r);
  EXPECT_EQ(c.exit_index, 1);
  EXPECT_EQ(c.codec, 1);
  r.codec = "fp16";
  EXPECT_THROW(choice_from_record(model, r), ConfigError);
  r = {3, 0, plan::Order::device_first, "fp32", {}};
  EXPECT_THROW(choice_from_record(model, r), ConfigError);
  r = {2, 0, plan::Order::edge_first, "fp32", {}};
  EXPECT_THROW(choice_from_record(model, r), ConfigError);
  r = {2, 3, plan::Order::device_first, "none", {}};
  EXPECT_EQ(choice_from_record(model, r).codec, -1);
}

TEST(PlanSelector, DropsAtOnceWhenThePlanInForceWouldMissTheDeadline) {
  const auto model = small_model();
  const data::Trace trace = piecewise({{60, 30000}, {60, 300}}, 0.05, 6);
  const ConfigMap map =
      build_config_map(model, kBase, 40, {trace}, {1.0}, MapSettings{}, plan::all_strategies());
  PlanSelector selector(map, &model);
  for (int i = 0; i < 30; ++i) {
    selector.update(30000);
  }
  const std::size_t fast = selector.state_index();
  ASSERT_GT(fast, 0U);
  // One measurement of a slow link: the detector has not confirmed a change, but the plan
  // of the fast state would take more than 40 ms at 300 kbit/s.
  ASSERT_FALSE(model.latency(choice_from_record(model, map.states[fast].plan),
                             plan::offload_network(300, 300, map.rtt_ms))
                   .total_ms <= map.deadline_ms);
  selector.guard(300);
  EXPECT_EQ(selector.state_index(), map.lookup(300));
  // A measurement at which the plan in force still meets the deadline changes nothing, and
  // guard() never moves up.
  selector.guard(30000);
  EXPECT_EQ(selector.state_index(), map.lookup(300));
}

TEST(Evaluate, MapTracksBandwidthBetterThanAStaticPlan) {
  const auto model = small_model();
  const data::Trace trace = piecewise({{100, 20000}, {80, 400}, {100, 20000}, {80, 400}}, 0.15, 3);
  const ConfigMap map = build_config_map(model, kBase, 40, {trace}, {1.0}, MapSettings{},
                                         plan::all_strategies());
  const auto evals = evaluate(model, map, {trace}, plan::all_strategies());
  ASSERT_EQ(evals.size(), 2U); // the trace and the pool
  const Evaluation& e = evals.back();
  EXPECT_EQ(e.map.steps, 360U);
  EXPECT_EQ(e.oracle.misses, 0U);
  // The oracle takes the most accurate plan that meets the deadline at every step: no policy
  // is on time and correct more often.
  EXPECT_LE(e.map.on_time_accuracy(), e.oracle.on_time_accuracy() + 1e-12);
  EXPECT_GT(e.map.on_time_accuracy(), 0.95 * e.oracle.on_time_accuracy());
  EXPECT_GT(e.map.on_time_accuracy(), e.fixed.on_time_accuracy());
  EXPECT_LT(e.map.miss_rate(), e.fixed.miss_rate());
  EXPECT_EQ(e.changes, 3U);
  EXPECT_EQ(e.detected, 3U);
  EXPECT_LE(e.mean_delay_s(), 5.0);
  EXPECT_LT(e.map.switches, 20U); // hysteresis: no flapping on noise
}

/// The hand problem with unit names (exit 1 branches off exit 2's chain at cut 1) and a
/// cascade table of exit 1 alone and exit 1 -> exit 2, where 60 % of the inputs leave early.
struct CascadeCase {
  plan::LatencyModel model;
  plan::CascadeSearch search;
};

CascadeCase cascade_case() {
  plan::PlanProblem p = testing::hand_problem();
  p.exits[0].unit_names = {"a", "b1"};
  p.exits[1].unit_names = {"a", "c", "d"};
  plan::CascadeSearch search;
  search.table.samples = 1000;
  search.table.entries = {model::CascadeRecord{model::Cascade{{1}, {}}, 0.8, {1.0}},
                          model::CascadeRecord{model::Cascade{{1, 2}, {0.9}}, 0.88, {0.6, 0.4}}};
  return CascadeCase{plan::LatencyModel(p), search};
}

TEST(Evaluate, ScoresACascadeStateByItsCascadeNotItsFinalExit) {
  const CascadeCase c = cascade_case();
  // At 8000 kbit/s and RTT 5 ms the cascade offloads everything (cut 0): an input leaving at
  // exit 1 takes about 9 ms, one going on to exit 2 about 19 ms, 13.6 ms expected with the
  // protocol's overhead. The deadline of
  // 17 ms is met by the cascade's mean but not by its final exit alone; on the device (state
  // 0) exit 1 alone takes 15 ms.
  const data::Trace trace = piecewise({{120, 8000}}, 0.05, 9);
  const ConfigMap map = build_config_map(c.model, kBase, 17, {trace}, {1.0}, MapSettings{},
                                         plan::all_strategies(), {}, &c.search);
  const MapState& top = map.states[map.lookup(8000)];
  ASSERT_TRUE(top.plan.cascade);
  EXPECT_EQ(top.plan.cut, 0);
  const StoredPlan stored = stored_plan(c.model, top.plan);
  const plan::Network net = plan::offload_network(8000, 8000, map.rtt_ms);
  const auto shape = plan::cascade_shape(c.model.problem(), top.plan.cascade->cascade);
  ASSERT_TRUE(shape);
  const double mean = plan::evaluate_cascade(c.model, net, c.search.table.entries[1], *shape, 0, 0)
                          .expected.total_ms;
  EXPECT_DOUBLE_EQ(stored.latency_ms(c.model, net), mean);
  EXPECT_LT(mean, 17);
  EXPECT_GT(c.model.latency(stored.choice, net).total_ms, 17) << "the final exit alone misses";

  const auto evals = evaluate(c.model, map, {trace}, plan::all_strategies(), {}, &c.search);
  const Evaluation& e = evals.back();
  EXPECT_EQ(e.map.misses, 0U);
  EXPECT_GT(e.map.mean_accuracy(), 0.8) << "the cascade state was in force for some steps";
  EXPECT_LE(e.map.mean_accuracy(), 0.88 + 1e-12);
  // The oracle searches the same table: the cascade at every step.
  EXPECT_EQ(e.oracle.misses, 0U);
  EXPECT_NEAR(e.oracle.mean_accuracy(), 0.88, 1e-12);
  EXPECT_NEAR(e.fixed.mean_accuracy(), 0.88, 1e-12);
}

TEST(PlanSelector, GuardsACascadePlanByItsCascadeLatency) {
  const CascadeCase c = cascade_case();
  const data::Trace trace = piecewise({{120, 8000}}, 0.05, 9);
  const ConfigMap map = build_config_map(c.model, kBase, 17, {trace}, {1.0}, MapSettings{},
                                         plan::all_strategies(), {}, &c.search);
  PlanSelector selector(map, &c.model);
  for (int i = 0; i < 60; ++i) {
    selector.update(8000);
  }
  ASSERT_TRUE(selector.current().plan.cascade);
  // Its final exit alone would miss at 8000 kbit/s, the cascade's mean does not: no drop.
  selector.guard(8000);
  EXPECT_TRUE(selector.current().plan.cascade);
  // At 800 kbit/s the cascade's mean misses too (the 1000 B input takes 10 ms up).
  selector.guard(800);
  EXPECT_EQ(selector.state_index(), map.lookup(800));
}

TEST(Evaluate, RejectsMapsBeyondTheModel) {
  const auto model = small_model();
  const data::Trace trace = piecewise({{30, 1000}}, 0.1, 4);
  ConfigMap map = build_config_map(model, kBase, 40, {trace}, {1.0}, MapSettings{},
                                   plan::all_strategies());
  map.states[0].plan.exit = 7;
  EXPECT_THROW(evaluate(model, map, {trace}, plan::all_strategies()), ConfigError);
}

TEST(ConfigMap, RejectsBadSettings) {
  const auto model = small_model();
  const data::Trace trace = piecewise({{30, 1000}}, 0.1, 4);
  EXPECT_THROW(build_config_map(model, kBase, 0, {trace}, {1.0}, MapSettings{},
                                plan::all_strategies()),
               ConfigError);
  MapSettings s;
  s.resolution = 1;
  EXPECT_THROW(build_config_map(model, kBase, 40, {trace}, {1.0}, s, plan::all_strategies()),
               ConfigError);
}

} // namespace
} // namespace edgent::dynamic

namespace edgent::dynamic {
namespace {

TEST(PlanSelector, FollowsTheBandwidthWithoutFlapping) {
  const auto model = small_model();
  const data::Trace trace = piecewise({{60, 300}, {60, 30000}}, 0.1, 5);
  const ConfigMap map = build_config_map(model, kBase, 40, {trace}, {1.0}, MapSettings{},
                                         plan::all_strategies());
  PlanSelector sel(map);
  EXPECT_EQ(sel.state_index(), 0U); // no sample yet: the most conservative state
  std::mt19937 rng(9);
  std::normal_distribution<double> noise(0, 0.1);
  for (int i = 0; i < 40; ++i) {
    sel.update(300 * std::exp(noise(rng)));
  }
  const std::size_t low = sel.state_index();
  EXPECT_LE(map.states[low].lo_kbps, 300 * 1.5);
  std::size_t changes = 0;
  std::size_t previous = low;
  int reached = -1;
  for (int i = 0; i < 40; ++i) {
    sel.update(30000 * std::exp(noise(rng)));
    if (sel.state_index() != previous) {
      ++changes;
      previous = sel.state_index();
    }
    if (reached < 0 && sel.current().lo_kbps > 10000) {
      reached = i;
    }
  }
  EXPECT_GE(reached, 0);
  EXPECT_LE(reached, 5); // bounded reaction time, in samples
  EXPECT_LE(changes, 3U);
  EXPECT_EQ(sel.current().plan.codec == "none", false); // fast link: offload
}

} // namespace
} // namespace edgent::dynamic
