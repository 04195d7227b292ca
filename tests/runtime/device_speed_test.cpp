#include "runtime/device_speed.hpp"

#include "core/error.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace edgent::runtime {
namespace {

TEST(DeviceSpeed, OneBeforeAnyRequestThenTheMeasuredRatioPulledTowardOne) {
  DeviceSpeed s({/*window=*/1e9, /*prior_requests=*/1, /*limit=*/5});
  EXPECT_DOUBLE_EQ(s.scale(), 1.0);
  s.add(20, 10);
  EXPECT_NEAR(s.scale(), 1.5, 1e-9) << "one request against one of prior at ratio 1: (10 + 20) / 20";
  s.add(40, 10);
  EXPECT_NEAR(s.scale(), 70.0 / 30.0, 1e-9);
  s.add(1000, 10);
  EXPECT_NEAR(s.scale(), (70.0 + 3 * 70.0 / 3.0) / 40.0, 1e-7)
      << "an outlier counts as 3 times what was expected (7/3 x 10 ms)";
  s.add(-1, 10);
  s.add(5, 0);
  s.add(std::numeric_limits<double>::quiet_NaN(), 10);
  s.add(5, std::numeric_limits<double>::infinity());
  EXPECT_EQ(s.samples(), 3u) << "negative, non-finite and unpredicted requests are ignored";
}

TEST(DeviceSpeed, FollowsADeviceThatSlowsDownAndForgetsTheOldSpeed) {
  DeviceSpeed s({/*window=*/20, /*prior_requests=*/5, /*limit=*/5});
  for (int i = 0; i < 200; ++i) {
    s.add(i % 2 ? 9 : 11, 10);  // as profiled, with noise
  }
  EXPECT_NEAR(s.scale(), 1.0, 0.02);
  for (int i = 0; i < 200; ++i) {
    s.add(i % 2 ? 18 : 22, 10);  // now twice as slow
  }
  EXPECT_NEAR(s.scale(), 2.0, 0.03);
  // Requests of different sizes weigh by their size: a sum ratio, not a mean of ratios.
  DeviceSpeed mixed({1e9, 0, 5});
  mixed.add(2, 1);
  mixed.add(30, 10);
  EXPECT_NEAR(mixed.scale(), 32.0 / 11.0, 1e-6);
}

TEST(DeviceSpeed, StaysWithinItsLimitAndRefusesBadSettings) {
  DeviceSpeed s({1e9, 0, 4});
  for (int i = 0; i < 10; ++i) {
    s.add(1000, 1);
  }
  EXPECT_DOUBLE_EQ(s.scale(), 4.0);
  DeviceSpeed fast({1e9, 0, 4});
  for (int i = 0; i < 10; ++i) {
    fast.add(0, 1);
  }
  EXPECT_DOUBLE_EQ(fast.scale(), 0.25);
  EXPECT_THROW(DeviceSpeed({0.5, 5, 5}), ConfigError);
  EXPECT_THROW(DeviceSpeed({50, -1, 5}), ConfigError);
  EXPECT_THROW(DeviceSpeed({50, 5, 0.5}), ConfigError);
  EXPECT_THROW(DeviceSpeed({std::numeric_limits<double>::infinity(), 5, 5}), ConfigError);
}

} // namespace
} // namespace edgent::runtime
