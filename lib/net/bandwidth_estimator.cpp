#include "net/bandwidth_estimator.hpp"

#include "core/stats.hpp"

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
  return std::max(m_options.min_bulk_bytes, 2 * m_options.link_burst_bytes);
}

std::size_t BandwidthEstimator::min_probe() const {
  return std::max(m_options.min_probe_bytes, 2 * m_options.link_burst_bytes);
}

double BandwidthEstimator::paced_bytes(std::size_t bytes) const {
  return static_cast<double>(bytes - std::min(bytes, m_options.link_burst_bytes));
}

double BandwidthEstimator::floor_ms(double rtt) const {
  return std::max(m_options.min_excess_ms, m_options.min_excess_of_rtt * rtt);
}

std::optional<double> BandwidthEstimator::rate_of(const Sample& s, double rtt) const {
  const double excess = s.ms - rtt;
  const double floor = floor_ms(rtt);
  // A transfer as big as the largest probe that still fits within the timing floor comes
  // from a link faster than can be measured: it counts at the rate it would have needed to
  // take the floor (a lower bound; loopback).
  const bool too_fast = s.bytes >= m_options.max_probe_bytes && excess < floor;
  if ((excess > 0.0 && excess >= floor) || too_fast) {
    // The link's burst passes at line rate: the rate is that of the bytes beyond it.
    return paced_bytes(s.bytes) * 8.0 / std::max(excess, floor); // bit/ms = kbit/s
  }
  return std::nullopt;
}

void BandwidthEstimator::update() {
  if (m_recent.empty()) {
    m_rtt.reset();
    m_bandwidth.reset();
    return;
  }
  // Small transfers set the RTT; bulk ones only when there is no small one (their
  // transmission is what the bandwidth measures). A small transfer's own bytes take time on
  // a slow link too: its transmission at the bandwidth estimate is taken out, and the RTT
  // and the bandwidth are iterated together (a few rounds reach the fixed point, as the
  // small transfers are much smaller than the bulk ones).
  const bool any_small = std::any_of(m_recent.begin(), m_recent.end(),
                                     [&](const Sample& s) { return s.bytes < min_bulk(); });
  std::optional<double> bw;
  double rtt = 0;
  for (int round = 0; round < 6; ++round) {
    rtt = std::numeric_limits<double>::infinity();
    for (const Sample& s : m_recent) {
      if (!any_small || s.bytes < min_bulk()) {
        const double transmission = bw ? paced_bytes(s.bytes) * 8.0 / *bw : 0.0;
        rtt = std::min(rtt, std::max(0.0, s.ms - transmission));
      }
    }
    std::vector<double> rates;
    for (const Sample& s : m_bulk) {
      if (const auto r = rate_of(s, rtt)) {
        rates.push_back(*r);
      }
    }
    if (rates.empty()) {
      bw.reset();
      break;
    }
    bw = stats::median(std::move(rates));
  }
  m_rtt = rtt;
  m_bandwidth = bw;
}

void BandwidthEstimator::add(std::size_t bytes, double network_ms, double now_s) {
  if (!std::isfinite(network_ms) || network_ms < 0.0) {
    return;
  }
  const Sample sample{bytes, network_ms, now_s};
  m_recent.push_back(sample);
  while (m_recent.size() > m_options.rtt_window) {
    m_recent.pop_front();
  }
  if (bytes >= min_bulk()) {
    update();  // the RTT as it is with this transfer, which may be the only one
    if (rate_of(sample, *m_rtt)) {
      m_bulk.push_back(sample);
      while (m_bulk.size() > m_options.bandwidth_window ||
             (m_bulk.size() > 1 && m_bulk.front().at_s < now_s - m_options.bandwidth_max_age_s)) {
        m_bulk.pop_front();
      }
      m_last_bulk_s = now_s;
      ++m_bandwidth_samples;
    }
  }
  update();
}

std::optional<double> BandwidthEstimator::rtt_ms() const { return m_rtt; }

std::optional<double> BandwidthEstimator::bandwidth_kbps() const { return m_bandwidth; }

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
