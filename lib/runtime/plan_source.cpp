#include "runtime/plan_source.hpp"

#include "core/artifact.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/log.hpp"
#include "plan/cascade_plan.hpp"
#include "plan/problem_from_artifacts.hpp"
#include "runtime/device_runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace edgent::runtime {

namespace {

void check_sha(const std::string& have, const std::string& want, const std::string& file) {
  if (!have.empty() && !want.empty() && have != want) {
    throw ConfigError(fmt::format("made for model {}, but the model card's ONNX is {}", have,
                                  want),
                      file, "model_sha256");
  }
}

} // namespace

void PlanSource::predict(PlanChoice& c, const plan::Network& network,
                         std::optional<plan::Breakdown> stored) const {
  const plan::PlanRecord& plan = c.plan;
  c.predicted = std::move(stored);
  c.per_exit.clear();
  if (m_latency && (network.up_kbps > 0 || plan.codec == "none")) {
    const plan::Choice choice = dynamic::choice_from_record(*m_latency, plan);
    if (!plan.cascade) {
      c.predicted = m_latency->latency(choice, network);
      return;
    }
    // A cascade's expected latency over its exits, with the measured exit distribution.
    const auto shape = plan::cascade_shape(m_latency->problem(), plan.cascade->cascade);
    if (shape && plan.cascade->leave.size() == shape->exit_index.size()) {
      model::CascadeRecord record;
      record.cascade = plan.cascade->cascade;
      record.leave = plan.cascade->leave;
      record.accuracy = plan.accuracy.value_or(0.0);
      plan::CascadeDecision d =
          plan::evaluate_cascade(*m_latency, network, record, *shape, plan.cut, choice.codec);
      c.predicted = d.expected;
      c.per_exit = std::move(d.per_exit);
    }
  }
}

FixedPlan read_fixed_plan(const std::string& path, const std::string& model_sha256,
                          double deadline_ms) {
  FixedPlan fixed;
  double deadline = deadline_ms;
  const Artifact art = read_artifact(path, "plan");
  const plan::PlanArtifact artifact = plan::read_plan(art);
  fixed.plan = artifact.plan;
  fixed.predicted = artifact.predicted;
  check_sha(artifact.model_sha256, model_sha256, art.file);
  if (!(deadline > 0)) {
    if (!artifact.deadline_ms) {
      throw SchemaError("missing required key", art.file, "deadline_ms");
    }
    deadline = *artifact.deadline_ms;
  }
  fixed.deadline_ms = deadline;
  fixed.file = display_name(path);
  return fixed;
}

FixedPlanSource::FixedPlanSource(FixedPlan plan, std::shared_ptr<const plan::LatencyModel> latency)
    : PlanSource(std::move(latency)), m_plan(std::move(plan)) {}

void FixedPlanSource::prepare(DeviceRunner& runner, const RequestConditions&) {
  runner.check_plan(m_plan.plan, m_plan.file);
  runner.prepare(m_plan.plan);
}

bool FixedPlanSource::device_only(const DeviceRunner& runner) const {
  return m_plan.plan.order == plan::Order::device_first &&
         m_plan.plan.cut == runner.segments().chain(m_plan.plan.exit).size();
}

PlanChoice FixedPlanSource::next(const RequestConditions& conditions) {
  PlanChoice c;
  c.plan = m_plan.plan;
  predict(c, conditions.network, m_plan.predicted);
  return c;
}

FitsPlanner::FitsPlanner(std::shared_ptr<const plan::LatencyModel> latency, double deadline_ms,
                         plan::Strategy strategy, std::optional<plan::CascadeSearch> cascades)
    : PlanSource(std::move(latency)),
      m_deadline_ms(deadline_ms),
      m_strategy(strategy),
      m_cascades(std::move(cascades)) {
  if (m_cascades) {
    m_candidates.emplace(*latency_model(), m_cascades->table);
  }
}

bool FitsPlanner::device_only(const DeviceRunner&) const {
  return m_strategy == plan::Strategy::device_only || m_strategy == plan::Strategy::exit_only;
}

void FitsPlanner::prepare(DeviceRunner& runner, const RequestConditions& start) {
  // The start's plan first: it is what the first request runs.
  std::vector<RequestConditions> grid{start};
  const bool prior = start.network.up_kbps > 0 && start.network.down_kbps > 0;
  for (int k = 0; k <= 12; ++k) {
    // 1/8 .. 8 times the start's bandwidth, or 25 kbit/s .. 25 Mbit/s, 13 points.
    const double step = prior ? std::pow(2.0, (k - 6) / 2.0) : std::pow(1000.0, k / 12.0);
    for (const double scale : {0.75, 0.9, 1.0, 1.1, 1.25, 1.5}) {
      RequestConditions c = start;
      c.network.up_kbps = prior ? start.network.up_kbps * step : 25 * step;
      c.network.down_kbps = prior ? start.network.down_kbps * step : 25 * step;
      c.network.device_scale = scale;
      grid.push_back(c);
    }
  }
  // Plans repeat across the grid; the runner loads each net once.
  for (const RequestConditions& c : grid) {
    const plan::PlanRecord p = next(c).plan;
    if (p.codec != "none" && !runner.has_link()) {
      continue;
    }
    runner.check_plan(p, "plan");
    runner.prepare(p);
  }
  log::verbose("loaded the plans of {} conditions around the start: {} segment nets, {:.1f} MB",
               grid.size(), runner.segments().cached(),
               static_cast<double>(runner.segments().cached_bytes()) / 1e6);
}

