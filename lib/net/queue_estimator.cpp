#include "net/queue_estimator.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <cmath>

namespace edgent::net {

QueueEstimator::QueueEstimator(QueueEstimatorOptions options) : m_options(options) {
  if (!(m_options.prior_ms >= 0.0) || !std::isfinite(m_options.prior_ms)) {
    throw ConfigError(fmt::format("must be a number of ms ≥ 0, got {}", m_options.prior_ms), {},
                      "queue");
  }
  if (!(m_options.alpha > 0.0 && m_options.alpha <= 1.0)) {
    throw ConfigError(fmt::format("must be in (0, 1], got {}", m_options.alpha), {},
                      "queue-alpha");
  }
  if (!(m_options.half_life_s > 0.0) || !std::isfinite(m_options.half_life_s)) {
    throw ConfigError(fmt::format("must be a positive number of seconds, got {}",
                                  m_options.half_life_s),
                      {}, "queue-half-life");
  }
  m_average_ms = m_options.prior_ms;
}

void QueueEstimator::add(double queue_ms, double now_s) {
  if (!(queue_ms >= 0.0) || !std::isfinite(queue_ms) || !std::isfinite(now_s)) {
    return;
  }
  const double current = this->queue_ms(now_s);
  m_average_ms = m_samples == 0 ? queue_ms : current + m_options.alpha * (queue_ms - current);
  m_last_s = now_s;
  ++m_samples;
}

double QueueEstimator::queue_ms(double now_s) const {
  if (m_samples == 0) {
    return m_options.prior_ms;
  }
  const double age_s = std::max(now_s - m_last_s, 0.0);
  const double keep = std::exp2(-age_s / m_options.half_life_s);
  return m_options.prior_ms + (m_average_ms - m_options.prior_ms) * keep;
}

} // namespace edgent::net
