#include "emulate/dilation.hpp"

#include "core/error.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <limits>
#include <cmath>
#include <vector>

namespace edgent::emulate {
namespace {

/// About @p ms of CPU work.
void busy(double ms) {
  const double end = process_cpu_ms() + ms;
  volatile double sink = 0;
  while (process_cpu_ms() < end) {
    for (int i = 0; i < 1000; ++i) {
      sink = sink + std::sqrt(static_cast<double>(i));
    }
  }
}

double wall_ms_of(const std::function<void()>& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

TEST(TimeDilation, AFiveTimesSlowerDeviceTakesFiveTimesAsLong) {
  const TimeDilation plain(1);
  const TimeDilation slow(5);
  std::vector<double> undilated;
  std::vector<double> dilated;
  std::vector<double> reported;
  for (int i = 0; i < 15; ++i) {  // interleaved, so that both see the same machine
    undilated.push_back(wall_ms_of([&] {
      DilatedWork w(plain);
      busy(4.0);
      w.finish();
    }));
    double r = 0;
    dilated.push_back(wall_ms_of([&] {
      DilatedWork w(slow);
      busy(4.0);
      r = w.finish();
    }));
    reported.push_back(r);
  }
  // Other processes only ever add time (a preempted spin, a late wake-up after the hold), so
  // the fastest of each kind is the one closest to the machine alone.
  const double fastest_dilated = *std::min_element(dilated.begin(), dilated.end());
  const double fastest_undilated = *std::min_element(undilated.begin(), undilated.end());
  const double ratio = fastest_dilated / fastest_undilated;
  EXPECT_NEAR(ratio, 5.0, 0.5) << "dilated " << fastest_dilated << " ms, undilated "
                               << fastest_undilated << " ms";
  // finish() reports the emulated time: the wall time of the work, hold included.
  EXPECT_NEAR(median(reported), median(dilated), 0.05 * median(dilated));
}

TEST(TimeDilation, HoldsToKTimesTheCpuTimeAndNoLess) {
  const TimeDilation slow(4);
  DilatedWork w(slow);
  busy(1.0);
  const double ms = w.finish();
  EXPECT_GE(ms, 4.0 * w.cpu_ms() - 0.15);  // a hold may aim 0.1 ms early (wake latency)
  EXPECT_GE(w.cpu_ms(), 0.9);
  EXPECT_DOUBLE_EQ(slow.dilated_ms(2.5), 10.0);
  EXPECT_TRUE(slow.active());
  EXPECT_FALSE(TimeDilation(1).active());
}

TEST(TimeDilation, RefusesFactorsBelowOneAndNonFiniteOnes) {
  for (const double k : {0.0, -1.0, 0.5, std::nan(""), std::numeric_limits<double>::infinity()}) {
    try {
      TimeDilation d(k);
      ADD_FAILURE() << "accepted " << k;
    } catch (const UsageError& e) {
      EXPECT_EQ(e.key(), "--slowdown");
    }
  }
  EXPECT_NO_THROW(TimeDilation(1.0));
  EXPECT_NO_THROW(TimeDilation(20.0));
}

} // namespace
} // namespace edgent::emulate
