#include "runtime/run_summary.hpp"

#include "core/json_view.hpp"
#include "core/log.hpp"
#include "core/stats.hpp"
#include "model/cascade.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

// Per-request record (one JSON line of -o):
//   id, input, plan {exit, cut, order, codec, cascade "E:TAU,...,E" (only for a cascade)},
//   exit_used, answered_on "device"|"edge", confidence (the answer's top softmax probability),
//   predicted {device_ms, edge_ms, up_ms, down_ms, total_ms} | null,
//   measured {device_ms, device_cpu_ms, codec_ms, edge_queue_ms, edge_compute_ms, up_ms,
//             down_ms, network_ms, total_ms},
//   bandwidth_kbps|null, rtt_ms|null,
//   planned_queue_ms,                     // the edge queueing assumed (online estimate)
//   device_scale,                         // the device speed assumed: fit x this (online estimate)
//   state {index, lo_kbps, estimate_kbps} | null,
//   trace_t_s|null, true_kbps|null,       // --emulate-trace: trace time and rate at the start
//   class, label|null, correct|null, deadline_ms, deadline_met, fallback, fallback_reason|null,
//   edge_busy,                            // the fallback was the edge's 503 (over a cap)
//   offloaded, bytes_up, bytes_down, switched, slowdown
// edgent.run/1 (--summary):
//   mode, strategy|null, oracle, model_sha256, deadline_ms, count, labelled, accuracy|null,
//   on_time_accuracy|null,                // correct and within the deadline, over labelled
//   deadline_misses, deadline_miss_rate, latency_ms {mean, p50, p95, p99, max},
//   plan_switches, fallbacks, busy_fallbacks, offloaded, bytes_up, bytes_down, probes,
//   answers [{exit, device, edge}],       // requests answered per exit, by where it ran
//   device {emulation "none"|"dilation"|"cpu-quota", slowdown, cpus|null},
//   overhead {requests, median_ms, median_ratio, within_target}   // offloaded: total - (device + edge compute)
//   prediction {requests, median_rel_error,  // |measured - predicted| / measured total
//               device {requests, median_rel_error,    // device compute, requests that ran some
//                       median_rel_error_profiled},        // the same against the unscaled fit
//               edge {requests, median_rel_error},     // edge compute, offloaded requests
//               network {requests, median_rel_error}}  // up + down, offloaded requests
//   elapsed_s, interrupted

