#include "runtime/device_speed.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace edgent::runtime {

namespace {

constexpr double kOutlier = 3.0;

} // namespace

DeviceSpeed::DeviceSpeed(DeviceSpeedOptions options) : m_options(options) {
  if (!(m_options.window >= 1.0) || !std::isfinite(m_options.window)) {
    throw ConfigError(fmt::format("must be a number of requests ≥ 1, got {}", m_options.window),
                      {}, "device-speed-window");
  }
  if (!(m_options.prior_requests >= 0.0) || !std::isfinite(m_options.prior_requests)) {
    throw ConfigError(fmt::format("must be a number of requests ≥ 0, got {}",
                                  m_options.prior_requests),
                      {}, "device-speed-prior");
  }
  if (!(m_options.limit >= 1.0) || !std::isfinite(m_options.limit)) {
    throw ConfigError(fmt::format("must be a factor ≥ 1, got {}", m_options.limit), {},
                      "device-speed-limit");
  }
}

void DeviceSpeed::add(double measured_ms, double profiled_ms) {
  if (!std::isfinite(measured_ms) || !std::isfinite(profiled_ms) || measured_ms < 0.0 ||
      !(profiled_ms > 0.0)) {
    return;
  }
  if (m_samples == 0) {
    m_measured = m_profiled = m_options.prior_requests * profiled_ms;
  }
  // One request counts as at most kOutlier times (at least 1/kOutlier of) what the estimate
  // expects: a first request, cold from the process start, takes ten times its fit and would
  // otherwise hold the estimate up for a hundred requests; a real change of speed still gets
  // through in a few.
  const double expected = scale() * profiled_ms;
  const double counted = std::clamp(measured_ms, expected / kOutlier, expected * kOutlier);
  const double keep = 1.0 - 1.0 / m_options.window;
  m_measured = keep * m_measured + counted;
  m_profiled = keep * m_profiled + profiled_ms;
  ++m_samples;
}

double DeviceSpeed::scale() const {
  if (m_samples == 0) {
    return 1.0;
  }
  return std::clamp(m_measured / m_profiled, 1.0 / m_options.limit, m_options.limit);
}

} // namespace edgent::runtime
