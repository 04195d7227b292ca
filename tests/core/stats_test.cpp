#include "core/stats.hpp"

#include "core/error.hpp"

#include <gtest/gtest.h>

namespace edgent::stats {
namespace {

TEST(Stats, FitLineIsOrdinaryLeastSquaresWithItsR2) {
  const Line l = fit_line({1, 2, 3, 4}, {3, 5, 7, 9});
  EXPECT_DOUBLE_EQ(l.slope, 2);
  EXPECT_DOUBLE_EQ(l.intercept, 1);
  EXPECT_DOUBLE_EQ(l.r2, 1);
  const Line flat = fit_line({2, 2}, {1, 3});
  EXPECT_DOUBLE_EQ(flat.slope, 0);
  EXPECT_DOUBLE_EQ(flat.intercept, 2);
  EXPECT_THROW(fit_line({1, 2}, {1}), ConfigError);
  EXPECT_DOUBLE_EQ(fit_line({}, {}).slope, 0);
}

TEST(Stats, NonNegativeLineFallsBackToTheMeanOrTheOrigin) {
  // A falling line: costs cannot shrink with size, so the mean stands for all.
  Line l = fit_nonnegative_line({1, 2, 3}, {3, 2, 1});
  EXPECT_DOUBLE_EQ(l.slope, 0);
  EXPECT_DOUBLE_EQ(l.intercept, 2);
  // A line through a negative intercept: through the origin instead.
  l = fit_nonnegative_line({1, 2}, {1, 3});
  EXPECT_DOUBLE_EQ(l.intercept, 0);
  EXPECT_DOUBLE_EQ(l.slope, 7.0 / 5.0);
  // Already non-negative: unchanged.
  l = fit_nonnegative_line({0, 10}, {1, 2});
  EXPECT_DOUBLE_EQ(l.intercept, 1);
  EXPECT_DOUBLE_EQ(l.slope, 0.1);
}

} // namespace
} // namespace edgent::stats
