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

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

/// CPU time of every thread of the process, ms (OpenCV may run a layer on its pool).
double process_cpu_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

/// Runs @p work @p warmup times (at least once when batching) and returns how many
/// back-to-back runs use @p min_sample_cpu_ms of CPU time, from the last run.
long warm_up(const std::function<void()>& work, int warmup, double min_sample_cpu_ms) {
  double warm_cpu_ms = 0;
  const int runs = min_sample_cpu_ms > 0 ? std::max(warmup, 1) : warmup;
  for (int i = 0; i < runs; ++i) {
    const double c0 = process_cpu_ms();
    work();
    warm_cpu_ms = process_cpu_ms() - c0;
  }
  if (!(min_sample_cpu_ms > 0)) {
    return 1;
  }
  return std::clamp(static_cast<long>(std::ceil(min_sample_cpu_ms / std::max(warm_cpu_ms, 1e-3))),
                    1L, 100000L);
}

/// One sample: @p runs back-to-back runs of @p work, wall ms per run.
double sample(const std::function<void()>& work, long runs) {
  const auto t0 = Clock::now();
  for (long r = 0; r < runs; ++r) {
    work();
  }
  return ms_since(t0) / static_cast<double>(runs);
}

} // namespace

TimingStats measure(const std::function<void()>& work, int warmup, int reps,
                    double min_sample_cpu_ms) {
  const long runs = warm_up(work, warmup, min_sample_cpu_ms);
  std::vector<double> samples;
  samples.reserve(static_cast<std::size_t>(std::max(reps, 0)));
  for (int i = 0; i < reps; ++i) {
    samples.push_back(sample(work, runs));
  }
  return summarize(std::move(samples));
}

std::vector<TimingStats> measure_interleaved(const std::vector<std::function<void()>>& works,
                                             int warmup, int reps, double min_sample_cpu_ms) {
  std::vector<long> runs;
  for (const auto& work : works) {
    runs.push_back(warm_up(work, warmup, min_sample_cpu_ms));
  }
  std::vector<std::vector<double>> samples(works.size());
  for (int r = 0; r < reps; ++r) {
    for (std::size_t i = 0; i < works.size(); ++i) {
      works[i]();  // back into cache after the others ran
      samples[i].push_back(sample(works[i], runs[i]));
    }
  }
  std::vector<TimingStats> stats;
  for (auto& s : samples) {
    stats.push_back(summarize(std::move(s)));
  }
  return stats;
}

nlohmann::json to_json(const TimingStats& stats) {
  return nlohmann::json{
      {"samples_ms", stats.samples_ms}, {"median_ms", stats.median_ms}, {"p95_ms", stats.p95_ms}};
}

} // namespace edgent::profile
