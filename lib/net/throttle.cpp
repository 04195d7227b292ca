#include "net/throttle.hpp"

#include "core/error.hpp"
#include "core/stats.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>

namespace edgent::net {

RateSchedule::RateSchedule(std::vector<TracePoint> points, double scale) {
  if (!(scale > 0.0) || !std::isfinite(scale)) {
    throw ConfigError(fmt::format("trace scale must be a positive number, got {}", scale), {},
                      "trace-scale");
  }
  if (points.empty()) {
    throw ConfigError("trace has no samples", {}, "trace");
  }
  std::vector<double> gaps;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const auto& p = points[i];
    const std::string key = fmt::format("trace[{}]", i);
    if (!std::isfinite(p.t_s) || (i == 0 && p.t_s != 0.0)) {
      throw ConfigError("the first sample must be at t_s = 0", {}, key);
    }
    if (i > 0 && !(p.t_s > points[i - 1].t_s)) {
      throw ConfigError("times must strictly increase", {}, key);
    }
    if (!std::isfinite(p.kbps) || p.kbps < 0.0) {
      throw ConfigError(fmt::format("bandwidth must be a number >= 0, got {}", p.kbps), {}, key);
    }
    if (i > 0) {
      gaps.push_back(p.t_s - points[i - 1].t_s);
    }
  }
  double last_len = 1.0;
  if (!gaps.empty()) {
    last_len = stats::median(std::move(gaps));
  }
  double cum = 0.0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    m_start.push_back(points[i].t_s);
    m_rate.push_back(points[i].kbps * scale * 1000.0 / 8.0);
    m_cum_bytes.push_back(cum);
    const double end = i + 1 < points.size() ? points[i + 1].t_s : points[i].t_s + last_len;
    cum += m_rate.back() * (end - points[i].t_s);
  }
  m_period = points.back().t_s + last_len;
  m_period_bytes = cum;
  if (!(m_period_bytes > 0.0)) {
    throw ConfigError("every sample is an outage (0 kbit/s)", {}, "trace");
  }
}

std::size_t RateSchedule::segment(double phase) const {
  const auto it = std::upper_bound(m_start.begin(), m_start.end(), phase);
  return it == m_start.begin() ? 0 : static_cast<std::size_t>(it - m_start.begin() - 1);
}

double RateSchedule::bytes_per_s(double t_s) const {
  const double phase = std::fmod(std::max(t_s, 0.0), m_period);
  return m_rate[segment(phase)];
}

double RateSchedule::bytes_between(double t0_s, double t1_s) const {
  // Cumulative bytes from 0 to t, for any t >= 0.
  const auto cumulative = [this](double t) {
    t = std::max(t, 0.0);
    const double periods = std::floor(t / m_period);
    const double phase = t - periods * m_period;
    const std::size_t i = segment(phase);
    return periods * m_period_bytes + m_cum_bytes[i] + m_rate[i] * (phase - m_start[i]);
  };
  return t1_s <= t0_s ? 0.0 : cumulative(t1_s) - cumulative(t0_s);
}

double RateSchedule::time_to_carry(double t0_s, double bytes) const {
  t0_s = std::max(t0_s, 0.0);
  if (bytes <= 0.0) {
    return t0_s;
  }
  double t = t0_s;
  double need = bytes;
  // Skip whole repetitions first, so a long wait costs no more than one period's walk.
  const double whole = std::floor(need / m_period_bytes);
  if (whole >= 2.0) {
    t += (whole - 1.0) * m_period;
    need -= (whole - 1.0) * m_period_bytes;
  }
  for (std::size_t guard = 0; guard < 4 * m_start.size() + 4; ++guard) {
    const double periods = std::floor(t / m_period);
    const double phase = t - periods * m_period;
    const std::size_t i = segment(phase);
    const double seg_end = (i + 1 < m_start.size() ? m_start[i + 1] : m_period) + periods * m_period;
    const double can = m_rate[i] * (seg_end - t);
    if (m_rate[i] > 0.0 && can >= need) {
      return t + need / m_rate[i];
    }
    need -= can;
    t = seg_end;
  }
  return t; // not reached: one period carries m_period_bytes >= need
}

TokenBucket::TokenBucket(std::shared_ptr<const RateSchedule> schedule, Clock::time_point origin,
                         std::size_t min_capacity_bytes, double burst_s)
    : m_schedule(std::move(schedule)), m_origin(origin),
      m_min_capacity(static_cast<double>(min_capacity_bytes)), m_burst_s(burst_s) {}

double TokenBucket::seconds(Clock::time_point t) const {
  return std::chrono::duration<double>(t - m_origin).count();
}

void TokenBucket::refill(double now_s) {
  if (now_s <= m_last_s) {
    return;
  }
  const double accrued = m_schedule->bytes_between(m_last_s, now_s);
  const double capacity = std::max(m_min_capacity, m_schedule->bytes_per_s(now_s) * m_burst_s);
  // A taker that was paced and comes back within kContinue_s is a transfer in progress (late
  // because its thread was not scheduled, not because it had nothing to send): it may bank
  // up to kContinue_s of the rate to catch up, so CPU contention does not slow the link down.
  const bool continuing = m_paced && now_s - m_last_s <= kContinue_s;
  m_paced = continuing;
  const double catch_up = continuing ? m_schedule->bytes_per_s(now_s) * kContinue_s : 0.0;
  m_tokens = std::min(m_tokens + accrued, capacity + catch_up);
  m_last_s = now_s;
}

bool TokenBucket::acquire(std::size_t bytes, Clock::time_point deadline) {
  const std::lock_guard lock(m_mutex);
  const double now_s = seconds(Clock::now());
  refill(now_s);
  const double after = m_tokens - static_cast<double>(bytes);
  if (after >= 0.0) {
    m_tokens = after;
    return true;
  }
  // Sleep until the schedule has paid off the debt; the refill cap does not apply while waiting.
  const double ready_s = m_schedule->time_to_carry(now_s, -after);
  const auto ready = m_origin + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(ready_s));
  if (ready > deadline) {
    return false;
  }
  std::this_thread::sleep_until(ready);
  m_tokens = 0.0;
  m_last_s = ready_s;
  m_paced = true;
  return true;
}

void TokenBucket::start_transfer() {
  const std::lock_guard lock(m_mutex);
  m_paced = false;
  refill(seconds(Clock::now()));
}

Throttle::Throttle(std::vector<TracePoint> trace, double scale, std::size_t chunk_bytes,
                   TokenBucket::Clock::time_point origin)
    : m_schedule(std::make_shared<const RateSchedule>(std::move(trace), scale)),
      m_chunk(std::max<std::size_t>(chunk_bytes, 1)), m_origin(origin),
      m_up(m_schedule, m_origin, 0, 0.0), m_down(m_schedule, m_origin, 0, 0.0) {}

double Throttle::trace_time_s(TokenBucket::Clock::time_point t) const {
  return std::chrono::duration<double>(t - m_origin).count();
}

double Throttle::kbps_at(TokenBucket::Clock::time_point t) const {
  return m_schedule->bytes_per_s(trace_time_s(t)) * 8.0 / 1000.0;
}

} // namespace edgent::net
