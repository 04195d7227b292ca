#include "profile/timing.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

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

TimingStats measure(const std::function<void()>& work, int warmup, int reps) {
  for (int i = 0; i < warmup; ++i) {
    work();
  }
  std::vector<double> samples;
  samples.reserve(static_cast<std::size_t>(std::max(reps, 0)));
  for (int i = 0; i < reps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    work();
    const auto t1 = std::chrono::steady_clock::now();
    samples.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  return summarize(std::move(samples));
}

nlohmann::json to_json(const TimingStats& stats) {
  return nlohmann::json{
      {"samples_ms", stats.samples_ms}, {"median_ms", stats.median_ms}, {"p95_ms", stats.p95_ms}};
}

} // namespace edgent::profile
