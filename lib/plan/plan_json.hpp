#pragma once

#include "core/artifact.hpp"
#include "core/json_view.hpp"
#include "model/cascade.hpp"
#include "plan/planner.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace edgent::plan {

/// The confidence cascade of a plan (absent for a fixed-exit plan): the plan's exit is its
/// final exit and the plan's cut a cut of that exit's chain (device-first).
struct CascadePlan {
  model::Cascade cascade;
  std::vector<double> leave;        ///< P(leave) per exit of cascade.exits, as measured
  std::vector<double> latency_ms;   ///< predicted latency of an input leaving at each exit
  std::string statistic = "mean";   ///< what met the deadline: "mean", "p95" or "max"
  double expected_ms = 0;           ///< sum of leave x latency_ms
  double p95_ms = 0;                ///< smallest latency whose cumulative P(leave) reaches 0.95
};

/// A plan as artifacts store it (edgent.plan/1 `plan`, edgent.configmap/1 `states[].plan`).
struct PlanRecord {
  int exit = 0;                   ///< 1-based exit number
  int cut = 0;                    ///< units before the cut
  Order order = Order::device_first;
  std::string codec;              ///< codec name, or "none" for device-only (nothing sent)
  std::optional<double> accuracy; ///< empty = unknown (a cascade's: the measured one)
  std::optional<CascadePlan> cascade = std::nullopt; ///< empty = every input leaves at `exit`
};

/// The record of @p decision (exit number, codec name) under @p model.
PlanRecord to_record(const LatencyModel& model, const Decision& decision);

/// `{exit, cut, order, codec, accuracy|null, cascade?}`.
nlohmann::json plan_to_json(const PlanRecord& plan);
/// `{device_ms, edge_ms, up_ms, down_ms, total_ms}` (infinite values as null).
nlohmann::json breakdown_to_json(const Breakdown& b);

/// Reads a plan object; throws SchemaError naming the file and key (a cascade must end at
/// `exit`, be device-first, and have thresholds in [0, 1]).
PlanRecord plan_from_json(const JsonView& v);
/// Reads a breakdown object.
Breakdown breakdown_from_json(const JsonView& v);

/// The edgent.plan/1 artifact: one plan for one deadline and network.
struct PlanArtifact {
  std::string strategy;                  ///< strategy_name()
  bool feasible = false;                 ///< the plan meets the deadline
  std::optional<double> deadline_ms;     ///< always written; optional for hand-made plans
  std::optional<double> bandwidth_kbps;  ///< empty when only up and down were given
  double up_kbps = 0;
  double down_kbps = 0;
  double rtt_ms = 0;
  double edge_queue_ms = 0;
  double up_fixed_ms = 0;
  double down_fixed_ms = 0;
  /// The device speed planned at (Network::device_scale); written only when not 1.
  double device_scale = 1;
  std::string model_sha256;
  bool accuracy_known = false;
  PlanRecord plan;
  Breakdown predicted;
  double reward = 0;
};

/// Reads an edgent.plan/1 artifact: `plan`, `predicted` and `model_sha256` are required, the
/// rest is checked when present. Throws SchemaError naming the file and key.
PlanArtifact read_plan(const Artifact& artifact);
/// The artifact's body (write_artifact adds schema and generator).
nlohmann::json to_json(const PlanArtifact& plan);

} // namespace edgent::plan
