#include "dynamic/change_point.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace edgent::dynamic {

Bocpd::Bocpd(BocpdSettings settings) : m_settings(settings) {
  if (!(m_settings.hazard_run >= 1) || !(m_settings.sigma > 0) || !(m_settings.prior_sigma > 0) ||
      !(m_settings.floor_kbps > 0) || m_settings.max_run < 2) {
    throw ConfigError("detector settings: need hazard_run >= 1, sigma > 0, prior_sigma > 0, "
                      "floor_kbps > 0, max_run >= 2");
  }
  m_prob.reserve(m_settings.max_run);
}

double Bocpd::posterior_mean(std::size_t i) const {
  const double s2 = m_settings.sigma * m_settings.sigma;
  const double t2 = m_settings.prior_sigma * m_settings.prior_sigma;
  return (m_mu0 / t2 + m_sum[i] / s2) / (1 / t2 + m_len[i] / s2);
}

bool Bocpd::update(double kbps) {
  const double x = std::log(std::max(kbps, m_settings.floor_kbps));
  const double s2 = m_settings.sigma * m_settings.sigma;
  const double t2 = m_settings.prior_sigma * m_settings.prior_sigma;
  const double hazard = 1.0 / m_settings.hazard_run;
  const auto normal = [](double v, double mean, double var) {
    const double d = v - mean;
    return std::exp(-0.5 * d * d / var) / std::sqrt(2 * std::numbers::pi * var);
  };
  if (m_t == 0) {
    m_mu0 = x;
    m_prob.assign(1, 1.0);
    m_sum.assign(1, x);
    m_len.assign(1, 1.0);
    m_t = 1;
    m_map_run = 1;
    m_map_index = 0;
    return false;
  }
  // Predictive of x under each run (posterior of its mean plus observation noise) and under a
  // fresh segment (the prior).
  const double fresh = normal(x, m_mu0, t2 + s2);
  const std::size_t keep = std::min(m_prob.size() + 1, m_settings.max_run);
  m_next_prob.assign(keep, 0.0);
  m_next_sum.assign(keep, 0.0);
  m_next_len.assign(keep, 0.0);
  for (std::size_t i = 0; i < m_prob.size(); ++i) {
    const double var_n = 1 / (1 / t2 + m_len[i] / s2);
    const double pred = normal(x, posterior_mean(i), var_n + s2);
    const std::size_t j = std::min(i + 1, keep - 1);
    m_next_prob[j] += m_prob[i] * pred * (1 - hazard);
    if (j == i + 1) {
      m_next_sum[j] = m_sum[i] + x;
      m_next_len[j] = m_len[i] + 1;
    }
    // else: i is the longest kept run; its mass folds into entry j, which keeps the statistics
    // of the window written by iteration i - 1 (a sliding window of max_run - 1 samples).
  }
  // A change before x: x starts a fresh run and is explained by the prior (Σ m_prob = 1).
  m_next_prob[0] = hazard * fresh;
  m_next_sum[0] = x;
  m_next_len[0] = 1;
  double total = 0;
  for (const double p : m_next_prob) {
    total += p;
  }
  m_prob.swap(m_next_prob);
  m_sum.swap(m_next_sum);
  m_len.swap(m_next_len);
  ++m_t;
  if (!(total > 0) || !std::isfinite(total)) {
    // Numerical underflow (an extreme outlier under every run): restart at this sample.
    m_prob.assign(1, 1.0);
    m_sum.assign(1, x);
    m_len.assign(1, 1.0);
  } else {
    for (double& p : m_prob) {
      p /= total;
    }
  }
  const std::size_t previous = m_map_run;
  m_map_index = static_cast<std::size_t>(std::max_element(m_prob.begin(), m_prob.end()) -
                                         m_prob.begin());
  m_map_run = static_cast<std::size_t>(m_len[m_map_index]);
  return m_map_run < previous;
}

double Bocpd::estimate_kbps() const {
  if (m_t == 0) {
    return 0;
  }
  return std::exp(posterior_mean(m_map_index));
}

StateTracker::StateTracker(std::vector<double> lower, double up_margin)
    : m_lower(std::move(lower)), m_up_margin(up_margin) {
  if (m_lower.empty() || !std::is_sorted(m_lower.begin(), m_lower.end()) || !(up_margin >= 0)) {
    throw ConfigError("state tracker: need ascending state bounds and a margin >= 0");
  }
}

std::size_t StateTracker::lookup(double kbps) const {
  const auto it = std::upper_bound(m_lower.begin(), m_lower.end(), kbps);
  return it == m_lower.begin() ? 0 : static_cast<std::size_t>(it - m_lower.begin()) - 1;
}

std::size_t StateTracker::down_to(double kbps) {
  const std::size_t target = lookup(kbps);
  if (m_started && target < m_state) {
    ++m_switches;
    m_state = target;
  }
  return m_state;
}

std::size_t StateTracker::update(double kbps) {
  const std::size_t target = lookup(kbps);
  if (!m_started) {
    m_started = true;
    m_state = target;
    return m_state;
  }
  std::size_t next = m_state;
  if (target < m_state) {
    next = target; // down at once
  } else if (target > m_state) {
    // Up only to the highest state whose bound the estimate clears with the margin.
    std::size_t s = target;
    while (s > m_state && kbps < m_lower[s] * (1 + m_up_margin)) {
      --s;
    }
    next = s;
  }
  if (next != m_state) {
    ++m_switches;
    m_state = next;
  }
  return m_state;
}

} // namespace edgent::dynamic
