#include "profile/timing.hpp"

#include "core/stats.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <iterator>
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

/// measure_rotation() of @p works; returns their stats in that order.
std::vector<TimingStats> time_works(const std::vector<TimedWork>& works, int warmup, int reps,
                                    SampleClock clock) {
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

} // namespace

WorkHandle Rotation::add(TimedWork work) {
  m_works.push_back(std::move(work));
  return WorkHandle(m_works.size() - 1);
}

void RotationTimings::append(const RotationTimings& more) {
  if (m_stats.empty()) {
    m_stats = more.m_stats;
    return;
  }
  for (std::size_t i = 0; i < m_stats.size(); ++i) {
    std::vector<double> samples = std::move(m_stats[i].samples_ms);
    const auto& extra = more.m_stats.at(i).samples_ms;
    samples.insert(samples.end(), extra.begin(), extra.end());
    m_stats[i] = summarize(std::move(samples));
  }
}

RotationTimings measure_rotation(const Rotation& rotation, int warmup, int reps,
                                 SampleClock clock) {
  return RotationTimings(time_works(rotation.works(), warmup, reps, clock));
}

std::vector<RotationTimings> measure_rotations(const std::vector<const Rotation*>& rotations,
                                               int warmup, int reps, SampleClock clock) {
  std::vector<TimedWork> works;
  for (const Rotation* r : rotations) {
    works.insert(works.end(), r->works().begin(), r->works().end());
  }
  std::vector<TimingStats> stats = time_works(works, warmup, reps, clock);
  std::vector<RotationTimings> out;
  auto first = stats.begin();
  for (const Rotation* r : rotations) {
    const auto last = first + static_cast<std::ptrdiff_t>(r->size());
    out.emplace_back(std::vector<TimingStats>(std::make_move_iterator(first),
                                              std::make_move_iterator(last)));
    first = last;
  }
  return out;
}

WallCpuMeter::WallCpuMeter() : m_wall0(wall_ms()), m_cpu0(process_cpu_ms()) {}

double WallCpuMeter::ratio() const {
  const double cpu = process_cpu_ms() - m_cpu0;
  return cpu > 0 ? (wall_ms() - m_wall0) / cpu : 1.0;
}

TimingStats measure(const std::function<void()>& work, int warmup, int reps, SampleClock clock) {
  return time_works({TimedWork{work, {}}}, warmup, reps, clock).front();
}

nlohmann::json to_json(const TimingStats& stats) {
  return nlohmann::json{
      {"samples_ms", stats.samples_ms}, {"median_ms", stats.median_ms}, {"mean_ms", stats.mean_ms},
      {"p95_ms", stats.p95_ms}};
}

} // namespace edgent::profile
