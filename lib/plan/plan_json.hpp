#pragma once

#include "core/json_view.hpp"
#include "plan/planner.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace edgent::plan {

/// A plan as artifacts store it (edgent.plan/1 `plan`, edgent.configmap/1 `states[].plan`).
struct PlanRecord {
  int exit = 0;                   ///< 1-based exit number
  int cut = 0;                    ///< units before the cut
  Order order = Order::device_first;
  std::string codec;              ///< codec name, or "none" for device-only (nothing sent)
  std::optional<double> accuracy; ///< empty = unknown
};

/// The record of @p decision (exit number, codec name) under @p model.
PlanRecord to_record(const LatencyModel& model, const Decision& decision);

/// `{exit, cut, order, codec, accuracy|null}`.
nlohmann::json plan_to_json(const PlanRecord& plan);
/// `{device_ms, edge_ms, up_ms, down_ms, total_ms}` (infinite values as null).
nlohmann::json breakdown_to_json(const Breakdown& b);

/// Reads a plan object; throws SchemaError naming the file and key.
PlanRecord plan_from_json(const JsonView& v);
/// Reads a breakdown object.
Breakdown breakdown_from_json(const JsonView& v);

} // namespace edgent::plan
