#pragma once

#include "core/artifact.hpp"
#include "plan/plan_json.hpp"
#include "plan/planner.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace edgent::plan {

/// One (bandwidth, deadline, strategy) cell of a sweep and the plan chosen there.
struct SweepRow {
  double bandwidth_kbps = 0;
  double deadline_ms = 0;
  std::string strategy;        ///< strategy_name()
  bool feasible = false;
  PlanRecord plan;
  Breakdown predicted;         ///< infinite times are null in JSON
  double reward = 0;
};

/// The edgent.sweep/1 artifact (edgent-plan --sweep-bandwidth/--sweep-deadline).
struct SweepArtifact {
  double rtt_ms = 0;
  double edge_queue_ms = 0;
  double up_fixed_ms = 0;
  double down_fixed_ms = 0;
  std::string model_sha256;
  std::vector<SweepRow> rows;
};

/// A row as one flat object: {bandwidth_kbps, deadline_ms, strategy, feasible, exit, cut, order,
/// codec, accuracy|null, device_ms, codec_ms, edge_ms, up_ms, down_ms, total_ms, reward}.
nlohmann::json to_json(const SweepRow& row);
/// The artifact's body (write_artifact adds schema and generator).
nlohmann::json to_json(const SweepArtifact& sweep);
/// Reads an edgent.sweep/1 artifact; throws SchemaError naming the file and key.
SweepArtifact read_sweep(const Artifact& artifact);

} // namespace edgent::plan
