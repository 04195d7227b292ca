#pragma once

#include <cstddef>

namespace edgent::runtime {

/// Settings of a DeviceSpeed.
struct DeviceSpeedOptions {
  /// How many recent requests the estimate averages over: each request's weight decays by
  /// 1 - 1/window per request after it.
  double window = 50;
  /// The profile counts as this many requests at ratio 1 (the size of the first request
  /// measured), which decay like the others: a few requests cannot swing the estimate.
  double prior_requests = 5;
  /// The estimate is kept within [1 / limit, limit].
  double limit = 5;
};

/// The device's online estimate of how much longer its work takes now than its fit predicts:
/// Σ measured / Σ predicted device work (compute and codec) over recent requests (each
/// request's prediction as profiled, without this scale). A profile is one moment of the device: a device that has
/// since slowed down (a Raspberry Pi throttling when hot, a background job, a slower spell of
/// a virtual machine) or sped up is planned as it runs now, as the edge's queue is
/// (net::QueueEstimator). Not thread-safe.
class DeviceSpeed {
public:
  /// Throws ConfigError for a window < 1, prior_requests < 0 or limit < 1.
  explicit DeviceSpeed(DeviceSpeedOptions options = {});

  /// Records a request whose device work took @p measured_ms where the fit predicted
  /// @p profiled_ms; the measurement counts as at most 3 times (at least a third of) what the
  /// estimate expected, so that one cold request cannot swing it. Ignores non-finite values,
  /// a negative measurement and a prediction ≤ 0.
  void add(double measured_ms, double profiled_ms);
  /// The factor to multiply the fit's device times by: 1 before any request.
  double scale() const;
  /// Requests recorded so far.
  std::size_t samples() const { return m_samples; }

private:
  DeviceSpeedOptions m_options;
  double m_measured = 0;  ///< decayed sums, the prior's included
  double m_profiled = 0;
  std::size_t m_samples = 0;
};

} // namespace edgent::runtime
