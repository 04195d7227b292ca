#pragma once

#include "core/artifact.hpp"
#include "dynamic/change_point.hpp"
#include "dynamic/segmentation.hpp"
#include "plan/plan_json.hpp"
#include "plan/planner.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace edgent::dynamic {

/// How traces become bandwidth states and how the runtime tracks them.
struct MapSettings {
  SegmentSettings segmentation;   ///< offline change points
  double resolution = 1.5;        ///< states are geometric bins [r^k, r^(k+1)) kbps (> 1)
  BocpdSettings detector;         ///< online detector the runtime uses
  double up_margin = 0.15;        ///< StateTracker hysteresis (move up at lower·(1 + margin))
  double step_s = 1.0;            ///< replay step of evaluate (the detector's sampling period)
  plan::Objective objective;      ///< what each state's plan maximises
};

/// One bandwidth state and the plan stored for it.
struct MapState {
  double lo_kbps = 0;          ///< lower bound; state i covers [lo_i, lo_{i+1})
  double hi_kbps = 0;          ///< next state's lower bound; +infinity for the last state
  double bandwidth_kbps = 0;   ///< bandwidth the plan was scored at: lo (conservative)
  std::string strategy;        ///< the strategy whose plan scored best (first on ties)
  bool feasible = false;       ///< predicted latency ≤ deadline at bandwidth_kbps
  plan::PlanRecord plan;
  plan::Breakdown predicted;
  double score = 0;            ///< the objective's value at bandwidth_kbps (0 when infeasible)
};

/// A source trace.
struct TraceRef {
  std::string path;
  std::string sha256;
  double scale = 1;
  std::size_t segments = 0; ///< offline segments found in it
};

/// The config map (edgent.configmap/1).
struct ConfigMap {
  double deadline_ms = 0;
  double rtt_ms = 0;
  double edge_queue_ms = 0;
  std::string model_sha256;
  MapSettings settings;
  std::vector<TraceRef> traces;
  std::vector<MapState> states; ///< ascending lo_kbps; states[0].lo_kbps = 0

  /// Lower bounds of the states, for a StateTracker.
  std::vector<double> lower_bounds() const;
  /// The state for @p kbps without hysteresis (largest lo ≤ kbps).
  std::size_t lookup(double kbps) const;
};

/// The edgent.configmap/1 document (without schema/generator, added by write_artifact).
nlohmann::json config_map_to_json(const ConfigMap& map);
/// Reads an edgent.configmap/1 artifact; throws SchemaError naming file and key.
ConfigMap config_map_from_artifact(const Artifact& art);

/// `{name, throughput_unit}` of @p objective (edgent.configmap/1 and edgent.evaluation/1).
nlohmann::json objective_to_json(const plan::Objective& objective);

} // namespace edgent::dynamic
