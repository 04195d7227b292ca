#include "dynamic/config_map.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <set>

// The artifacts are read and written in dynamic/config_map_json.cpp (edgent.configmap/1) and
// dynamic/evaluation_json.cpp (edgent.evaluation/1).

namespace edgent::dynamic {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

plan::Network network_at(const plan::Network& base, double kbps) {
  plan::Network n = base;
  n.up_kbps = kbps;
  n.down_kbps = kbps;
  return n;
}

/// @p cascades' candidates, prepared once for every search a map's build or replay runs;
/// empty without cascades.
std::optional<plan::CascadeCandidates> prepare_cascades(const plan::LatencyModel& model,
                                                        const plan::CascadeSearch* cascades,
                                                        const plan::SearchSpace& space) {
  if (!cascades) {
    return std::nullopt;
  }
  return std::optional<plan::CascadeCandidates>(std::in_place, model, cascades->table, space);
}

} // namespace

std::vector<double> ConfigMap::lower_bounds() const {
  std::vector<double> out;
  for (const auto& s : states) {
    out.push_back(s.lo_kbps);
  }
  return out;
}

std::size_t ConfigMap::lookup(double kbps) const {
  std::size_t best = 0;
  for (std::size_t i = 0; i < states.size(); ++i) {
    if (states[i].lo_kbps <= kbps) {
      best = i;
    }
  }
  return best;
}

ConfigMap build_config_map(const plan::LatencyModel& model, const plan::Network& base,
                           double deadline_ms, const std::vector<data::Trace>& traces,
                           const std::vector<double>& scales, const MapSettings& settings,
                           const std::vector<plan::Strategy>& strategies,
                           const plan::SearchSpace& space, const plan::CascadeSearch* cascades) {
  if (!(deadline_ms > 0)) {
    throw ConfigError(fmt::format("the deadline must be > 0 ms, got {}", deadline_ms), {},
                      "deadline_ms");
  }
  if (!(settings.resolution > 1)) {
    throw ConfigError("the state resolution must be > 1", {}, "resolution");
  }
  if (traces.empty()) {
    throw UsageError("no traces given");
  }
  ConfigMap map;
  map.deadline_ms = deadline_ms;
  map.rtt_ms = base.rtt_ms;
  map.edge_queue_ms = base.edge_queue_ms;
  map.settings = settings;
  const double log_r = std::log(settings.resolution);
  std::set<long> bins;
  for (std::size_t i = 0; i < traces.size(); ++i) {
    const Segmentation seg = segment_trace(traces[i], settings.segmentation);
    for (const Segment& s : seg.segments) {
      bins.insert(static_cast<long>(std::floor(s.mean_log / log_r + 1e-9)));
    }
    map.traces.push_back(
        TraceRef{traces[i].path, traces[i].sha256, i < scales.size() ? scales[i] : 1.0,
                 seg.segments.size()});
  }
  std::vector<double> lows{0.0};
  for (const long k : bins) {
    lows.push_back(std::pow(settings.resolution, static_cast<double>(k)));
  }
  const std::optional<plan::CascadeCandidates> candidates = prepare_cascades(model, cascades, space);
  for (std::size_t i = 0; i < lows.size(); ++i) {
    MapState st;
    st.lo_kbps = lows[i];
    st.hi_kbps = i + 1 < lows.size() ? lows[i + 1] : kInf;
    st.bandwidth_kbps = lows[i];
    if (cascades) {
      const plan::CascadeDecision d = candidates->decide(network_at(base, st.bandwidth_kbps),
                                                        deadline_ms, cascades->statistic);
      const double latency = d.latency(cascades->statistic);
      st.strategy = plan::strategy_name(plan::Strategy::edgent);
      st.feasible = d.feasible;
      st.plan = plan::to_record(model, d, cascades->statistic);
      st.predicted = d.expected;
      st.score = !d.feasible ? 0.0
                 : settings.objective.kind == plan::Objective::Kind::accuracy
                     ? d.accuracy
                     : plan::reward(d.accuracy, latency, deadline_ms,
                                    settings.objective.throughput_unit_ms);
      map.states.push_back(std::move(st));
      continue;
    }
    const plan::Scored best = plan::best_of(model, network_at(base, st.bandwidth_kbps),
                                            deadline_ms, strategies, settings.objective, space);
    st.strategy = plan::strategy_name(best.strategy);
    st.feasible = best.decision.feasible;
    st.plan = plan::to_record(model, best.decision);
    st.predicted = best.decision.predicted;
    st.score = best.score;
    map.states.push_back(std::move(st));
  }
  return map;
}

