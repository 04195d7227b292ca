#include "dynamic/config_map.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

// edgent.configmap/1 as emitted by config_map_to_json:
//   deadline_ms, rtt_ms, edge_queue_ms, model_sha256, resolution,
//   objective {name "accuracy"|"reward", throughput_unit "us"|"ms"|"s"},
//     (absent in maps written before it: the reward, per ms)
//   segmentation {method "pelt", cost, penalty, penalty_k, sigma_min, min_segment, bin_s,
//                 floor_kbps},
//   detector {method "bocpd", model, hazard_run, sigma, prior_sigma, floor_kbps, max_run,
//             up_margin, step_s},
//   traces [{path, sha256, scale, segments}],
//   states [{lo_kbps, hi_kbps|null, bandwidth_kbps, strategy, feasible, score,
//            plan {exit, cut, order, codec, accuracy|null},
//            predicted {device_ms, edge_ms, up_ms, down_ms, total_ms}}]
//     score: the objective's value at bandwidth_kbps ("reward" in maps written before it)
//
// edgent.evaluation/1 as emitted by evaluation_to_json:
//   deadline_ms, step_s, objective {name, throughput_unit},
//   traces [{path, steps, changes, plan_changes, detected, alarms, mean_delay_s,
//            map {...}, oracle {...}, static {...}}],
//   total {same keys, path "all"}, where a policy is
//   {steps, miss_rate, mean_accuracy, on_time_accuracy, mean_reward, switches}, plus
//   map_vs_oracle_reward and map_vs_oracle_on_time.

