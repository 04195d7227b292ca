#include "emulate/dilation.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <ctime>

#include <sys/prctl.h>

namespace edgent::emulate {

namespace {

double clock_ms(clockid_t id) {
  timespec ts{};
  ::clock_gettime(id, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double monotonic_ms() { return clock_ms(CLOCK_MONOTONIC); }

/// How late a sleep wakes past its target on this thread, ms: a slow running average of what
/// was seen, so that holds aim that much early and end on time on average (a kernel wakes a
/// sleeper some tens of microseconds late; sleeping, not spinning, leaves the cores to the
/// edge). Capped, so that a burst of late wakes on a busy machine cannot make holds end
/// early by more than kMaxEarlyMs.
constexpr double kMaxEarlyMs = 0.1;
thread_local double t_wake_late_ms = 0.05;
thread_local bool t_slack_set = false;

/// Sleeps until CLOCK_MONOTONIC reaches @p target_ms.
void sleep_until_ms(double target_ms) {
  if (!t_slack_set) {
    // The default 50 µs timer slack would add to every hold; 1 ns asks for the earliest wake.
    ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    t_slack_set = true;
  }
  const double aim = target_ms - t_wake_late_ms;
  if (aim > monotonic_ms()) {
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(std::floor(aim / 1e3));
    ts.tv_nsec = static_cast<long>((aim - static_cast<double>(ts.tv_sec) * 1e3) * 1e6);
    ts.tv_nsec = std::clamp(ts.tv_nsec, 0L, 999'999'999L);
    while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
    const double late = monotonic_ms() - aim;
    t_wake_late_ms = std::clamp(0.9 * t_wake_late_ms + 0.1 * late, 0.0, kMaxEarlyMs);
  }
}

} // namespace

double process_cpu_ms() { return clock_ms(CLOCK_PROCESS_CPUTIME_ID); }

double cpu_ms(CpuClock clock) {
  return clock_ms(clock == CpuClock::thread ? CLOCK_THREAD_CPUTIME_ID : CLOCK_PROCESS_CPUTIME_ID);
}

void TimeDilation::check(double factor, const std::string& option) {
  if (!std::isfinite(factor) || factor < 1.0) {
    throw UsageError(fmt::format("must be a number >= 1 (how many times slower the emulated "
                                 "device is than this machine's core), got {}",
                                 factor),
                     {}, option);
  }
}

TimeDilation::TimeDilation(double factor, const std::string& option, CpuClock clock)
    : m_factor(factor), m_clock(clock) {
  check(factor, option);
}

DilatedWork::DilatedWork(const TimeDilation& dilation)
    : m_dilation(dilation), m_wall0_ms(monotonic_ms()), m_cpu0_ms(emulate::cpu_ms(dilation.clock())) {}

double DilatedWork::finish() {
  m_cpu_ms = std::max(0.0, emulate::cpu_ms(m_dilation.clock()) - m_cpu0_ms);
  if (m_dilation.active()) {
    sleep_until_ms(m_wall0_ms + m_dilation.dilated_ms(m_cpu_ms));
  }
  return monotonic_ms() - m_wall0_ms;
}

} // namespace edgent::emulate