namespace edgent::runtime {

namespace {

nlohmann::json plan_json(const plan::PlanRecord& p) {
  nlohmann::json j{{"exit", p.exit}, {"cut", p.cut}, {"order", plan::order_name(p.order)},
                   {"codec", p.codec}};
  if (p.cascade) {
    j["cascade"] = model::cascade_to_string(p.cascade->cascade);
  }
  return j;
}

/// stats::quantile() of @p v (q in [0, 1]), 0 when empty.
double percentile(const std::vector<double>& v, double q) {
  return v.empty() ? 0.0 : stats::quantile(v, q);
}

/// stats::median() of @p v, 0 when empty.
double median(std::vector<double> v) {
  return v.empty() ? 0.0 : stats::median(std::move(v));
}

/// stats::mean() of @p v, 0 when empty.
double mean_of(const std::vector<double>& v) {
  return v.empty() ? 0.0 : stats::mean(v);
}

} // namespace

nlohmann::json to_json(const RequestRecord& rec) {
  const RunResult& r = rec.result;
  const MeasuredBreakdown& m = r.measured;
  const bool known = rec.label >= 0;
  return {
      {"id", rec.id},
      {"input", rec.id},
      {"plan", plan_json(rec.plan)},
      {"exit_used", r.exit},
      {"answered_on", rec.answered_on_edge() ? "edge" : "device"},
      {"confidence", r.confidence},
      {"predicted", rec.predicted ? plan::breakdown_to_json(*rec.predicted) : nlohmann::json()},
      {"predicted_answer",
       rec.predicted_answer ? plan::breakdown_to_json(*rec.predicted_answer) : nlohmann::json()},
      {"measured",
       {{"device_ms", m.device_ms}, {"device_cpu_ms", m.device_cpu_ms}, {"codec_ms", m.codec_ms},
        {"edge_queue_ms", m.edge_queue_ms}, {"edge_compute_ms", m.edge_compute_ms},
        {"up_ms", m.up_ms}, {"down_ms", m.down_ms}, {"network_ms", m.network_ms},
        {"total_ms", m.total_ms}}},
      {"bandwidth_kbps", json_or_null(rec.bandwidth_kbps)},
      {"rtt_ms", json_or_null(rec.rtt_ms)},
      {"planned_queue_ms", rec.planned_queue_ms},
      {"device_scale", rec.device_scale},
      {"state", rec.state},
      {"trace_t_s", json_or_null(rec.trace_t_s)},
      {"true_kbps", json_or_null(rec.true_kbps)},
      {"class", rec.cls},
      {"label", known ? nlohmann::json(rec.label) : nlohmann::json()},
      {"correct", known ? nlohmann::json(rec.cls == rec.label) : nlohmann::json()},
      {"deadline_ms", rec.deadline_ms},
      {"deadline_met", rec.deadline_met()},
      {"fallback", r.fallback},
      {"fallback_reason", r.fallback ? nlohmann::json(r.fallback_reason) : nlohmann::json()},
      {"edge_busy", r.edge_busy},
      {"offloaded", r.offloaded},
      {"bytes_up", r.bytes_up},
      {"bytes_down", r.bytes_down},
      {"switched", rec.switched},
      {"slowdown", rec.slowdown}};
}

void RunSummary::add(const RequestRecord& rec) {
  const RunResult& r = rec.result;
  const bool met = rec.deadline_met();
  m_latencies.push_back(r.measured.total_ms);
  m_switches += rec.switched ? 1 : 0;
  m_misses += met ? 0 : 1;
  m_fallbacks += r.fallback ? 1 : 0;
  m_busy_fallbacks += r.fallback && r.edge_busy ? 1 : 0;
  m_offloaded += r.offloaded ? 1 : 0;
  m_bytes_up += r.bytes_up;
  m_bytes_down += r.bytes_down;
  if (r.exit >= 1) {
    const auto e = static_cast<std::size_t>(r.exit);
    if (m_device_answers.size() < e) {
      m_device_answers.resize(e, 0);
      m_edge_answers.resize(e, 0);
    }
    (rec.answered_on_edge() ? m_edge_answers : m_device_answers)[e - 1] += 1;
  }
  if (rec.label >= 0) {
    ++m_labelled;
    m_correct += rec.cls == rec.label ? 1 : 0;
    m_correct_on_time += rec.cls == rec.label && met ? 1 : 0;
  }
  if (r.offloaded) {
    const double compute = r.measured.device_ms + r.measured.edge_compute_ms;
    m_overhead_ms.push_back(r.measured.total_ms - compute);
    m_within_target += r.measured.total_ms - compute <= 0.1 * compute + 0.3 ? 1 : 0;
    if (compute > 0) {
      m_overhead_ratio.push_back((r.measured.total_ms - compute) / compute);
    }
  }
  const std::optional<plan::Breakdown>& predicted = rec.prediction_of_run();
  if (predicted && std::isfinite(predicted->total_ms) && !r.fallback && r.measured.total_ms > 0) {
    const MeasuredBreakdown& m = r.measured;
    const auto rel = [](double measured, double pred) {
      return std::abs(measured - pred) / measured;
    };
    m_rel_error.push_back(rel(m.total_ms, predicted->total_ms));
    if (m.device_ms > 0) {
      m_device_error.push_back(rel(m.device_ms, predicted->device_ms));
      m_device_profiled_error.push_back(rel(m.device_ms, predicted->device_ms / rec.device_scale));
    }
    if (r.offloaded && m.edge_compute_ms > 0) {
      m_edge_error.push_back(rel(m.edge_compute_ms, predicted->edge_ms));
    }
    if (r.offloaded && m.up_ms + m.down_ms > 0) {
      m_network_error.push_back(rel(m.up_ms + m.down_ms, predicted->up_ms + predicted->down_ms));
    }
  }
}

nlohmann::json RunSummary::to_json(const RunFacts& facts) const {
  const std::size_t n = m_latencies.size();
  std::vector<double> sorted = m_latencies;
  std::sort(sorted.begin(), sorted.end());
  nlohmann::json doc;
  doc["mode"] = facts.mode;
  doc["strategy"] = json_or_null(facts.strategy);
  doc["oracle"] = facts.oracle;
  doc["model_sha256"] = facts.model_sha256;
  doc["deadline_ms"] = facts.deadline_ms;
  doc["count"] = n;
  doc["labelled"] = m_labelled;
  doc["accuracy"] = m_labelled ? nlohmann::json(static_cast<double>(m_correct) / m_labelled)
                               : nlohmann::json();
  doc["on_time_accuracy"] = m_labelled
                                ? nlohmann::json(static_cast<double>(m_correct_on_time) / m_labelled)
                                : nlohmann::json();
  doc["deadline_misses"] = m_misses;
  doc["deadline_miss_rate"] = n ? static_cast<double>(m_misses) / n : 0.0;
  doc["latency_ms"] = {{"mean", mean_of(m_latencies)},
                       {"p50", percentile(sorted, 0.5)},
                       {"p95", percentile(sorted, 0.95)},
                       {"p99", percentile(sorted, 0.99)},
                       {"max", sorted.empty() ? 0.0 : sorted.back()}};
  doc["plan_switches"] = m_switches;
  doc["fallbacks"] = m_fallbacks;
  doc["busy_fallbacks"] = m_busy_fallbacks;
  doc["offloaded"] = m_offloaded;
  doc["bytes_up"] = m_bytes_up;
  doc["bytes_down"] = m_bytes_down;
  doc["probes"] = facts.probes;
  nlohmann::json answers = nlohmann::json::array();
  for (std::size_t e = 0; e < m_device_answers.size(); ++e) {
    if (m_device_answers[e] + m_edge_answers[e] > 0) {
      answers.push_back(
          {{"exit", e + 1}, {"device", m_device_answers[e]}, {"edge", m_edge_answers[e]}});
    }
  }
  doc["answers"] = std::move(answers);
  doc["device"] = {
      {"emulation", facts.slowdown > 1 ? "dilation" : facts.cpu_quota ? "cpu-quota" : "none"},
      {"slowdown", facts.slowdown},
      {"cpus", json_or_null(facts.cpu_quota)}};
  doc["overhead"] = {{"requests", m_overhead_ms.size()},
                     {"median_ms", median(m_overhead_ms)},
                     {"median_ratio", median(m_overhead_ratio)},
                     {"within_target",
                      m_overhead_ms.empty() ? 0.0
                                            : static_cast<double>(m_within_target) /
                                                  static_cast<double>(m_overhead_ms.size())}};
  const auto error_json = [](const std::vector<double>& e) {
    return nlohmann::json{{"requests", e.size()}, {"median_rel_error", median(e)}};
  };
  doc["prediction"] = error_json(m_rel_error);
  doc["prediction"]["device"] = error_json(m_device_error);
  doc["prediction"]["device"]["median_rel_error_profiled"] = median(m_device_profiled_error);
  doc["prediction"]["edge"] = error_json(m_edge_error);
  doc["prediction"]["network"] = error_json(m_network_error);
  doc["elapsed_s"] = facts.elapsed_s;
  doc["interrupted"] = facts.interrupted;
  return doc;
}

void RunSummary::log(const RunFacts& facts) const {
  const std::size_t n = m_latencies.size();
  std::vector<double> sorted = m_latencies;
  std::sort(sorted.begin(), sorted.end());
  log::info("{} requests in {:.2f} s ({} mode{}): accuracy {}, deadline {} ms missed {:.1f}%",
            n, facts.elapsed_s, facts.mode, facts.strategy ? ", " + *facts.strategy : "",
            m_labelled ? fmt::format("{:.4f}", static_cast<double>(m_correct) / m_labelled)
                       : "n/a",
            facts.deadline_ms, n ? 100.0 * static_cast<double>(m_misses) / n : 0.0);
  log::info("latency ms: mean {:.3f} p50 {:.3f} p95 {:.3f} p99 {:.3f}; plan switches {}, "
            "fallbacks {} ({} on a busy edge), offloaded {}, bytes up {} down {}, probes {}",
            mean_of(m_latencies), percentile(sorted, 0.5), percentile(sorted, 0.95),
            percentile(sorted, 0.99), m_switches, m_fallbacks, m_busy_fallbacks, m_offloaded,
            m_bytes_up,
            m_bytes_down, facts.probes);
  if (!m_overhead_ms.empty()) {
    log::info("overhead over device + edge compute: median {:.3f} ms ({:.1f}%) over {} requests, "
              "{:.1f}% within 10% + 0.3 ms",
              median(m_overhead_ms), 100.0 * median(m_overhead_ratio), m_overhead_ms.size(),
              100.0 * static_cast<double>(m_within_target) /
                  static_cast<double>(m_overhead_ms.size()));
  }
  if (!m_rel_error.empty()) {
    log::info("median |measured - predicted| / measured: {:.1f}% over {} requests (device "
              "compute {:.1f}%, {:.1f}% against the fit unscaled by the device's speed; edge "
              "compute {:.1f}%, network {:.1f}%)",
              100.0 * median(m_rel_error), m_rel_error.size(), 100.0 * median(m_device_error),
              100.0 * median(m_device_profiled_error), 100.0 * median(m_edge_error),
              100.0 * median(m_network_error));
  }
}

} // namespace edgent::runtime
