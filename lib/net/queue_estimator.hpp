#pragma once

#include <optional>

namespace edgent::net {

/// Settings of a QueueEstimator.
struct QueueEstimatorOptions {
  /// The expected queueing before the edge has said anything, ms (edgent-infer --queue);
  /// the estimate also returns to it while no sample comes.
  double prior_ms = 0.0;
  /// Weight of a new sample in the exponentially weighted moving average, in (0, 1].
  double alpha = 0.3;
  /// Without new samples the estimate's distance to the prior halves every half_life_s
  /// seconds: a device that stopped offloading because the edge was busy tries it again.
  double half_life_s = 2.0;
};

/// The device's online estimate of the time a request waits for a worker at the edge: a
/// moving average of the waits the edge reports (X-Edgent-Queue-Ms), and of the Retry-After
/// of its 503s, decaying back to the prior while no answer comes. Not thread-safe.
class QueueEstimator {
public:
  /// Throws ConfigError for a prior below 0, alpha outside (0, 1] or a half-life ≤ 0.
  explicit QueueEstimator(QueueEstimatorOptions options = {});

  /// Records a reported wait of @p queue_ms at @p now_s (seconds on the caller's monotonic
  /// clock). Ignores negative and non-finite values.
  void add(double queue_ms, double now_s);
  /// The expected wait at @p now_s, ms: the prior before any sample.
  double queue_ms(double now_s) const;
  /// Samples recorded so far.
  std::size_t samples() const { return m_samples; }

private:
  QueueEstimatorOptions m_options;
  double m_average_ms = 0.0;
  double m_last_s = 0.0;
  std::size_t m_samples = 0;
};

} // namespace edgent::net
