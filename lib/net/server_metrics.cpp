#include "net/server_metrics.hpp"

#include "core/stats.hpp"

#include <fmt/format.h>

namespace edgent::net {

void ServerMetrics::record(unsigned status, double latency_s, std::size_t bytes_in,
                           std::size_t bytes_out) {
  const std::lock_guard lock(m_mutex);
  ++m_by_status[status];
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (latency_s <= kLatencyBuckets[i]) {
      ++m_buckets[i];
    }
  }
  ++m_count;
  m_sum_s += latency_s;
  m_bytes_in += bytes_in;
  m_bytes_out += bytes_out;
}

void ServerMetrics::add_inflight(int delta) {
  const std::lock_guard lock(m_mutex);
  m_inflight += delta;
}

void ServerMetrics::add_queued(int delta) {
  const std::lock_guard lock(m_mutex);
  m_queued += delta;
}

void ServerMetrics::record_timing(double queue_ms, double service_ms) {
  const std::lock_guard lock(m_mutex);
  if (m_recent_queue_ms.size() < kRecentRequests) {
    m_recent_queue_ms.push_back(queue_ms);
    m_recent_service_ms.push_back(service_ms);
  } else {
    m_recent_queue_ms[m_recent_next] = queue_ms;
    m_recent_service_ms[m_recent_next] = service_ms;
  }
  m_recent_next = (m_recent_next + 1) % kRecentRequests;
}

namespace {

std::optional<RecentQuantiles> recent_quantiles(const std::vector<double>& samples) {
  if (samples.empty()) {
    return std::nullopt;
  }
  return RecentQuantiles{stats::quantile(samples, 0.5), stats::quantile(samples, 0.95),
                         stats::quantile(samples, 0.99)};
}

} // namespace

ServerLoad ServerMetrics::load() const {
  std::vector<double> queue_ms;
  std::vector<double> service_ms;
  ServerLoad load;
  {
    const std::lock_guard lock(m_mutex);
    load.queued = m_queued;
    load.inflight = m_inflight;
    load.connections = m_connections;
    queue_ms = m_recent_queue_ms;
    service_ms = m_recent_service_ms;
  }
  // The quantiles sort copies outside the lock: requests are never held up by a load query.
  load.samples = queue_ms.size();
  load.queue_ms = recent_quantiles(queue_ms);
  load.service_ms = recent_quantiles(service_ms);
  return load;
}

void ServerMetrics::add_connections(int delta) {
  const std::lock_guard lock(m_mutex);
  m_connections += delta;
}

std::uint64_t ServerMetrics::requests(unsigned status) const {
  const std::lock_guard lock(m_mutex);
  const auto it = m_by_status.find(status);
  return it == m_by_status.end() ? 0 : it->second;
}

std::string ServerMetrics::render() const {
  const std::lock_guard lock(m_mutex);
  std::string out;
  out += "# HELP edgent_requests_total HTTP requests answered, by status code.\n";
  out += "# TYPE edgent_requests_total counter\n";
  for (const auto& [status, n] : m_by_status) {
    out += fmt::format("edgent_requests_total{{status=\"{}\"}} {}\n", status, n);
  }
  out += "# HELP edgent_request_duration_seconds Time from a request read to its response "
         "written.\n";
  out += "# TYPE edgent_request_duration_seconds histogram\n";
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    out += fmt::format("edgent_request_duration_seconds_bucket{{le=\"{}\"}} {}\n",
                       kLatencyBuckets[i], m_buckets[i]);
  }
  out += fmt::format("edgent_request_duration_seconds_bucket{{le=\"+Inf\"}} {}\n", m_count);
  out += fmt::format("edgent_request_duration_seconds_sum {}\n", m_sum_s);
  out += fmt::format("edgent_request_duration_seconds_count {}\n", m_count);
  out += "# HELP edgent_inflight_requests Inference requests queued or running.\n";
  out += "# TYPE edgent_inflight_requests gauge\n";
  out += fmt::format("edgent_inflight_requests {}\n", m_inflight);
  out += "# HELP edgent_queued_requests Inference requests waiting for a worker.\n";
  out += "# TYPE edgent_queued_requests gauge\n";
  out += fmt::format("edgent_queued_requests {}\n", m_queued);
  out += "# HELP edgent_open_connections Client connections open.\n";
  out += "# TYPE edgent_open_connections gauge\n";
  out += fmt::format("edgent_open_connections {}\n", m_connections);
  out += "# HELP edgent_received_bytes_total Bytes of requests read, headers included.\n";
  out += "# TYPE edgent_received_bytes_total counter\n";
  out += fmt::format("edgent_received_bytes_total {}\n", m_bytes_in);
  out += "# HELP edgent_sent_bytes_total Bytes of responses written, headers included.\n";
  out += "# TYPE edgent_sent_bytes_total counter\n";
  out += fmt::format("edgent_sent_bytes_total {}\n", m_bytes_out);
  return out;
}

} // namespace edgent::net
