#pragma once

#include <cstddef>
#include <deque>
#include <optional>

namespace edgent::net {

/// Settings of a BandwidthEstimator.
struct BandwidthEstimatorOptions {
  /// Bytes the link passes at line rate after an idle spell (a token bucket's depth, such as
  /// tc tbf's burst): a transfer that fits in it does not see the rate, and a bigger one sees
  /// it only for the bytes beyond. Transfers must carry twice this to inform the bandwidth
  /// (their rate is that of the bytes beyond it), and probes carry at least twice it.
  /// 0 for a link that paces every byte (a real radio link; edgent-infer --emulate-trace).
  std::size_t link_burst_bytes = 0;
  /// Transfers smaller than this (bytes up + down) only inform the RTT. Bigger ones, requests
  /// included, also inform the bandwidth when their time beyond the RTT is measurable (see
  /// min_excess_of_rtt): on a slow link a request's own transfer shows the bandwidth at
  /// once, where probes would have to wait for idle time.
  std::size_t min_bulk_bytes = 512;
  /// A transfer informs the bandwidth only if its time beyond the RTT is at least this
  /// fraction of the RTT and at least min_excess_ms (otherwise timing noise dominates); a
  /// transfer of max_probe_bytes or more below that floor counts as a lower bound, at the
  /// rate that would have taken the floor.
  double min_excess_of_rtt = 0.5;
  double min_excess_ms = 2.0;
  /// Recent samples kept for the RTT (minimum) and for the bandwidth (median); bandwidth
  /// samples older than bandwidth_max_age_s before the newest one drop out too, so that a
  /// link measured only by occasional probes is not described by a minute-old median.
  std::size_t rtt_window = 16;
  std::size_t bandwidth_window = 8;
  double bandwidth_max_age_s = 1.0;
  /// The bandwidth estimate is stale (needs_probe()) this long after its newest sample, s.
  double stale_s = 1.0;
  /// A probe should take about this long at the current estimate, ms.
  double probe_target_ms = 20.0;
  /// Bounds of the suggested probe size, bytes (the lower one raised to 2 × link_burst_bytes).
  std::size_t min_probe_bytes = 256;
  std::size_t max_probe_bytes = 4 * 1024 * 1024;
};

/// Estimates round-trip time and bandwidth from timed transfers, keeping the two apart:
/// a transfer of b bytes taking t ms is modelled as t = RTT + 8 b / bandwidth. The RTT is the
/// minimum over recent small transfers of t less their own transmission time (all transfers
/// when there is no small one), the bandwidth the median of 8 b / (t - RTT) over recent
/// transfers big enough to measure it; each depends on the other, so both are iterated to a
/// fixed point after every sample. Not thread-safe.
class BandwidthEstimator {
public:
  explicit BandwidthEstimator(BandwidthEstimatorOptions options = {});

  /// Records a transfer of @p bytes (up + down, headers included) that took @p network_ms
  /// on the wire (the request's total time minus the server's queue and compute time),
  /// finished at @p now_s on the caller's monotonic clock (seconds). Ignores samples with
  /// a negative or non-finite time.
  void add(std::size_t bytes, double network_ms, double now_s);

  /// Bandwidth samples taken so far (transfers that informed the bandwidth).
  std::size_t bandwidth_samples() const { return m_bandwidth_samples; }
  /// When the newest bandwidth sample was taken (the caller's clock, s), if any.
  std::optional<double> last_bandwidth_sample_s() const { return m_last_bulk_s; }
  /// Round-trip time in ms, or nullopt before any sample.
  std::optional<double> rtt_ms() const;
  /// Bandwidth in kbit/s (1 kbit = 1000 bit), or nullopt before any bulk sample.
  std::optional<double> bandwidth_kbps() const;
  /// True when there is no bandwidth estimate or its newest sample is older than stale_s
  /// at @p now_s: small transfers alone cannot measure bandwidth, so the caller should probe.
  bool needs_probe(double now_s) const;
  /// Size of a probe transfer, bytes: probe_target_ms' worth at the current estimate, within
  /// [min_probe(), max_probe_bytes] (min_probe() without an estimate).
  std::size_t probe_bytes() const;
  /// The smallest probe that can measure the link: min_probe_bytes, at least 2 × the burst.
  std::size_t min_probe() const;
  /// The smallest transfer that informs the bandwidth: min_bulk_bytes, at least 2 × the burst.
  std::size_t min_bulk() const;

private:
  struct Sample {
    std::size_t bytes;
    double ms;
    double at_s;  ///< when it finished
  };
  /// The bytes of a transfer the link paces: those beyond its burst.
  double paced_bytes(std::size_t bytes) const;
  /// The timing floor a transfer's time beyond the RTT must clear to measure anything.
  double floor_ms(double rtt) const;
  /// The rate @p s shows with @p rtt, if it shows one.
  std::optional<double> rate_of(const Sample& s, double rtt) const;
  /// Recomputes m_rtt and m_bandwidth from the samples.
  void update();

  BandwidthEstimatorOptions m_options;
  std::deque<Sample> m_recent;  // every transfer, for the RTT
  std::deque<Sample> m_bulk;    // transfers big enough to inform the bandwidth
  std::optional<double> m_rtt;
  std::optional<double> m_bandwidth;
  std::optional<double> m_last_bulk_s;
  std::size_t m_bandwidth_samples = 0;
};

} // namespace edgent::net