plan::Choice choice_from_record(const plan::LatencyModel& model, const plan::PlanRecord& r) {
  const auto& p = model.problem();
  plan::Choice c;
  const auto ex = std::find_if(p.exits.begin(), p.exits.end(),
                               [&](const plan::ExitCosts& e) { return e.exit == r.exit; });
  if (ex == p.exits.end()) {
    throw ConfigError(fmt::format("the plan uses exit {}, which the model does not have", r.exit));
  }
  c.exit_index = static_cast<int>(ex - p.exits.begin());
  const int n = ex->units();
  if (r.cut < 0 || r.cut > n) {
    throw ConfigError(fmt::format("the plan's cut {} is outside 0..{}", r.cut, n));
  }
  c.cut = r.cut;
  c.order = r.order;
  if (r.codec == "none") {
    if (r.order != plan::Order::device_first || r.cut != n) {
      throw ConfigError("codec \"none\" is only valid for device-only plans");
    }
    c.codec = -1;
    return c;
  }
  const auto k = std::find_if(p.codecs.begin(), p.codecs.end(),
                              [&](const plan::Codec& x) { return x.name == r.codec; });
  if (k == p.codecs.end()) {
    throw ConfigError(fmt::format("the plan uses codec '{}', which is not allowed", r.codec));
  }
  c.codec = static_cast<int>(k - p.codecs.begin());
  if (r.order == plan::Order::edge_first && (r.cut == 0 || r.cut == n)) {
    throw ConfigError("an edge-first plan needs a cut strictly inside the chain");
  }
  if (r.order == plan::Order::device_first && r.cut == n) {
    c.codec = -1; // device-only sends nothing
  }
  return c;
}

StoredPlan stored_plan(const plan::LatencyModel& model, const plan::PlanRecord& record) {
  StoredPlan out;
  out.choice = choice_from_record(model, record);
  if (record.cascade) {
    out.shape = plan::cascade_shape(model.problem(), record.cascade->cascade);
    if (!out.shape) {
      throw ConfigError("the plan's cascade does not branch off the model's chains at cut points",
                        {}, "cascade");
    }
    out.cascade.cascade = record.cascade->cascade;
    out.cascade.leave = record.cascade->leave;
    out.cascade.accuracy = record.accuracy.value_or(0.0);
    out.statistic = plan::parse_cascade_statistic(record.cascade->statistic, "cascade.statistic");
  }
  return out;
}

double StoredPlan::latency_ms(const plan::LatencyModel& model, const plan::Network& net) const {
  if (!shape) {
    return model.latency(choice, net).total_ms;
  }
  return plan::evaluate_cascade(model, net, cascade, *shape, choice.cut, choice.codec)
      .latency(statistic);
}

PlanSelector::PlanSelector(const ConfigMap& map, const plan::LatencyModel* model)
    : m_map(map), m_model(model), m_detector(map.settings.detector),
      m_tracker(map.lower_bounds(), map.settings.up_margin) {
  if (map.states.empty()) {
    throw ConfigError("the config map has no states", {}, "states");
  }
  if (m_model) {
    for (const MapState& st : map.states) {
      m_plans.push_back(stored_plan(*m_model, st.plan));
    }
  }
}

