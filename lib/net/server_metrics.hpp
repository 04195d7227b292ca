#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace edgent::net {

/// The 50th, 95th and 99th percentiles of a recent sample, ms.
struct RecentQuantiles {
  double p50 = 0;
  double p95 = 0;
  double p99 = 0;
};

/// The load of an edge server at one moment (GET /v1/load).
struct ServerLoad {
  std::int64_t queued = 0;       ///< inference requests waiting for a worker
  std::int64_t inflight = 0;     ///< inference requests queued or running
  std::int64_t connections = 0;  ///< client connections open
  std::size_t samples = 0;       ///< recent inference requests the quantiles cover
  /// Quantiles of the recent requests' wait for a worker and time on it; empty before the
  /// first request.
  std::optional<RecentQuantiles> queue_ms;
  std::optional<RecentQuantiles> service_ms;
};

/// Counters of an edge server, rendered in the Prometheus text exposition format (0.0.4).
/// Thread-safe.
class ServerMetrics {
public:
  /// Inference requests the load quantiles cover (the most recent).
  static constexpr std::size_t kRecentRequests = 1024;
  /// Upper bounds of the request latency histogram buckets, seconds (+Inf is implied).
  static constexpr std::array<double, 12> kLatencyBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5};

  /// Records one answered request: its HTTP status, the seconds from its last byte read to
  /// its response written, and the bytes read and written for it (headers included).
  void record(unsigned status, double latency_s, std::size_t bytes_in, std::size_t bytes_out);
  /// Adds @p delta to the number of inference requests queued or running.
  void add_inflight(int delta);
  /// Adds @p delta to the number of inference requests waiting for a worker.
  void add_queued(int delta);
  /// Records one inference request's wait for a worker and time on it (handler call), ms;
  /// the most recent kRecentRequests make the quantiles of load().
  void record_timing(double queue_ms, double service_ms);
  /// The requests queued and in flight, the connections and the recent quantiles.
  ServerLoad load() const;
  /// Adds @p delta to the number of open connections.
  void add_connections(int delta);
  /// Requests answered with @p status so far.
  std::uint64_t requests(unsigned status) const;
  /// All of the above as Prometheus text.
  std::string render() const;

private:
  mutable std::mutex m_mutex;
  std::map<unsigned, std::uint64_t> m_by_status;
  std::array<std::uint64_t, kLatencyBuckets.size()> m_buckets{};
  std::uint64_t m_count = 0;
  double m_sum_s = 0.0;
  std::int64_t m_inflight = 0;
  std::int64_t m_connections = 0;
  std::int64_t m_queued = 0;
  /// Ring buffers of the recent requests' timings, ms; m_recent_next is the next slot.
  std::vector<double> m_recent_queue_ms;
  std::vector<double> m_recent_service_ms;
  std::size_t m_recent_next = 0;
  std::uint64_t m_bytes_in = 0;
  std::uint64_t m_bytes_out = 0;
};

} // namespace edgent::net
