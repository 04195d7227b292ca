#include "net/queue_estimator.hpp"

#include "core/error.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace edgent::net {
namespace {

TEST(QueueEstimator, ThePriorUntilTheFirstSampleThenAMovingAverage) {
  QueueEstimator q({/*prior_ms=*/5.0, /*alpha=*/0.5, /*half_life_s=*/1.0});
  EXPECT_DOUBLE_EQ(q.queue_ms(0.0), 5.0);
  EXPECT_EQ(q.samples(), 0u);
  q.add(40.0, 10.0);
  EXPECT_DOUBLE_EQ(q.queue_ms(10.0), 40.0) << "the first report replaces the prior";
  q.add(20.0, 10.0);
  EXPECT_DOUBLE_EQ(q.queue_ms(10.0), 30.0);
  q.add(-1.0, 10.0);
  q.add(std::numeric_limits<double>::quiet_NaN(), 10.0);
  q.add(std::numeric_limits<double>::infinity(), 10.0);
  EXPECT_EQ(q.samples(), 2u) << "negative and non-finite reports are ignored";
  EXPECT_DOUBLE_EQ(q.queue_ms(10.0), 30.0);
}

TEST(QueueEstimator, DecaysBackToThePriorWithoutNews) {
  QueueEstimator q({/*prior_ms=*/2.0, /*alpha=*/0.3, /*half_life_s=*/0.5});
  q.add(202.0, 1.0);
  EXPECT_DOUBLE_EQ(q.queue_ms(1.5), 102.0) << "one half-life";
  EXPECT_DOUBLE_EQ(q.queue_ms(2.0), 52.0) << "two";
  EXPECT_DOUBLE_EQ(q.queue_ms(0.5), 202.0) << "a clock that went back does not extrapolate";
  EXPECT_NEAR(q.queue_ms(60.0), 2.0, 1e-9);
  // A new report averages with what is left of the old one.
  q.add(2.0, 1.5);
  EXPECT_DOUBLE_EQ(q.queue_ms(1.5), 102.0 + 0.3 * (2.0 - 102.0));
}

TEST(QueueEstimator, RefusesBadSettings) {
  EXPECT_THROW(QueueEstimator({-1.0, 0.3, 1.0}), ConfigError);
  EXPECT_THROW(QueueEstimator({0.0, 0.0, 1.0}), ConfigError);
  EXPECT_THROW(QueueEstimator({0.0, 1.5, 1.0}), ConfigError);
  EXPECT_THROW(QueueEstimator({0.0, 0.3, 0.0}), ConfigError);
  EXPECT_THROW(QueueEstimator({std::numeric_limits<double>::infinity(), 0.3, 1.0}), ConfigError);
  EXPECT_NO_THROW(QueueEstimator({0.0, 1.0, 1.0}));
}

} // namespace
} // namespace edgent::net
