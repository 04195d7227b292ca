#pragma once

#include "dynamic/config_map_json.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace edgent::dynamic {

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

/// The edgent.evaluation/1 document (without schema/generator, added by write_artifact):
/// one entry per trace of @p evals but the last, which is the pool of all ("total").
nlohmann::json evaluation_to_json(const std::vector<Evaluation>& evals, const ConfigMap& map);

} // namespace edgent::dynamic
