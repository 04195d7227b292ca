#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace edgent::net {

/// Counters of an edge server, rendered in the Prometheus text exposition format (0.0.4).
/// Thread-safe.
class ServerMetrics {
public:
  /// Upper bounds of the request latency histogram buckets, seconds (+Inf is implied).
  static constexpr std::array<double, 12> kLatencyBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5};

  /// Records one answered request: its HTTP status, the seconds from its last byte read to
  /// its response written, and the bytes read and written for it (headers included).
  void record(unsigned status, double latency_s, std::size_t bytes_in, std::size_t bytes_out);
  /// Adds @p delta to the number of inference requests queued or running.
  void add_inflight(int delta);
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
  std::uint64_t m_bytes_in = 0;
  std::uint64_t m_bytes_out = 0;
};

} // namespace edgent::net
