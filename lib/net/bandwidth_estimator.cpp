#include "net/bandwidth_estimator.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace edgent::net {

BandwidthEstimator::BandwidthEstimator(BandwidthEstimatorOptions options)
    : m_options(options) {
  m_options.rtt_window = std::max<std::size_t>(m_options.rtt_window, 1);
  m_options.bandwidth_window = std::max<std::size_t>(m_options.bandwidth_window, 1);
}

std::size_t BandwidthEstimator::min_bulk() const {
  return std::max(m_options.min_bulk_bytes, 4 * m_options.link_burst_bytes);
}

std::size_t BandwidthEstimator::min_probe() const {
  return std::max(m_options.min_probe_bytes, 8 * m_options.link_burst_bytes);
}

void BandwidthEstimator::add(std::size_t bytes, double network_ms, double now_s) {
  if (!std::isfinite(network_ms) || network_ms < 0.0) {
    return;
  }
  const std::optional<double> bw = bandwidth_kbps();
  const double transmission = bw ? static_cast<double>(bytes) * 8.0 / *bw : 0.0;
  m_recent.push_back({bytes, std::max(0.0, network_ms - transmission)});
  while (m_recent.size() > m_options.rtt_window) {
    m_recent.pop_front();
  }
  const double rtt = *rtt_ms();
  const double excess = network_ms - rtt;
  const double floor = std::max(m_options.min_excess_ms, m_options.min_excess_of_rtt * rtt);
  // A transfer as big as the largest probe that still fits within the timing floor comes
  // from a link faster than can be measured: it counts at the rate it would have needed to
  // take the floor (a lower bound; loopback).
  const bool too_fast = bytes >= m_options.max_probe_bytes && excess < floor;
  if (bytes >= min_bulk() && ((excess > 0.0 && excess >= floor) || too_fast)) {
    m_rates.push_back(static_cast<double>(bytes) * 8.0 / std::max(excess, floor)); // kbit/s
    while (m_rates.size() > m_options.bandwidth_window) {
      m_rates.pop_front();
    }
    m_last_bulk_s = now_s;
    ++m_bandwidth_samples;
  }
}

std::optional<double> BandwidthEstimator::rtt_ms() const {
  if (m_recent.empty()) {
    return std::nullopt;
  }
  // Small transfers set it; bulk ones only when there is no small one (their transmission
  // is what the bandwidth measures).
  const bool any_small = std::any_of(m_recent.begin(), m_recent.end(),
                                     [&](const Sample& s) { return s.bytes < min_bulk(); });
  double best = std::numeric_limits<double>::infinity();
  for (const Sample& s : m_recent) {
    if (!any_small || s.bytes < min_bulk()) {
      best = std::min(best, s.rtt_ms);
    }
  }
  return best;
}

std::optional<double> BandwidthEstimator::bandwidth_kbps() const {
  if (m_rates.empty()) {
    return std::nullopt;
  }
  std::vector<double> sorted(m_rates.begin(), m_rates.end());
  std::sort(sorted.begin(), sorted.end());
  const std::size_t n = sorted.size();
  return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
}

bool BandwidthEstimator::needs_probe(double now_s) const {
  return !m_last_bulk_s || now_s - *m_last_bulk_s > m_options.stale_s;
}

std::size_t BandwidthEstimator::probe_bytes() const {
  const auto bw = bandwidth_kbps();
  const double lo = static_cast<double>(min_probe());
  const double hi = std::max(lo, static_cast<double>(m_options.max_probe_bytes));
  if (!bw) {
    return min_probe();
  }
  // probe_target_ms at bw kbit/s: bytes = bw [bit/ms] * ms / 8 [bit/byte].
  const double bytes = *bw * m_options.probe_target_ms / 8.0;
  return static_cast<std::size_t>(std::clamp(bytes, lo, hi));
}

} // namespace edgent::net
