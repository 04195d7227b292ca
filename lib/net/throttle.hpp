#pragma once

#include "data/trace.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace edgent::net {

/// One trace sample (the data stage's, so that a read trace replays without conversion).
using data::TracePoint;

/// A bandwidth trace as a piecewise-constant rate (sample-and-hold, traces/README.md): sample i
/// holds on [t_i, t_{i+1}), the last one for the median sample spacing (1 s for a single
/// sample). After its end the trace repeats, so any trace can be replayed for any length of time.
class RateSchedule {
public:
  /// Validates @p points (non-empty, first t_s = 0, strictly increasing times, finite kbps >= 0,
  /// not all zero) and multiplies every rate by @p scale (> 0). Throws ConfigError naming
  /// `trace[i]` on bad input.
  RateSchedule(std::vector<TracePoint> points, double scale = 1.0);

  /// Rate in bytes per second at @p t_s seconds after the start.
  double bytes_per_s(double t_s) const;
  /// Bytes the link carries between @p t0_s and @p t1_s (t1_s >= t0_s).
  double bytes_between(double t0_s, double t1_s) const;
  /// The earliest time >= @p t0_s by which the link has carried @p bytes more bytes.
  double time_to_carry(double t0_s, double bytes) const;
  /// Length of one repetition in seconds.
  double period_s() const { return m_period; }

private:
  /// Index of the segment holding @p phase (0 <= phase < period).
  std::size_t segment(double phase) const;

  std::vector<double> m_start;     // segment start, s
  std::vector<double> m_rate;      // bytes/s
  std::vector<double> m_cum_bytes; // bytes carried from 0 to m_start[i]
  double m_period = 0.0;
  double m_period_bytes = 0.0;
};

/// A token bucket whose fill rate follows a RateSchedule in wall-clock time from @p origin.
/// Takers may go into debt and then wait, so a steady stream of takes achieves exactly the
/// schedule's rate, also when the taking thread runs late (up to kContinue_s) on a busy CPU;
/// an idle bucket holds at most `burst_s` seconds of the current rate (and at least
/// @p min_capacity_bytes). Thread-safe; takers are served one at a time.
class TokenBucket {
public:
  using Clock = std::chrono::steady_clock;

  TokenBucket(std::shared_ptr<const RateSchedule> schedule, Clock::time_point origin,
              std::size_t min_capacity_bytes, double burst_s = 0.002);

  /// Takes @p bytes, sleeping until the bucket holds them. Returns false, taking nothing, if
  /// that would be after @p deadline.
  bool acquire(std::size_t bytes, Clock::time_point deadline = Clock::time_point::max());

  /// Marks the start of a new transfer (a request's upload or its response): the link was
  /// idle since the last one, so the next take banks no catch-up from the previous transfer.
  void start_transfer();

private:
  double seconds(Clock::time_point t) const;
  void refill(double now_s);

  std::shared_ptr<const RateSchedule> m_schedule;
  Clock::time_point m_origin;
  double m_min_capacity;
  double m_burst_s;
  std::mutex m_mutex;
  static constexpr double kContinue_s = 0.2;
  double m_tokens = 0.0; // bytes; negative = debt
  double m_last_s = 0.0;
  bool m_paced = false; // the last take had to wait: a transfer is in progress
};

/// This client's emulated link: one bucket for the uplink, one for the downlink, both following
/// the same trace from the moment the Throttle is made. Sockets pass at most chunk_bytes()
/// per read or write through it. An idle link banks no tokens: every byte, also of a small
/// transfer, pays its transmission time bytes / rate, as the planner's latency model assumes.
class Throttle {
public:
  /// Throws ConfigError on a bad trace or scale (see RateSchedule). The trace starts at
  /// @p origin (now by default).
  Throttle(std::vector<TracePoint> trace, double scale = 1.0, std::size_t chunk_bytes = 4096,
           TokenBucket::Clock::time_point origin = TokenBucket::Clock::now());

  TokenBucket& up() { return m_up; }
  TokenBucket& down() { return m_down; }
  /// Seconds of the trace replayed at @p t (since the Throttle was made).
  double trace_time_s(TokenBucket::Clock::time_point t) const;
  /// The link's true rate at @p t, kbit/s (both directions follow the same trace).
  double kbps_at(TokenBucket::Clock::time_point t) const;
  /// Largest read or write to pass through at once, bytes.
  std::size_t chunk_bytes() const { return m_chunk; }
  const RateSchedule& schedule() const { return *m_schedule; }

private:
  std::shared_ptr<const RateSchedule> m_schedule;
  std::size_t m_chunk;
  TokenBucket::Clock::time_point m_origin;
  TokenBucket m_up;
  TokenBucket m_down;
};

} // namespace edgent::net