const MapState& PlanSelector::update(double kbps) {
  m_changed = m_detector.update(kbps);
  m_state = m_tracker.update(m_detector.estimate_kbps());
  return guard(kbps);
}

const MapState& PlanSelector::guard(double kbps) {
  bool misses = kbps < current().lo_kbps;
  if (m_model) {
    const plan::Network net =
        plan::offload_network(kbps, kbps, m_map.rtt_ms, m_map.edge_queue_ms);
    misses = !(m_plans[m_state].latency_ms(*m_model, net) <= m_map.deadline_ms);
  }
  if (misses) {
    m_state = m_tracker.down_to(kbps);
  }
  return current();
}

void PolicyFigures::add(const PolicyFigures& o) {
  steps += o.steps;
  misses += o.misses;
  accuracy_sum += o.accuracy_sum;
  on_time_sum += o.on_time_sum;
  reward_sum += o.reward_sum;
  switches += o.switches;
}

void Evaluation::add(const Evaluation& o) {
  map.add(o.map);
  oracle.add(o.oracle);
  fixed.add(o.fixed);
  changes += o.changes;
  plan_changes += o.plan_changes;
  detected += o.detected;
  delay_sum_s += o.delay_sum_s;
  alarms += o.alarms;
}

namespace {

struct Used {
  StoredPlan plan;
  double accuracy = 0;
};

bool same_plan(const StoredPlan& a, const StoredPlan& b) {
  return a.choice.exit_index == b.choice.exit_index && a.choice.cut == b.choice.cut &&
         a.choice.order == b.choice.order && a.choice.codec == b.choice.codec &&
         a.shape.has_value() == b.shape.has_value() &&
         (!a.shape || (a.cascade.cascade.exits == b.cascade.cascade.exits &&
                       a.cascade.cascade.thresholds == b.cascade.cascade.thresholds));
}

void score_step(const plan::LatencyModel& model, const Used& used, const plan::Network& net,
                double deadline_ms, double throughput_unit_ms, PolicyFigures& fig,
                const StoredPlan* previous) {
  const double latency = used.plan.latency_ms(model, net);
  ++fig.steps;
  const bool met = latency <= deadline_ms;
  if (!met) {
    ++fig.misses;
  }
  fig.accuracy_sum += used.accuracy;
  fig.on_time_sum += met ? used.accuracy : 0.0;
  fig.reward_sum += plan::reward(used.accuracy, latency, deadline_ms, throughput_unit_ms);
  if (previous && !same_plan(*previous, used.plan)) {
    ++fig.switches;
  }
}

/// A stored plan's accuracy as the map's scores use it: a cascade's measured accuracy, a
/// fixed exit's known accuracy or reward_accuracy()'s proxy.
Used used_plan(const plan::LatencyModel& model, StoredPlan stored) {
  if (stored.shape) {
    const double a = stored.cascade.accuracy;
    return Used{std::move(stored), a};
  }
  plan::Decision d;
  d.choice = stored.choice;
  d.found = true;
  d.accuracy = model.problem().accuracy_known() ? model.accuracy(stored.choice) : std::nullopt;
  const double a = plan::reward_accuracy(model, d);
  return Used{std::move(stored), a};
}

/// The best plan at @p net as the map's states are planned: the cascade search over the
/// table (@p candidates, prepared from @p cascades), or the best strategy.
Used best_used(const plan::LatencyModel& model, const plan::Network& net, double deadline_ms,
               const std::vector<plan::Strategy>& strategies, const plan::Objective& objective,
               const plan::SearchSpace& space, const plan::CascadeSearch* cascades,
               const std::optional<plan::CascadeCandidates>& candidates) {
  if (cascades) {
    const plan::CascadeDecision d = candidates->decide(net, deadline_ms, cascades->statistic);
    return used_plan(model, stored_plan(model, plan::to_record(model, d, cascades->statistic)));
  }
  const plan::Scored best = plan::best_of(model, net, deadline_ms, strategies, objective, space);
  StoredPlan stored;
  stored.choice = best.decision.choice;
  return used_plan(model, std::move(stored));
}

} // namespace

