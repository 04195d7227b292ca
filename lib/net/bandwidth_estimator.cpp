#include "net/bandwidth_estimator.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace edgent::net {

BandwidthEstimator::BandwidthEstimator(BandwidthEstimatorOptions options)
    : m_options(options) {
  m_options.rtt_window = std::max<std::size_t>(m_options.rtt_window, 1);
  m_options.bandwidth_window = std::max<std::size_t>(m_options.bandwidth_window, 1);
}

void BandwidthEstimator::add(std::size_t bytes, double network_ms, double now_s) {
  if (!std::isfinite(network_ms) || network_ms < 0.0) {
    return;
  }
  m_recent.push_back({bytes, network_ms});
  while (m_recent.size() > m_options.rtt_window) {
    m_recent.pop_front();
  }
  const double rtt = *rtt_ms();
  const double excess = network_ms - rtt;
  if (bytes >= m_options.min_bulk_bytes && excess > 0.0 &&
      excess >= m_options.min_excess_of_rtt * rtt) {
    m_rates.push_back(static_cast<double>(bytes) * 8.0 / excess); // bit/ms = kbit/s
    while (m_rates.size() > m_options.bandwidth_window) {
      m_rates.pop_front();
    }
    m_last_bulk_s = now_s;
  }
}

std::optional<double> BandwidthEstimator::rtt_ms() const {
  if (m_recent.empty()) {
    return std::nullopt;
  }
  return std::min_element(m_recent.begin(), m_recent.end(),
                          [](const Sample& a, const Sample& b) { return a.ms < b.ms; })
      ->ms;
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
  const auto rtt = rtt_ms();
  if (!bw || !rtt) {
    return m_options.min_probe_bytes;
  }
  // 8 RTTs at bw kbit/s: bytes = bw [bit/ms] * 8 * rtt [ms] / 8 [bit/byte].
  const double bytes = *bw * std::max(*rtt, 1.0);
  return static_cast<std::size_t>(std::clamp(bytes, static_cast<double>(m_options.min_probe_bytes),
                                             static_cast<double>(m_options.max_probe_bytes)));
}

} // namespace edgent::net
