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

/// Runs @p work @p warmup times untimed, then @p reps times timed (steady clock).
TimingStats measure(const std::function<void()>& work, int warmup, int reps);

/// {"samples_ms": [...], "median_ms": m, "p95_ms": p}
nlohmann::json to_json(const TimingStats& stats);

} // namespace edgent::profile
