#include "plan/planner.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace edgent::plan {

const std::vector<Strategy>& all_strategies() {
  static const std::vector<Strategy> all{Strategy::edgent, Strategy::device_only,
                                         Strategy::edge_only, Strategy::partition_only,
                                         Strategy::exit_only};
  return all;
}

const char* strategy_name(Strategy strategy) {
  switch (strategy) {
  case Strategy::edgent:
    return "edgent";
  case Strategy::device_only:
    return "device-only";
  case Strategy::edge_only:
    return "edge-only";
  case Strategy::partition_only:
    return "partition-only";
  case Strategy::exit_only:
    return "exit-only";
  }
  return "?";
}

Strategy parse_strategy(const std::string& name) {
  for (const Strategy s : all_strategies()) {
    if (name == strategy_name(s)) {
      return s;
    }
  }
  throw UsageError(fmt::format(
      "unknown strategy '{}' (edgent, device-only, edge-only, partition-only, exit-only)", name));
}

namespace {

/// Calls @p visit(choice) for every candidate of @p strategy, in canonical order.
template <typename Visit>
void for_each_candidate(const LatencyModel& model, Strategy strategy, const SearchSpace& space,
                        Visit&& visit) {
  const PlanProblem& problem = model.problem();
  const int nexit = static_cast<int>(problem.exits.size());
  const int ncodec = static_cast<int>(problem.codecs.size());
  const bool all_exits = strategy == Strategy::edgent || strategy == Strategy::exit_only;
  const bool device_only = strategy != Strategy::edge_only;
  const bool edge_only = strategy == Strategy::edgent || strategy == Strategy::edge_only ||
                         strategy == Strategy::partition_only;
  const bool partition = strategy == Strategy::edgent || strategy == Strategy::partition_only;
  for (int x = all_exits ? 0 : nexit - 1; x < nexit; ++x) {
    const ExitCosts& e = problem.exits[x];
    const int n = e.units();
    if (space.device_first) {
      if (edge_only) {
        for (int k = 0; k < ncodec; ++k) {
          visit(Choice{x, 0, Order::device_first, k});
        }
      }
      if (partition) {
        for (const int c : e.cuts) {
          if (c > 0 && c < n) {
            for (int k = 0; k < ncodec; ++k) {
              visit(Choice{x, c, Order::device_first, k});
            }
          }
        }
      }
    }
    if (device_only) {
      visit(Choice{x, n, Order::device_first, -1});
    }
    if (partition && space.edge_first) {
      for (const int c : e.cuts) {
        if (c > 0 && c < n) {
          for (int k = 0; k < ncodec; ++k) {
            visit(Choice{x, c, Order::edge_first, k});
          }
        }
      }
    }
  }
}

constexpr double kTie = 1e-12;

} // namespace

std::vector<Choice> candidates(const LatencyModel& model, Strategy strategy,
                               const SearchSpace& space) {
  std::vector<Choice> out;
  for_each_candidate(model, strategy, space, [&](const Choice& c) { out.push_back(c); });
  return out;
}

const char* objective_name(Objective::Kind kind) {
  return kind == Objective::Kind::accuracy ? "accuracy" : "reward";
}

Objective::Kind parse_objective(const std::string& name, const std::string& option) {
  if (name == "accuracy") {
    return Objective::Kind::accuracy;
  }
  if (name == "reward") {
    return Objective::Kind::reward;
  }
  throw UsageError(fmt::format("unknown objective '{}' (accuracy or reward)", name), {}, option);
}

namespace {

struct UnitName {
  const char* name;
  double ms;
};
constexpr UnitName kUnits[] = {{"us", 1e-3}, {"ms", 1.0}, {"s", 1e3}};

} // namespace

double parse_throughput_unit(const std::string& name, const std::string& option) {
  for (const UnitName& u : kUnits) {
    if (name == u.name) {
      return u.ms;
    }
  }
  throw UsageError(fmt::format("unknown throughput unit '{}' (us, ms or s)", name), {}, option);
}

