#include "dynamic/mapbuild_command.hpp"

#include "core/artifact.hpp"
#include "core/error.hpp"
#include "core/log.hpp"

#include <fmt/format.h>

#include <chrono>
#include <optional>
#include <set>

namespace edgent::dynamic {

namespace {

constexpr const char* kTool = "edgent-mapbuild";

std::vector<data::Trace> load_traces(const std::vector<std::string>& args, double scale) {
  if (args.empty()) {
    throw UsageError("--trace is required");
  }
  std::vector<data::Trace> out;
  for (const std::string& path : data::expand_trace_paths(args)) {
    out.push_back(data::read_trace(path, scale));
  }
  return out;
}

void require_model(const plan::ModelInputs& inputs) {
  if (inputs.model.empty()) {
    throw UsageError("--model is required");
  }
}

} // namespace

int run(const MapbuildOptions& o) {
  require_model(o.inputs);
  if (!(o.deadline_ms > 0)) {
    throw UsageError("--deadline must be > 0 ms");
  }
  const plan::SearchSpace space = plan::space_from_orders(o.inputs.orders);
  const plan::LoadedProblem loaded = plan::load_problem(o.inputs);
  const plan::LatencyModel model(loaded.problem);
  const auto start = std::chrono::steady_clock::now();
  const std::vector<data::Trace> traces = load_traces(o.traces, o.scale);
  const plan::Network base = plan::offload_network(0, 0, o.rtt_ms, o.queue_ms);
  std::optional<plan::CascadeSearch> cascades;
  if (!o.cascades.empty()) {
    cascades = plan::CascadeSearch{plan::read_cascade_table_for(o.cascades, loaded.model_sha256,
                                                                loaded.problem),
                                   plan::parse_cascade_statistic(o.cascade_latency)};
  } else if (o.cascade_latency != "mean") {
    throw UsageError("--cascade-latency needs --cascades");
  }
  ConfigMap map = build_config_map(model, base, o.deadline_ms, traces,
                                   std::vector<double>(traces.size(), o.scale), o.settings,
                                   plan::all_strategies(), space,
                                   cascades ? &*cascades : nullptr);
  map.model_sha256 = loaded.model_sha256;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::size_t segments = 0;
  for (const TraceRef& t : map.traces) {
    segments += t.segments;
  }
  std::set<std::string> plans;
  for (const MapState& s : map.states) {
    plans.insert(plan::plan_to_json(s.plan).dump());
  }
  log::info("{} traces, {} segments -> {} bandwidth states ({} distinct plans) in {:.2f} s",
            traces.size(), segments, map.states.size(), plans.size(), seconds);
  for (const MapState& s : map.states) {
    log::verbose("state [{:.0f}, {:.0f}) kbps: {} exit {} cut {} {} {} -> {:.2f} ms, {} {:.4f}",
                 s.lo_kbps, s.hi_kbps, s.strategy, s.plan.exit, s.plan.cut,
                 plan::order_name(s.plan.order), s.plan.codec, s.predicted.total_ms,
                 plan::objective_name(map.settings.objective.kind), s.score);
  }
  write_artifact(o.output, config_map_to_json(map), "configmap", kTool);
  return to_int(ExitCode::ok);
}

int run(const EvaluateOptions& o) {
  if (o.map.empty()) {
    throw UsageError("evaluate needs --map");
  }
  require_model(o.inputs);
  const Artifact art = read_artifact(o.map, "configmap");
  const ConfigMap map = config_map_from_artifact(art);
  const plan::SearchSpace space = plan::space_from_orders(o.inputs.orders);
  const plan::LoadedProblem loaded = plan::load_problem(o.inputs);
  if (loaded.model_sha256 != map.model_sha256) {
    throw ConfigError(fmt::format("the map was built for model {}, not {}", map.model_sha256,
                                  loaded.model_sha256),
                      art.file, "model_sha256");
  }
  const plan::LatencyModel model(loaded.problem);
  const auto start = std::chrono::steady_clock::now();
  const std::vector<data::Trace> traces = load_traces(o.traces, o.scale);
  std::optional<plan::CascadeSearch> cascades;
  if (!o.cascades.empty()) {
    cascades = plan::CascadeSearch{plan::read_cascade_table_for(o.cascades, loaded.model_sha256,
                                                                loaded.problem),
                                   plan::CascadeStatistic::mean};
    for (const MapState& s : map.states) {
      if (s.plan.cascade) {
        cascades->statistic =
            plan::parse_cascade_statistic(s.plan.cascade->statistic, "cascade.statistic");
        break;
      }
    }
  }
  const std::vector<Evaluation> evals = evaluate(model, map, traces, plan::all_strategies(),
                                                 space, cascades ? &*cascades : nullptr);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const Evaluation& all = evals.back();
  log::info("{} traces, {} steps of {} s, replayed in {:.2f} s", traces.size(), all.map.steps,
            map.settings.step_s, seconds);
  for (const auto& [name, f] : {std::pair{"map+detector", &all.map},
                                std::pair{"oracle", &all.oracle},
                                std::pair{"static", &all.fixed}}) {
    log::info("{:>13}: miss rate {:.4f}, mean accuracy {:.4f}, on-time accuracy {:.4f}, "
              "mean reward {:.4f}, {} switches",
              name, f->miss_rate(), f->mean_accuracy(), f->on_time_accuracy(), f->mean_reward(),
              f->switches);
  }
  log::info("map/oracle on-time accuracy {:.4f}, mean reward {:.4f}; detection: {} of {} "
            "offline changes, mean delay {:.2f} s, {} alarms",
            all.oracle.on_time_accuracy() > 0
                ? all.map.on_time_accuracy() / all.oracle.on_time_accuracy()
                : 0.0,
            all.oracle.mean_reward() > 0 ? all.map.mean_reward() / all.oracle.mean_reward() : 0.0,
            all.detected, all.changes, all.mean_delay_s(), all.alarms);
  write_artifact(o.output, evaluation_to_json(evals, map), "evaluation", kTool);
  return to_int(ExitCode::ok);
}

} // namespace edgent::dynamic
