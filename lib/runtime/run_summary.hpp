#pragma once

#include "plan/latency_model.hpp"
#include "plan/plan_json.hpp"
#include "runtime/device_runner.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace edgent::runtime {

/// What edgent-infer records of one request (one JSON line of -o).
struct RequestRecord {
  std::size_t id = 0;                        ///< input index (offset included)
  plan::PlanRecord plan;
  std::optional<plan::Breakdown> predicted;  ///< empty = no prediction
  /// A cascade's prediction for the exit that answered, where it answered (the plan's
  /// per-exit breakdown); empty for a fixed exit, a fallback or without a prediction.
  std::optional<plan::Breakdown> predicted_answer;
  RunResult result;                          ///< the exit used and what was measured
  std::optional<double> bandwidth_kbps;      ///< the estimator's bandwidth at the start
  std::optional<double> rtt_ms;              ///< the estimator's RTT at the start
  double planned_queue_ms = 0;               ///< the edge queueing the plan assumed, ms
  /// The device speed the plan assumed: the fit's device times were multiplied by it.
  double device_scale = 1;
  nlohmann::json state;                      ///< map mode's state, null otherwise
  std::optional<double> trace_t_s;           ///< trace time at the start (emulated link)
  std::optional<double> true_kbps;           ///< the link's true rate at the start
  int cls = 0;                               ///< the predicted class
  int label = -1;                            ///< -1 = unknown
  double deadline_ms = 0;
  bool switched = false;                     ///< its plan differs from the previous request's
  double slowdown = 1;                       ///< time dilation K of the device runs

  /// What the request is measured against: the prediction of the exit that answered for a
  /// cascade, else the plan's.
  const std::optional<plan::Breakdown>& prediction_of_run() const {
    return predicted_answer ? predicted_answer : predicted;
  }
  /// The measured total is within the deadline.
  bool deadline_met() const { return result.measured.total_ms <= deadline_ms; }
  /// Whether the answering exit's last unit ran on the edge (device-first, offloaded).
  bool answered_on_edge() const {
    return result.offloaded && plan.order == plan::Order::device_first;
  }
};

/// The record's JSON line: id, input, plan {exit, cut, order, codec, cascade?}, exit_used,
/// answered_on ("device"|"edge"), confidence, predicted, measured {...}, bandwidth_kbps, rtt_ms,
/// planned_queue_ms, device_scale, state, trace_t_s, true_kbps, class, label, correct, deadline_ms,
/// deadline_met, fallback, fallback_reason, edge_busy, offloaded, bytes_up, bytes_down,
/// switched, slowdown (null for what is unknown).
nlohmann::json to_json(const RequestRecord& record);

/// What the summary states about the run besides its requests.
struct RunFacts {
  std::string mode;                       ///< "plan", "fits" or "map"
  std::optional<std::string> strategy;    ///< fits mode's strategy, empty otherwise
  bool oracle = false;
  std::string model_sha256;
  double deadline_ms = 0;
  std::size_t probes = 0;                 ///< bandwidth probes sent
  double slowdown = 1;                    ///< time dilation K; > 1 = "dilation"
  std::optional<double> cpu_quota;        ///< CPUs of the quota, when run under one
  double elapsed_s = 0;
  bool interrupted = false;
};

/// Accumulates the requests' records into the run's figures (edgent.run/1).
class RunSummary {
public:
  /// Counts one request.
  void add(const RequestRecord& record);
  /// Requests counted.
  std::size_t count() const { return m_latencies.size(); }
  /// The edgent.run/1 body (without schema and generator).
  nlohmann::json to_json(const RunFacts& facts) const;
  /// Logs the figures (info level).
  void log(const RunFacts& facts) const;

private:
  std::vector<double> m_latencies;
  std::vector<double> m_overhead_ms;
  std::vector<double> m_overhead_ratio;
  std::size_t m_within_target = 0;  ///< overhead <= 10% of compute + 0.3 ms
  std::vector<double> m_rel_error;
  std::vector<double> m_device_error;
  std::vector<double> m_device_profiled_error;  ///< against the fit's unscaled device time
  std::vector<double> m_edge_error;
  std::vector<double> m_network_error;
  std::size_t m_labelled = 0;
  std::size_t m_correct = 0;
  std::size_t m_correct_on_time = 0;
  std::size_t m_misses = 0;
  std::size_t m_switches = 0;
  std::size_t m_fallbacks = 0;
  std::size_t m_busy_fallbacks = 0;  ///< fallbacks on the edge's 503
  std::size_t m_offloaded = 0;
  std::size_t m_bytes_up = 0;
  std::size_t m_bytes_down = 0;
  /// Requests answered per exit (index exit - 1) on the device and on the edge.
  std::vector<std::size_t> m_device_answers;
  std::vector<std::size_t> m_edge_answers;
};

} // namespace edgent::runtime