std::string throughput_unit_name(double unit_ms) {
  for (const UnitName& u : kUnits) {
    if (unit_ms == u.ms) {
      return u.name;
    }
  }
  return fmt::format("{}ms", unit_ms);
}

Decision decide(const LatencyModel& model, const Network& net, double deadline_ms,
                Strategy strategy, const SearchSpace& space, const Objective& objective) {
  const bool known = model.problem().accuracy_known();
  const auto& exits = model.problem().exits;
  const auto accuracy_of = [&](const Choice& c) {
    if (known) {
      return *model.accuracy(c);
    }
    // The accuracy objective ranks deeper exits first; the reward uses the proxy of
    // reward_accuracy() (exit / number of exits), the same order.
    return static_cast<double>(exits[c.exit_index].exit) /
           static_cast<double>(exits.back().exit);
  };
  Decision best_feasible;
  double best_score = -std::numeric_limits<double>::infinity();
  Decision fastest;
  for_each_candidate(model, strategy, space, [&](const Choice& c) {
    const Breakdown b = model.latency(c, net);
    if (!fastest.found || b.total_ms < fastest.predicted.total_ms) {
      fastest.choice = c;
      fastest.predicted = b;
      fastest.found = true;
    }
    if (!(b.total_ms <= deadline_ms)) {
      return;
    }
    const double score = objective.kind == Objective::Kind::accuracy
                             ? accuracy_of(c)
                             : reward(accuracy_of(c), b.total_ms, deadline_ms,
                                      objective.throughput_unit_ms);
    if (!best_feasible.found || score > best_score + kTie ||
        (score >= best_score - kTie && b.total_ms < best_feasible.predicted.total_ms)) {
      best_feasible.choice = c;
      best_feasible.predicted = b;
      best_feasible.found = true;
      best_score = score;
    }
  });
  Decision out = best_feasible.found ? best_feasible : fastest;
  out.feasible = best_feasible.found;
  if (out.found && known) {
    out.accuracy = model.accuracy(out.choice);
  }
  return out;
}

double reward(double accuracy, double latency_ms, double deadline_ms, double throughput_unit_ms) {
  if (!std::isfinite(latency_ms) || !(latency_ms <= deadline_ms)) {
    return 0;
  }
  constexpr double kMinLatencyMs = 1e-3; // keeps a zero-cost plan's throughput finite
  return std::exp(accuracy) + throughput_unit_ms / std::max(latency_ms, kMinLatencyMs);
}

double reward_accuracy(const LatencyModel& model, const Decision& decision) {
  if (decision.accuracy) {
    return *decision.accuracy;
  }
  const auto& exits = model.problem().exits;
  return static_cast<double>(exits[decision.choice.exit_index].exit) /
         static_cast<double>(exits.back().exit);
}

double reward_of(const LatencyModel& model, const Decision& decision, double deadline_ms,
                 double throughput_unit_ms) {
  if (!decision.found) {
    return 0;
  }
  return reward(reward_accuracy(model, decision), decision.predicted.total_ms, deadline_ms,
                throughput_unit_ms);
}

Scored best_of(const LatencyModel& model, const Network& net, double deadline_ms,
               const std::vector<Strategy>& strategies, const Objective& objective,
               const SearchSpace& space) {
  Scored best;
  bool first = true;
  for (const Strategy s : strategies) {
    Scored cur;
    cur.decision = decide(model, net, deadline_ms, s, space, objective);
    cur.strategy = s;
    if (cur.decision.feasible) {
      cur.score = objective.kind == Objective::Kind::accuracy
                      ? reward_accuracy(model, cur.decision)
                      : reward_of(model, cur.decision, deadline_ms, objective.throughput_unit_ms);
    }
    const bool better =
        cur.score > best.score + kTie ||
        (cur.score >= best.score - kTie && cur.decision.feasible &&
         cur.decision.predicted.total_ms < best.decision.predicted.total_ms);
    if (first || better) {
      best = cur;
      first = false;
    }
  }
  return best;
}

} // namespace edgent::plan