PlanChoice FitsPlanner::next(const RequestConditions& conditions) {
  if (m_cascades) {
    // Whether a cascade fits the model does not depend on the network: open_plan_source
    // checked it once, reading the table.
    const plan::CascadeDecision d =
        m_candidates->decide(conditions.network, m_deadline_ms, m_cascades->statistic);
    PlanChoice c;
    c.plan = plan::to_record(*latency_model(), d, m_cascades->statistic);
    c.predicted = d.expected;
    c.per_exit = d.per_exit;
    return c;
  }
  const plan::Decision d =
      plan::decide(*latency_model(), conditions.network, m_deadline_ms, m_strategy);
  PlanChoice c;
  c.plan = plan::to_record(*latency_model(), d);
  c.predicted = d.predicted;
  return c;
}

MapPlanSource::MapPlanSource(dynamic::ConfigMap map, std::string file, double deadline_ms,
                             std::shared_ptr<const plan::LatencyModel> latency)
    : PlanSource(std::move(latency)),
      m_map(std::move(map)),
      m_file(std::move(file)),
      m_deadline_ms(deadline_ms > 0 ? deadline_ms : m_map.deadline_ms) {}

dynamic::PlanSelector& MapPlanSource::selector() {
  if (!m_selector) {
    m_selector.emplace(m_map, latency_model());
  }
  return *m_selector;
}

void MapPlanSource::prepare(DeviceRunner& runner, const RequestConditions&) {
  for (std::size_t i = 0; i < m_map.states.size(); ++i) {
    runner.check_plan(m_map.states[i].plan, fmt::format("{}: states[{}]", display_name(m_file), i));
    runner.prepare(m_map.states[i].plan);
  }
  selector();
}

PlanChoice MapPlanSource::next(const RequestConditions& conditions) {
  dynamic::PlanSelector& sel = selector();
  const std::optional<double>& bw = conditions.measured_kbps;
  const double now = conditions.now_s;
  const double step = std::max(m_map.settings.step_s, 1e-3);
  if (bw && (!m_fed || now - m_last_feed_s >= step)) {
    // One sample per detector step elapsed (the first as soon as there is an estimate).
    const auto steps =
        !m_fed ? 1 : static_cast<int>(std::min(100.0, std::floor((now - m_last_feed_s) / step)));
    m_fed = true;
    for (int s = 0; s < steps; ++s) {
      sel.update(*bw);
    }
    m_last_feed_s = now;
  } else if (bw) {
    sel.guard(*bw);
  }
  const dynamic::MapState& st = sel.current();
  PlanChoice c;
  c.plan = st.plan;
  predict(c, conditions.network, st.predicted);
  c.state = {{"index", sel.state_index()}, {"lo_kbps", st.lo_kbps},
             {"estimate_kbps", sel.estimate_kbps()}};
  return c;
}

std::unique_ptr<PlanSource> open_plan_source(const InferConfig& config, const InferOptions& o,
                                             const std::string& model_sha256) {
  std::optional<FixedPlan> fixed;
  std::optional<dynamic::ConfigMap> config_map;
  if (config.mode == PlanMode::fixed) {
    fixed = read_fixed_plan(o.plan, model_sha256, o.deadline_ms);
  } else if (config.mode == PlanMode::map) {
    config_map = dynamic::config_map_from_artifact(read_artifact(o.map, "configmap"));
    check_sha(config_map->model_sha256, model_sha256, o.map);
  }
  std::shared_ptr<const plan::LatencyModel> latency;
  if (config.fits_given) {
    plan::ModelInputs mi;
    mi.model = o.model;
    mi.accuracy = o.accuracy;
    mi.device_fit = o.device_fit;
    mi.edge_fit = o.edge_fit;
    latency = std::make_shared<const plan::LatencyModel>(plan::load_problem(mi).problem);
  }
  switch (config.mode) {
  case PlanMode::fixed:
    return std::make_unique<FixedPlanSource>(std::move(*fixed), std::move(latency));
  case PlanMode::map:
    return std::make_unique<MapPlanSource>(std::move(*config_map), o.map, o.deadline_ms,
                                           std::move(latency));
  case PlanMode::fits:
    break;
  }
  std::optional<plan::CascadeSearch> cascades;
  if (!o.cascades.empty()) {
    cascades.emplace();
    cascades->table = plan::read_cascade_table_for(o.cascades, model_sha256, latency->problem());
    cascades->statistic = plan::parse_cascade_statistic(o.cascade_latency);
  }
  return std::make_unique<FitsPlanner>(std::move(latency), o.deadline_ms, config.strategy,
                                       std::move(cascades));
}

} // namespace edgent::runtime
