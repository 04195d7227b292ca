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

/// What a plan maximises among the candidates that meet the deadline.
struct Objective {
  enum class Kind {
    /// The highest accuracy whose predicted latency meets the deadline, ties to the lower
    /// latency: the paper's stated goal.
    accuracy,
    /// The paper's reward exp(accuracy) + throughput, throughput = throughput_unit_ms /
    /// latency_ms (inferences per unit of time); 0 when the deadline is missed.
    reward
  };
  Kind kind = Kind::accuracy;
  /// The reward's unit of time, ms (1 = inferences per millisecond, 1000 = per second). The
  /// larger the unit, the more the reward favours fast plans over accurate ones.
  double throughput_unit_ms = 1;
};

/// "accuracy" / "reward".
const char* objective_name(Objective::Kind kind);
/// Parses an objective name; throws UsageError naming @p option for anything else.
Objective::Kind parse_objective(const std::string& name, const std::string& option = "--objective");
/// Parses a throughput unit ("us", "ms", "s") into ms; throws UsageError naming @p option.
double parse_throughput_unit(const std::string& name,
                             const std::string& option = "--throughput-unit");
/// The name of a throughput unit in ms ("us", "ms", "s"; otherwise the number of ms).
std::string throughput_unit_name(double unit_ms);

/// The result of one decision.
struct Decision {
  Choice choice;
  Breakdown predicted;
  std::optional<double> accuracy; ///< empty when the model's accuracy is unknown
  bool feasible = false;          ///< predicted total ≤ deadline
  bool found = false;             ///< false only when the candidate set was empty
};

/// Picks the plan of @p strategy: among the candidates with predicted total ≤ @p deadline_ms,
/// the highest accuracy (Objective::accuracy) or reward (Objective::reward), ties to lower
/// latency (then to the earlier candidate: lower exit, device-first, lower cut, earlier
/// codec). With unknown accuracy the accuracy objective takes the deepest feasible exit, the
/// reward objective reward_accuracy()'s proxy. With no feasible candidate: the lowest-latency
/// candidate, feasible = false.
Decision decide(const LatencyModel& model, const Network& net, double deadline_ms,
                Strategy strategy, const SearchSpace& space = {},
                const Objective& objective = {});

/// Every candidate @p strategy considers, in canonical order (for tests and sweeps).
std::vector<Choice> candidates(const LatencyModel& model, Strategy strategy,
                               const SearchSpace& space = {});

/// The reward of the dynamic configuration: 0 when @p latency_ms > @p deadline_ms (or not
/// finite), else exp(accuracy) + @p throughput_unit_ms / latency_ms (throughput in
/// inferences per unit; latency clamped to ≥ 0.001 ms).
double reward(double accuracy, double latency_ms, double deadline_ms,
              double throughput_unit_ms = 1);

/// The accuracy used in rewards: the known accuracy, or, when unknown, the proxy
/// exit_number / number_of_exits (deeper exits assumed more accurate).
double reward_accuracy(const LatencyModel& model, const Decision& decision);

/// The reward of @p decision (0 when not feasible).
double reward_of(const LatencyModel& model, const Decision& decision, double deadline_ms,
                 double throughput_unit_ms = 1);

/// A strategy's decision with its score under an objective.
struct Scored {
  Decision decision;
  Strategy strategy = Strategy::edgent;
  /// The objective's value: the accuracy (reward_accuracy's proxy when unknown) or the reward;
  /// 0 when the decision misses the deadline.
  double score = 0;
};

/// The plan of every strategy in @p strategies under @p objective; returns the best by
/// score, ties to the lower predicted latency, then to the earlier strategy; the decision of
/// @p strategies.front() when none meets the deadline.
Scored best_of(const LatencyModel& model, const Network& net, double deadline_ms,
               const std::vector<Strategy>& strategies, const Objective& objective,
               const SearchSpace& space = {});

} // namespace edgent::plan
