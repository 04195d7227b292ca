#pragma once

#include "data/trace.hpp"
#include "dynamic/change_point.hpp"
#include "dynamic/config_map_json.hpp"
#include "dynamic/evaluation_json.hpp"
#include "plan/cascade_plan.hpp"
#include "plan/planner.hpp"

#include <optional>
#include <string>
#include <vector>

namespace edgent::dynamic {

/// Segments every trace, bins the segment levels into geometric states (plus a state
/// [0, lowest bin) planned at 0 kbps, i.e. on the device), and stores for each state the best
/// plan under settings.objective among @p strategies at the state's lower bound. With
/// @p cascades, each state's plan is the cascade search's instead (plan::decide_cascade:
/// the most accurate cascade whose latency statistic meets the deadline; its score is the
/// objective's value for its accuracy and that statistic).
ConfigMap build_config_map(const plan::LatencyModel& model, const plan::Network& base,
                           double deadline_ms, const std::vector<data::Trace>& traces,
                           const std::vector<double>& scales, const MapSettings& settings,
                           const std::vector<plan::Strategy>& strategies,
                           const plan::SearchSpace& space = {},
                           const plan::CascadeSearch* cascades = nullptr);

/// The choice a stored plan stands for under @p model; throws ConfigError when the plan does
/// not fit the model (unknown exit or codec, cut out of range).
plan::Choice choice_from_record(const plan::LatencyModel& model, const plan::PlanRecord& record);

/// A stored plan made ready to predict under a model: its choice and, for a confidence
/// cascade, the cascade's layout on the model's chains and its measured exit distribution.
struct StoredPlan {
  plan::Choice choice;
  std::optional<plan::CascadeShape> shape; ///< set = a cascade plan
  model::CascadeRecord cascade;            ///< the cascade, its accuracy and P(leave)
  plan::CascadeStatistic statistic = plan::CascadeStatistic::mean;

  /// The latency the deadline applies to under @p net: the cascade's statistic (mean,
  /// p95 or max, as the plan was made), or the fixed-exit plan's total.
  double latency_ms(const plan::LatencyModel& model, const plan::Network& net) const;
};

/// choice_from_record, plus the cascade's layout for a cascade plan; throws ConfigError also
/// when the cascade does not branch off the model's chains.
StoredPlan stored_plan(const plan::LatencyModel& model, const plan::PlanRecord& record);

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
  std::vector<StoredPlan> m_plans;  ///< each state's plan under m_model
  Bocpd m_detector;
  StateTracker m_tracker;
  std::size_t m_state = 0;
  bool m_changed = false;
};

/// Replays each trace in simulated time in steps of map.settings.step_s: every step's true
/// bandwidth is the time-average over the step (up and down alike). Returns one evaluation per
/// trace and, last, the pool of all. The map's states are scored as stored: a cascade state
/// by its cascade's latency statistic and measured accuracy. The per-step oracle and the
/// static plan (at each trace's mean) are the best of @p strategies, or with @p cascades the
/// cascade search over its table, as build_config_map plans the states.
std::vector<Evaluation> evaluate(const plan::LatencyModel& model, const ConfigMap& map,
                                 const std::vector<data::Trace>& traces,
                                 const std::vector<plan::Strategy>& strategies,
                                 const plan::SearchSpace& space = {},
                                 const plan::CascadeSearch* cascades = nullptr);

} // namespace edgent::dynamic