namespace edgent::dynamic {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

nlohmann::json objective_to_json(const plan::Objective& o) {
  return {{"name", plan::objective_name(o.kind)},
          {"throughput_unit", plan::throughput_unit_name(o.throughput_unit_ms)}};
}

plan::Network network_at(const plan::Network& base, double kbps) {
  plan::Network n = base;
  n.up_kbps = kbps;
  n.down_kbps = kbps;
  return n;
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
                           const plan::SearchSpace& space) {
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
  for (std::size_t i = 0; i < lows.size(); ++i) {
    MapState st;
    st.lo_kbps = lows[i];
    st.hi_kbps = i + 1 < lows.size() ? lows[i + 1] : kInf;
    st.bandwidth_kbps = lows[i];
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

nlohmann::json config_map_to_json(const ConfigMap& map) {
  const MapSettings& s = map.settings;
  nlohmann::json j;
  j["deadline_ms"] = map.deadline_ms;
  j["rtt_ms"] = map.rtt_ms;
  j["edge_queue_ms"] = map.edge_queue_ms;
  j["model_sha256"] = map.model_sha256;
  j["resolution"] = s.resolution;
  j["objective"] = objective_to_json(s.objective);
  j["segmentation"] = {{"method", "pelt"},
                       {"cost", "normal mean of ln(max(kbps, floor_kbps)) over bin_s bins"},
                       {"penalty", "penalty_k * sigma^2 * ln(n), sigma = MAD(diff)/(0.6745*sqrt 2)"},
                       {"penalty_k", s.segmentation.penalty_k},
                       {"sigma_min", s.segmentation.sigma_min},
                       {"min_segment", s.segmentation.min_segment},
                       {"bin_s", s.segmentation.bin_s},
                       {"floor_kbps", s.segmentation.floor_kbps}};
  j["detector"] = {{"method", "bocpd"},
                   {"model", "normal ln-bandwidth, known sigma, normal prior on the mean"},
                   {"hazard_run", s.detector.hazard_run},
                   {"sigma", s.detector.sigma},
                   {"prior_sigma", s.detector.prior_sigma},
                   {"floor_kbps", s.detector.floor_kbps},
                   {"max_run", s.detector.max_run},
                   {"up_margin", s.up_margin},
                   {"step_s", s.step_s}};
  j["traces"] = nlohmann::json::array();
  for (const TraceRef& t : map.traces) {
    j["traces"].push_back(
        {{"path", t.path}, {"sha256", t.sha256}, {"scale", t.scale}, {"segments", t.segments}});
  }
  j["states"] = nlohmann::json::array();
  for (const MapState& st : map.states) {
    j["states"].push_back(
        {{"lo_kbps", st.lo_kbps},
         {"hi_kbps", std::isfinite(st.hi_kbps) ? nlohmann::json(st.hi_kbps) : nlohmann::json()},
         {"bandwidth_kbps", st.bandwidth_kbps},
         {"strategy", st.strategy},
         {"feasible", st.feasible},
         {"score", st.score},
         {"plan", plan::plan_to_json(st.plan)},
         {"predicted", plan::breakdown_to_json(st.predicted)}});
  }
  return j;
}

ConfigMap config_map_from_artifact(const Artifact& art) {
  const JsonView root = art.root();
  ConfigMap map;
  map.deadline_ms = root.at("deadline_ms").number(1e-9, 1e9);
  map.rtt_ms = root.at("rtt_ms").number(0, 1e9);
  map.edge_queue_ms = root.at("edge_queue_ms").number(0, 1e9);
  map.model_sha256 = root.at("model_sha256").string();
  MapSettings& s = map.settings;
  s.resolution = root.at("resolution").number(1 + 1e-9, 1e9);
  if (root.has("objective")) {
    const JsonView obj = root.at("objective");
    const std::string name = obj.at("name").string();
    try {
      s.objective.kind = plan::parse_objective(name);
      s.objective.throughput_unit_ms = plan::parse_throughput_unit(obj.at("throughput_unit").string());
    } catch (const Error& e) {
      obj.fail(e.detail());
    }
  } else {
    // Maps from before the objective was recorded were all built by the reward, per ms.
    s.objective.kind = plan::Objective::Kind::reward;
    s.objective.throughput_unit_ms = 1;
  }
  const JsonView seg = root.at("segmentation");
  s.segmentation.penalty_k = seg.at("penalty_k").number(0, 1e9);
  s.segmentation.sigma_min = seg.at("sigma_min").number(0, 1e9);
  s.segmentation.min_segment = static_cast<std::size_t>(seg.at("min_segment").integer(1, 1 << 30));
  s.segmentation.bin_s = seg.at("bin_s").number(1e-6, 1e9);
  s.segmentation.floor_kbps = seg.at("floor_kbps").number(1e-9, 1e12);
  const JsonView det = root.at("detector");
  if (det.at("method").string() != "bocpd") {
    det.at("method").fail("only \"bocpd\" is supported");
  }
  s.detector.hazard_run = det.at("hazard_run").number(1, 1e12);
  s.detector.sigma = det.at("sigma").number(1e-9, 1e9);
  s.detector.prior_sigma = det.at("prior_sigma").number(1e-9, 1e9);
  s.detector.floor_kbps = det.at("floor_kbps").number(1e-9, 1e12);
  s.detector.max_run = static_cast<std::size_t>(det.at("max_run").integer(2, 1 << 20));
  s.up_margin = det.at("up_margin").number(0, 1e6);
  s.step_s = det.at("step_s").number(1e-6, 1e9);
  for (const JsonView& t : root.at("traces").elements()) {
    map.traces.push_back(TraceRef{t.at("path").string(), t.at("sha256").string(),
                                  t.at("scale").number(1e-12, 1e12),
                                  static_cast<std::size_t>(t.at("segments").integer(0, 1LL << 40))});
  }
  const auto states = root.at("states").elements();
  if (states.empty()) {
    root.at("states").fail("lists no states");
  }
  for (const JsonView& v : states) {
    MapState st;
    st.lo_kbps = v.at("lo_kbps").number(0, 1e15);
    const auto hi = v.at("hi_kbps").optional_number();
    st.hi_kbps = hi ? *hi : kInf;
    st.bandwidth_kbps = v.at("bandwidth_kbps").number(0, 1e15);
    st.strategy = v.at("strategy").string();
    st.feasible = v.at("feasible").boolean();
    st.score = v.has("score") ? v.at("score").number() : v.at("reward").number();
    st.plan = plan::plan_from_json(v.at("plan"));
    st.predicted = plan::breakdown_from_json(v.at("predicted"));
    if (!map.states.empty() && !(st.lo_kbps > map.states.back().lo_kbps)) {
      v.at("lo_kbps").fail("states must be sorted by ascending lo_kbps");
    }
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

PlanSelector::PlanSelector(const ConfigMap& map, const plan::LatencyModel* model)
    : m_map(map), m_model(model), m_detector(map.settings.detector),
      m_tracker(map.lower_bounds(), map.settings.up_margin) {
  if (map.states.empty()) {
    throw ConfigError("the config map has no states", {}, "states");
  }
  if (m_model) {
    for (const MapState& st : map.states) {
      m_choices.push_back(choice_from_record(*m_model, st.plan));
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
    misses = !(m_model->latency(m_choices[m_state], net).total_ms <= m_map.deadline_ms);
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
  plan::Choice choice;
  double accuracy = 0;
};

void score_step(const plan::LatencyModel& model, const Used& used, const plan::Network& net,
                double deadline_ms, double throughput_unit_ms, PolicyFigures& fig,
                const plan::Choice* previous) {
  const double latency = model.latency(used.choice, net).total_ms;
  ++fig.steps;
  const bool met = latency <= deadline_ms;
  if (!met) {
    ++fig.misses;
  }
  fig.accuracy_sum += used.accuracy;
  fig.on_time_sum += met ? used.accuracy : 0.0;
  fig.reward_sum += plan::reward(used.accuracy, latency, deadline_ms, throughput_unit_ms);
  if (previous && (previous->exit_index != used.choice.exit_index ||
                   previous->cut != used.choice.cut || previous->order != used.choice.order ||
                   previous->codec != used.choice.codec)) {
    ++fig.switches;
  }
}

double used_accuracy(const plan::LatencyModel& model, const plan::Choice& c) {
  plan::Decision d;
  d.choice = c;
  d.found = true;
  d.accuracy = model.problem().accuracy_known() ? model.accuracy(c) : std::nullopt;
  return plan::reward_accuracy(model, d);
}

} // namespace

std::vector<Evaluation> evaluate(const plan::LatencyModel& model, const ConfigMap& map,
                                 const std::vector<data::Trace>& traces,
                                 const std::vector<plan::Strategy>& strategies,
                                 const plan::SearchSpace& space) {
  const plan::Network base = plan::offload_network(0, 0, map.rtt_ms, map.edge_queue_ms);
  const double deadline = map.deadline_ms;
  const plan::Objective& objective = map.settings.objective;
  const double unit = objective.throughput_unit_ms;
  std::vector<Used> state_plans;
  for (const MapState& st : map.states) {
    const plan::Choice c = choice_from_record(model, st.plan);
    state_plans.push_back(Used{c, used_accuracy(model, c)});
  }
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

    const plan::Scored fixed = plan::best_of(model, network_at(base, trace.mean_kbps()),
                                             deadline, strategies, objective, space);
    const Used fixed_used{fixed.decision.choice, used_accuracy(model, fixed.decision.choice)};

    PlanSelector selector(map, &model);
    std::vector<std::size_t> alarms;
    std::optional<plan::Choice> prev_map;
    std::optional<plan::Choice> prev_oracle;
    for (std::size_t k = 0; k < steps.size(); ++k) {
      const plan::Network net = network_at(base, steps[k]);
      const Used& used = state_plans[selector.state_index()];
      score_step(model, used, net, deadline, unit, ev.map, prev_map ? &*prev_map : nullptr);
      prev_map = used.choice;

      const plan::Scored best = plan::best_of(model, net, deadline, strategies, objective, space);
      const Used oracle_used{best.decision.choice, used_accuracy(model, best.decision.choice)};
      score_step(model, oracle_used, net, deadline, unit, ev.oracle,
                 prev_oracle ? &*prev_oracle : nullptr);
      prev_oracle = oracle_used.choice;

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

namespace {

nlohmann::json policy_json(const PolicyFigures& f) {
  return {{"steps", f.steps},
          {"miss_rate", f.miss_rate()},
          {"mean_accuracy", f.mean_accuracy()},
          {"on_time_accuracy", f.on_time_accuracy()},
          {"mean_reward", f.mean_reward()},
          {"switches", f.switches}};
}

nlohmann::json eval_json(const Evaluation& e) {
  return {{"path", e.path},
          {"changes", e.changes},
          {"plan_changes", e.plan_changes},
          {"detected", e.detected},
          {"alarms", e.alarms},
          {"mean_delay_s", e.mean_delay_s()},
          {"map", policy_json(e.map)},
          {"oracle", policy_json(e.oracle)},
          {"static", policy_json(e.fixed)},
          {"map_vs_oracle_reward",
           e.oracle.mean_reward() > 0 ? e.map.mean_reward() / e.oracle.mean_reward() : 0.0},
          {"map_vs_oracle_on_time", e.oracle.on_time_accuracy() > 0
                                        ? e.map.on_time_accuracy() / e.oracle.on_time_accuracy()
                                        : 0.0}};
}

} // namespace

nlohmann::json evaluation_to_json(const std::vector<Evaluation>& evals, const ConfigMap& map) {
  nlohmann::json j;
  j["deadline_ms"] = map.deadline_ms;
  j["step_s"] = map.settings.step_s;
  j["objective"] = objective_to_json(map.settings.objective);
  j["traces"] = nlohmann::json::array();
  for (std::size_t i = 0; i + 1 < evals.size(); ++i) {
    j["traces"].push_back(eval_json(evals[i]));
  }
  if (!evals.empty()) {
    j["total"] = eval_json(evals.back());
  }
  return j;
}

} // namespace edgent::dynamic
