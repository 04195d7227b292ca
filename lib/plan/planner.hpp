#pragma once

#include "plan/latency_model.hpp"

#include <optional>
#include <string>
#include <vector>

namespace edgent::plan {

/// The co-inference strategies the paper compares; all are searched by the same code over a
/// restricted candidate set.
enum class Strategy {
  edgent,         ///< every exit, cut, order and codec allowed
  device_only,    ///< main (last) exit, all on the device
  edge_only,      ///< main exit, all on the edge (input uploaded)
  partition_only, ///< main exit, best cut and order (Neurosurgeon)
  exit_only       ///< best exit, all on the device (right-sizing only)
};

/// All strategies, in the order above.
const std::vector<Strategy>& all_strategies();
/// "edgent", "device-only", "edge-only", "partition-only", "exit-only".
const char* strategy_name(Strategy strategy);
/// Parses a strategy name; throws UsageError for anything else.
Strategy parse_strategy(const std::string& name);

/// What the search may use besides the strategy's own restriction.
struct SearchSpace {
  bool device_first = true; ///< device-first plans allowed (device-only is always allowed)
  bool edge_first = true;   ///< edge-first plans allowed
};

/// The result of one decision.
struct Decision {
  Choice choice;
  Breakdown predicted;
  std::optional<double> accuracy; ///< empty when the model's accuracy is unknown
  bool feasible = false;          ///< predicted total ≤ deadline
  bool found = false;             ///< false only when the candidate set was empty
};

/// Picks the plan of @p strategy: the highest accuracy with predicted total ≤ @p deadline_ms,
/// ties to lower latency (then to the earlier candidate: lower exit, device-first, lower cut,
/// earlier codec). With unknown accuracy the deepest feasible exit wins, then lower latency.
/// With no feasible candidate: the lowest-latency candidate, feasible = false.
Decision decide(const LatencyModel& model, const Network& net, double deadline_ms,
                Strategy strategy, const SearchSpace& space = {});

/// Every candidate @p strategy considers, in canonical order (for tests and sweeps).
std::vector<Choice> candidates(const LatencyModel& model, Strategy strategy,
                               const SearchSpace& space = {});

/// The reward of the dynamic configuration: 0 when @p latency_ms > @p deadline_ms (or not
/// finite), else exp(accuracy) + 1 / latency_ms (throughput in inferences per millisecond;
/// latency clamped to ≥ 0.001 ms).
double reward(double accuracy, double latency_ms, double deadline_ms);

/// The accuracy used in rewards: the known accuracy, or, when unknown, the proxy
/// exit_number / number_of_exits (deeper exits assumed more accurate).
double reward_accuracy(const LatencyModel& model, const Decision& decision);

/// The reward of @p decision (0 when not feasible).
double reward_of(const LatencyModel& model, const Decision& decision, double deadline_ms);

/// A strategy's decision with its reward.
struct Scored {
  Decision decision;
  Strategy strategy = Strategy::edgent;
  double reward = 0; ///< R of the decision (0 when it misses the deadline)
};

/// Scores the plan of every strategy in @p strategies with the reward and returns the best
/// (ties to the earlier strategy); the decision of @p strategies.front() when all score 0.
Scored best_by_reward(const LatencyModel& model, const Network& net, double deadline_ms,
                      const std::vector<Strategy>& strategies, const SearchSpace& space = {});

} // namespace edgent::plan
