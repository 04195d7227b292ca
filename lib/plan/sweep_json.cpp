#include "plan/sweep_json.hpp"

#include "core/json_view.hpp"

// edgent.sweep/1 (lib/schema/sweep.1.json):
//   rtt_ms, edge_queue_ms, up_fixed_ms, down_fixed_ms, model_sha256,
//   rows [{bandwidth_kbps, deadline_ms, strategy, feasible, exit, cut, order, codec,
//          accuracy|null, device_ms, codec_ms, edge_ms, up_ms, down_ms, total_ms, reward}]
//     // one row per (bandwidth, deadline, strategy); times null = infinite (no link)

namespace edgent::plan {

nlohmann::json to_json(const SweepRow& r) {
  nlohmann::json row = plan_to_json(r.plan);
  row["bandwidth_kbps"] = r.bandwidth_kbps;
  row["deadline_ms"] = r.deadline_ms;
  row["strategy"] = r.strategy;
  row["feasible"] = r.feasible;
  const nlohmann::json predicted = breakdown_to_json(r.predicted);
  for (auto it = predicted.begin(); it != predicted.end(); ++it) {
    row[it.key()] = it.value();
  }
  row["reward"] = r.reward;
  return row;
}

nlohmann::json to_json(const SweepArtifact& s) {
  nlohmann::json doc;
  doc["rtt_ms"] = s.rtt_ms;
  doc["edge_queue_ms"] = s.edge_queue_ms;
  doc["up_fixed_ms"] = s.up_fixed_ms;
  doc["down_fixed_ms"] = s.down_fixed_ms;
  doc["model_sha256"] = s.model_sha256;
  doc["rows"] = nlohmann::json::array();
  for (const SweepRow& r : s.rows) {
    doc["rows"].push_back(to_json(r));
  }
  return doc;
}

SweepArtifact read_sweep(const Artifact& artifact) {
  const JsonView root = artifact.root();
  SweepArtifact s;
  s.rtt_ms = root.at("rtt_ms").number();
  s.edge_queue_ms = root.at("edge_queue_ms").number();
  s.up_fixed_ms = root.at("up_fixed_ms").number();
  s.down_fixed_ms = root.at("down_fixed_ms").number();
  s.model_sha256 = root.at("model_sha256").string();
  for (const JsonView& v : root.at("rows").elements()) {
    SweepRow r;
    r.bandwidth_kbps = v.at("bandwidth_kbps").number();
    r.deadline_ms = v.at("deadline_ms").number();
    r.strategy = v.at("strategy").string();
    r.feasible = v.at("feasible").boolean();
    r.plan = plan_from_json(v);
    r.predicted = breakdown_from_json(v);
    r.reward = v.at("reward").number();
    s.rows.push_back(std::move(r));
  }
  return s;
}

} // namespace edgent::plan
