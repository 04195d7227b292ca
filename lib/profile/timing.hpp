#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace edgent::profile {

/// Summary of repeated timings, in ms.
struct TimingStats {
  std::vector<double> samples_ms;
  double median_ms = 0;
  double mean_ms = 0;
  double p95_ms = 0;
};

/// Median, mean and 95th percentile (stats::quantile) of @p samples_ms; zeros when empty.
TimingStats summarize(std::vector<double> samples_ms);

/// What one sample of a run is.
enum class SampleClock {
  /// Steady-clock wall time of the run.
  wall,
  /// Process CPU time of the run. Under a CPU quota a short run either fits in the quota
  /// left in its period and runs at full speed or is stopped for the rest of the period: its
  /// wall time is the unthrottled time or several periods more, never the quota's average
  /// slowdown. CPU time does not see the stops; the caller multiplies it by the slowdown
  /// (WallCpuMeter over many periods) to get the average latency under the quota.
  cpu,
};

/// "wall" or "cpu", as recorded in profiles.
std::string to_string(SampleClock clock);

/// One piece of work to time, with an untimed step run just before each of its runs.
struct TimedWork {
  std::function<void()> run;
  std::function<void()> before;  ///< may be empty
};

/// Names one work of a Rotation; its timings are read with it (RotationTimings::operator[]).
class WorkHandle {
public:
  WorkHandle() = default;

private:
  friend class Rotation;
  friend class RotationTimings;
  explicit WorkHandle(std::size_t index) : m_index(index) {}
  std::size_t m_index = 0;
};

/// The works timed together in rotation (measure_rotation), each added once.
class Rotation {
public:
  /// Adds @p work; its timings are read with the handle returned.
  WorkHandle add(TimedWork work);
  /// Adds a work running @p run, with @p before (may be empty) untimed before each run.
  WorkHandle add(std::function<void()> run, std::function<void()> before = {}) {
    return add(TimedWork{std::move(run), std::move(before)});
  }
  /// Works added.
  std::size_t size() const { return m_works.size(); }
  /// The works in the order added.
  const std::vector<TimedWork>& works() const { return m_works; }

private:
  std::vector<TimedWork> m_works;
};

/// The timings of a Rotation's works, read by handle.
class RotationTimings {
public:
  RotationTimings() = default;
  /// Stats of one work per entry, in the order the works were added.
  explicit RotationTimings(std::vector<TimingStats> stats) : m_stats(std::move(stats)) {}
  /// The timing of the work @p handle names. Throws std::out_of_range for a handle of
  /// another, larger rotation.
  const TimingStats& operator[](WorkHandle handle) const { return m_stats.at(handle.m_index); }
  /// Samples each work has (the timed rounds); 0 when there are no works.
  std::size_t rounds() const { return m_stats.empty() ? 0 : m_stats.front().samples_ms.size(); }
  /// Appends the samples of @p more (timings of the same rotation) to each work's and
  /// summarises them again; an empty this takes @p more.
  void append(const RotationTimings& more);

private:
  std::vector<TimingStats> m_stats;
};

/// Several pieces of work timed in rotation, as the layers of a network run: @p warmup untimed
/// rounds, then @p reps timed rounds; a timed round runs every work once, in an order shuffled
/// every round (fixed seed), each timed on its own, so a sample is one run. A run then finds
/// in cache what the other works left there, as a layer inside a network finds what the
/// layers before it left: a network whose weights exceed the cache reads each layer's weights
/// cold, and a layer timed back to back would read them warm. `before` can bring a work's
/// input into cache, as the layer that made it would have left it. The clock's own cost
/// (measured) is subtracted. Returns the timings of @p rotation's works.
RotationTimings measure_rotation(const Rotation& rotation, int warmup, int reps,
                                 SampleClock clock = SampleClock::wall);

/// measure_rotation() of the works of every rotation in @p rotations together, as one
/// rotation of all of them in that order; returns each rotation's timings, in that order.
std::vector<RotationTimings> measure_rotations(const std::vector<const Rotation*>& rotations,
                                               int warmup, int reps,
                                               SampleClock clock = SampleClock::wall);

/// Wall time over process CPU time since construction: under a CPU quota of q CPUs and no
/// other load, about 1 / q once many quota periods have passed.
class WallCpuMeter {
public:
  WallCpuMeter();
  double ratio() const;

private:
  double m_wall0;
  double m_cpu0;
};

/// measure_rotation() of one work: @p warmup untimed runs, then @p reps timed runs.
TimingStats measure(const std::function<void()>& work, int warmup, int reps,
                    SampleClock clock = SampleClock::wall);

/// {"samples_ms": [...], "median_ms": m, "mean_ms": a, "p95_ms": p}
nlohmann::json to_json(const TimingStats& stats);

} // namespace edgent::profile
