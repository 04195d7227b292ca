#include "profile/timing.hpp"

#include "core/stats.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <numeric>
#include <random>

namespace edgent::profile {

TimingStats summarize(std::vector<double> samples_ms) {
  TimingStats s;
  s.samples_ms = samples_ms;
  if (samples_ms.empty()) {
    return s;
  }
  s.median_ms = stats::median(samples_ms);
  s.mean_ms = stats::mean(samples_ms);
  s.p95_ms = stats::quantile(std::move(samples_ms), 0.95);
  return s;
}

std::string to_string(SampleClock clock) {
  return clock == SampleClock::wall ? "wall" : "cpu";
}

namespace {

double wall_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// CPU time of every thread of the process, ms (OpenCV may run a layer on its pool).
double process_cpu_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double median_of(std::vector<double> v) {
  return summarize(std::move(v)).median_ms;
}

} // namespace

std::vector<TimingStats> measure_rotation(const std::vector<TimedWork>& works,
                                          int warmup, int reps, SampleClock clock) {
  double (*const read)() = clock == SampleClock::wall ? wall_ms : process_cpu_ms;
  // The cost of reading the clock twice around nothing.
  std::vector<double> empty(64);
  for (double& e : empty) {
    const double t0 = read();
    e = read() - t0;
  }
  const double clock_cost = median_of(std::move(empty));

  for (int r = 0; r < warmup; ++r) {
    for (const auto& work : works) {
      work.run();
    }
  }
  std::vector<std::vector<double>> raw(works.size());
  std::vector<std::size_t> order(works.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::mt19937_64 rng(works.size());
  for (int r = 0; r < reps; ++r) {
    std::shuffle(order.begin(), order.end(), rng);
    for (const std::size_t i : order) {
      if (works[i].before) {
        works[i].before();
      }
      const double t0 = read();
      works[i].run();
      raw[i].push_back(std::max(0.0, read() - t0 - clock_cost));
    }
  }
  std::vector<TimingStats> stats;
  stats.reserve(works.size());
  for (auto& samples : raw) {
    stats.push_back(summarize(std::move(samples)));
  }
  return stats;
}

WallCpuMeter::WallCpuMeter() : m_wall0(wall_ms()), m_cpu0(process_cpu_ms()) {}

double WallCpuMeter::ratio() const {
  const double cpu = process_cpu_ms() - m_cpu0;
  return cpu > 0 ? (wall_ms() - m_wall0) / cpu : 1.0;
}

TimingStats measure(const std::function<void()>& work, int warmup, int reps, SampleClock clock) {
  return measure_rotation({TimedWork{work, {}}}, warmup, reps, clock).front();
}

nlohmann::json to_json(const TimingStats& stats) {
  return nlohmann::json{
      {"samples_ms", stats.samples_ms}, {"median_ms", stats.median_ms}, {"mean_ms", stats.mean_ms},
      {"p95_ms", stats.p95_ms}};
}

} // namespace edgent::profile
