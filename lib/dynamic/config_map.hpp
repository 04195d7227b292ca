#pragma once

#include "core/artifact.hpp"
#include "dynamic/change_point.hpp"
#include "dynamic/segmentation.hpp"
#include "data/trace.hpp"
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

/// Segments every trace, bins the segment levels into geometric states (plus a state
/// [0, lowest bin) planned at 0 kbps, i.e. on the device), and stores for each state the best
/// plan under settings.objective among @p strategies at the state's lower bound.
ConfigMap build_config_map(const plan::LatencyModel& model, const plan::Network& base,
                           double deadline_ms, const std::vector<data::Trace>& traces,
                           const std::vector<double>& scales, const MapSettings& settings,
                           const std::vector<plan::Strategy>& strategies,
                           const plan::SearchSpace& space = {});

/// The edgent.configmap/1 document (without schema/generator, added by write_artifact).
nlohmann::json config_map_to_json(const ConfigMap& map);
/// Reads an edgent.configmap/1 artifact; throws SchemaError naming file and key.
ConfigMap config_map_from_artifact(const Artifact& art);

/// The choice a stored plan stands for under @p model; throws ConfigError when the plan does
/// not fit the model (unknown exit or codec, cut out of range).
plan::Choice choice_from_record(const plan::LatencyModel& model, const plan::PlanRecord& record);

/// What the device runtime runs: bandwidth samples (one per step_s, as in the map's detector
/// settings) feed the online detector, whose estimate picks a state through the hysteresis
/// tracker; the state's stored plan is the one to use for the next inference. Moving down
/// also happens without the detector (guard()): when the latest measurement says the plan in
/// force would miss the deadline, the selector drops at once to the state of that
/// measurement, so that a link that falls faster than the detector can confirm does not
/// cost a run of late requests.
class PlanSelector {
public:
  /// Starts in state 0 (the lowest bandwidth: the most conservative plan). Keeps references
  /// to @p map and @p model, which must outlive the selector. With @p model, guard() tests
  /// the plan in force against the deadline; without, against its state's lower bound.
  explicit PlanSelector(const ConfigMap& map, const plan::LatencyModel* model = nullptr);

  /// Feeds one measured bandwidth sample (kbps), then guard(kbps); returns the state now in
  /// force.
  const MapState& update(double kbps);
  /// Moves down at once to the state of @p kbps, the latest measurement, when the plan in
  /// force would miss the deadline at it (predicted by the model; without one: when @p kbps
  /// is below the state's lower bound). Never moves up; the detector is not fed. Returns the
  /// state now in force.
  const MapState& guard(double kbps);
  /// The state in force.
  const MapState& current() const { return m_map.states[m_state]; }
  /// Index of the state in force.
  std::size_t state_index() const { return m_state; }
  /// True when the last update's sample made the detector declare a change.
  bool last_was_change() const { return m_changed; }
  /// The detector's current bandwidth estimate (kbps).
  double estimate_kbps() const { return m_detector.estimate_kbps(); }

private:
  const ConfigMap& m_map;
  const plan::LatencyModel* m_model;
  std::vector<plan::Choice> m_choices;  ///< each state's plan under m_model
  Bocpd m_detector;
  StateTracker m_tracker;
  std::size_t m_state = 0;
  bool m_changed = false;
};

/// Figures of one policy over a replay.
struct PolicyFigures {
  std::size_t steps = 0;
  std::size_t misses = 0;     ///< steps whose actual latency exceeded the deadline
  double accuracy_sum = 0;    ///< sum of the used plans' (reward) accuracy
  double on_time_sum = 0;     ///< sum of the accuracy of the steps that met the deadline
  double reward_sum = 0;      ///< sum of R with the actual latency
  std::size_t switches = 0;   ///< plan changes
  double miss_rate() const { return steps ? static_cast<double>(misses) / steps : 0; }
  double mean_accuracy() const { return steps ? accuracy_sum / steps : 0; }
  /// Expected on-time accuracy: the share of steps both correct and on time.
  double on_time_accuracy() const { return steps ? on_time_sum / steps : 0; }
  double mean_reward() const { return steps ? reward_sum / steps : 0; }
  void add(const PolicyFigures& o);
};

/// Evaluation of one trace (or the pool of all).
struct Evaluation {
  std::string path;
  PolicyFigures map;        ///< detector + config map (causal: decides before seeing the step)
  PolicyFigures oracle;     ///< best plan (map's objective) at the step's true bandwidth
  PolicyFigures fixed;      ///< one plan chosen at the trace's mean bandwidth
  std::size_t changes = 0;  ///< offline change points (reference)
  /// Of those, the ones between segments whose levels the map gives different plans: the
  /// changes a detector should act on.
  std::size_t plan_changes = 0;
  std::size_t detected = 0; ///< of those, followed by a detector alarm before the next one
  double delay_sum_s = 0;   ///< summed detection delays of the detected ones
  std::size_t alarms = 0;   ///< detector alarms
  double mean_delay_s() const { return detected ? delay_sum_s / detected : 0; }
  void add(const Evaluation& o);
};

/// Replays each trace in simulated time in steps of map.settings.step_s: every step's true
/// bandwidth is the time-average over the step (up and down alike). Returns one evaluation per
/// trace and, last, the pool of all.
std::vector<Evaluation> evaluate(const plan::LatencyModel& model, const ConfigMap& map,
                                 const std::vector<data::Trace>& traces,
                                 const std::vector<plan::Strategy>& strategies,
                                 const plan::SearchSpace& space = {});

/// The edgent.evaluation/1 document.
nlohmann::json evaluation_to_json(const std::vector<Evaluation>& evals, const ConfigMap& map);

} // namespace edgent::dynamic
