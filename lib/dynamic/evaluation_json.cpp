#include "dynamic/evaluation_json.hpp"

// edgent.evaluation/1 (lib/schema/evaluation.1.json):
//   deadline_ms, step_s, objective {name "accuracy"|"reward", throughput_unit "us"|"ms"|"s"},
//   traces [{path, changes, plan_changes, detected, alarms, mean_delay_s,
//            map_vs_oracle_reward, map_vs_oracle_on_time,
//            map POLICY, oracle POLICY, static POLICY}],
//   total {same keys as a trace, path "all"} | absent (no trace evaluated)
//   POLICY: {steps, miss_rate, mean_accuracy, on_time_accuracy, mean_reward, switches}
// Written only: edgent-mapbuild evaluate prints it for people and scripts; no stage reads it.

namespace edgent::dynamic {

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
