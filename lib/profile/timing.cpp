#include "profile/timing.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>

namespace edgent::profile {

TimingStats summarize(std::vector<double> samples_ms) {
  TimingStats s;
  s.samples_ms = samples_ms;
  if (samples_ms.empty()) {
    return s;
  }
  std::sort(samples_ms.begin(), samples_ms.end());
  const std::size_t n = samples_ms.size();
  s.median_ms = n % 2 ? samples_ms[n / 2] : 0.5 * (samples_ms[n / 2 - 1] + samples_ms[n / 2]);
  const auto rank = static_cast<std::size_t>(std::ceil(0.95 * static_cast<double>(n)));
  s.p95_ms = samples_ms[std::min(n, std::max<std::size_t>(rank, 1)) - 1];
  return s;
}

TimingStats measure(const std::function<void()>& work, int warmup, int reps,
                    double min_sample_cpu_ms) {
  using Clock = std::chrono::steady_clock;
  const auto ms_since = [](Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  };
  // CPU time of every thread of the process (OpenCV may run a layer on its pool).
  const auto cpu_ms = [] {
    timespec ts{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
  };
  double warm_cpu_ms = 0;
  for (int i = 0; i < warmup; ++i) {
    const double c0 = cpu_ms();
    work();
    warm_cpu_ms = cpu_ms() - c0;
  }
  // Runs per sample, from the last warm-up run (or a first untimed run).
  long runs = 1;
  if (min_sample_cpu_ms > 0) {
    if (warmup == 0) {
      const double c0 = cpu_ms();
      work();
      warm_cpu_ms = cpu_ms() - c0;
    }
    runs = std::clamp(static_cast<long>(std::ceil(min_sample_cpu_ms / std::max(warm_cpu_ms, 1e-3))),
                      1L, 100000L);
  }
  std::vector<double> samples;
  samples.reserve(static_cast<std::size_t>(std::max(reps, 0)));
  for (int i = 0; i < reps; ++i) {
    const auto t0 = Clock::now();
    for (long r = 0; r < runs; ++r) {
      work();
    }
    samples.push_back(ms_since(t0) / static_cast<double>(runs));
  }
  return summarize(std::move(samples));
}

nlohmann::json to_json(const TimingStats& stats) {
  return nlohmann::json{
      {"samples_ms", stats.samples_ms}, {"median_ms", stats.median_ms}, {"p95_ms", stats.p95_ms}};
}

} // namespace edgent::profile
