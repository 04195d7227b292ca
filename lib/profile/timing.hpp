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
/// A sample times as many back-to-back runs as use @p min_sample_cpu_ms of process CPU time
/// (at least one run; estimated from the last warm-up run) and records the wall time per run:
/// under a CPU quota of q CPUs a sample of c CPU ms spans c / q wall ms, so 3 quota slices
/// span 3 enforcement periods and see the quota's average slowdown, not a lucky burst.
TimingStats measure(const std::function<void()>& work, int warmup, int reps,
                    double min_sample_cpu_ms = 0);

/// measure() for several pieces of work at once, in interleaved rounds: each is warmed up and
/// batched as measure() does, then every round takes one sample of each, after one untimed
/// run that brings its weights back into cache. Drift in the machine's load or clock then
/// reaches all of them alike, so identical work measures alike. Returns stats in the order
/// of @p works.
std::vector<TimingStats> measure_interleaved(const std::vector<std::function<void()>>& works,
                                             int warmup, int reps, double min_sample_cpu_ms = 0);

/// {"samples_ms": [...], "median_ms": m, "p95_ms": p}
nlohmann::json to_json(const TimingStats& stats);

} // namespace edgent::profile