std::vector<Evaluation> evaluate(const plan::LatencyModel& model, const ConfigMap& map,
                                 const std::vector<data::Trace>& traces,
                                 const std::vector<plan::Strategy>& strategies,
                                 const plan::SearchSpace& space,
                                 const plan::CascadeSearch* cascades) {
  const plan::Network base = plan::offload_network(0, 0, map.rtt_ms, map.edge_queue_ms);
  const double deadline = map.deadline_ms;
  const plan::Objective& objective = map.settings.objective;
  const double unit = objective.throughput_unit_ms;
  std::vector<Used> state_plans;
  for (const MapState& st : map.states) {
    state_plans.push_back(used_plan(model, stored_plan(model, st.plan)));
  }
  const std::optional<plan::CascadeCandidates> candidates = prepare_cascades(model, cascades, space);
  std::vector<Evaluation> out;
  Evaluation total;
  total.path = "all";
  for (const data::Trace& trace : traces) {
    Evaluation ev;
    ev.path = trace.path;
    const std::vector<double> steps = trace.binned(map.settings.step_s);

    // Reference change points: the offline segmentation at the replay step.
    SegmentSettings seg = map.settings.segmentation;
    seg.bin_s = map.settings.step_s;
    const Segmentation reference = segment_trace(trace, seg);
    std::vector<std::size_t> cps;
    for (std::size_t i = 1; i < reference.segments.size(); ++i) {
      cps.push_back(reference.segments[i].begin);
      const MapState& before = map.states[map.lookup(reference.segments[i - 1].kbps())];
      const MapState& after = map.states[map.lookup(reference.segments[i].kbps())];
      ev.plan_changes += plan::plan_to_json(before.plan) != plan::plan_to_json(after.plan) ? 1 : 0;
    }

    const Used fixed_used = best_used(model, network_at(base, trace.mean_kbps()), deadline,
                                      strategies, objective, space, cascades, candidates);

    PlanSelector selector(map, &model);
    std::vector<std::size_t> alarms;
    std::optional<StoredPlan> prev_map;
    std::optional<StoredPlan> prev_oracle;
    for (std::size_t k = 0; k < steps.size(); ++k) {
      const plan::Network net = network_at(base, steps[k]);
      const Used& used = state_plans[selector.state_index()];
      score_step(model, used, net, deadline, unit, ev.map, prev_map ? &*prev_map : nullptr);
      prev_map = used.plan;

      const Used oracle_used =
          best_used(model, net, deadline, strategies, objective, space, cascades, candidates);
      score_step(model, oracle_used, net, deadline, unit, ev.oracle,
                 prev_oracle ? &*prev_oracle : nullptr);
      prev_oracle = oracle_used.plan;

      score_step(model, fixed_used, net, deadline, unit, ev.fixed, nullptr);

      selector.update(steps[k]);
      if (selector.last_was_change()) {
        alarms.push_back(k);
      }
    }
    ev.alarms = alarms.size();
    ev.changes = cps.size();
    for (std::size_t i = 0; i < cps.size(); ++i) {
      const std::size_t next = i + 1 < cps.size() ? cps[i + 1] : steps.size();
      const auto it = std::lower_bound(alarms.begin(), alarms.end(), cps[i]);
      if (it != alarms.end() && *it < next) {
        ++ev.detected;
        ev.delay_sum_s += static_cast<double>(*it - cps[i]) * map.settings.step_s;
      }
    }
    total.add(ev);
    out.push_back(std::move(ev));
  }
  out.push_back(std::move(total));
  return out;
}

} // namespace edgent::dynamic
