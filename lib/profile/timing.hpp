#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <vector>

namespace edgent::profile {

/// Summary of repeated timings, in ms.
struct TimingStats {
  std::vector<double> samples_ms;
  double median_ms = 0;
  double p95_ms = 0;
};

/// Median and 95th percentile (nearest rank) of @p samples_ms; zeros when empty.
TimingStats summarize(std::vector<double> samples_ms);

/// Runs @p work @p warmup times untimed, then takes @p reps timed samples (steady clock).
/// A sample times as many back-to-back runs as it takes to span @p min_sample_ms (at least
/// one) and records the time per run: under a CPU quota a sample then spans several
/// enforcement periods and sees the quota's average slowdown, not a lucky burst.
TimingStats measure(const std::function<void()>& work, int warmup, int reps,
                    double min_sample_ms = 0);

/// {"samples_ms": [...], "median_ms": m, "p95_ms": p}
nlohmann::json to_json(const TimingStats& stats);

} // namespace edgent::profile
