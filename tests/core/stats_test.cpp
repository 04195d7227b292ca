#include "core/stats.hpp"

#include "core/error.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace edgent::stats {
namespace {

TEST(Stats, QuantileInterpolatesBetweenOrderStatistics) {
  // numpy.quantile (method "linear") gives the same values.
  const std::vector<double> odd{5, 1, 4, 2, 3};
  EXPECT_DOUBLE_EQ(quantile(odd, 0.5), 3);
  EXPECT_DOUBLE_EQ(quantile(odd, 0.95), 4.8);
  EXPECT_DOUBLE_EQ(quantile(odd, 0.1), 1.4);
  const std::vector<double> even{40, 10, 30, 20};
  EXPECT_DOUBLE_EQ(quantile(even, 0.5), 25);
  EXPECT_DOUBLE_EQ(quantile(even, 0.95), 38.5);
  EXPECT_DOUBLE_EQ(quantile(even, 0.25), 17.5);
  EXPECT_DOUBLE_EQ(quantile(even, 1.0 / 3.0), 20);
}

TEST(Stats, QuantileEndsAreTheMinimumAndMaximum) {
  const std::vector<double> v{3, -1, 7, 2};
  EXPECT_EQ(quantile(v, 0), -1);
  EXPECT_EQ(quantile(v, 1), 7);
  EXPECT_EQ(quantile({4.25}, 0), 4.25);
  EXPECT_EQ(quantile({4.25}, 0.95), 4.25);
  EXPECT_EQ(quantile({4.25}, 1), 4.25);
  EXPECT_EQ(median({4.25}), 4.25);
}

TEST(Stats, MedianOfAnEvenCountIsTheMidpoint) {
  EXPECT_EQ(median({1, 2, 3}), 2);
  EXPECT_EQ(median({4, 1, 3, 2}), 2.5);
  // Exactly (a + b) / 2, as the profile's medians always were.
  const double a = 0.1;
  const double b = 0.7;
  EXPECT_EQ(median({b, a}), 0.5 * (a + b));
}

TEST(Stats, EmptyInputAndBadQuantilesThrow) {
  EXPECT_THROW(mean({}), ConfigError);
  EXPECT_THROW(median({}), ConfigError);
  EXPECT_THROW(quantile({}, 0.5), ConfigError);
  EXPECT_THROW(quantile({1, 2}, -0.1), ConfigError);
  EXPECT_THROW(quantile({1, 2}, 1.1), ConfigError);
  EXPECT_THROW(quantile({1, 2}, std::nan("")), ConfigError);
}

TEST(Stats, MeanIsTheArithmeticMean) {
  EXPECT_DOUBLE_EQ(mean({1, 2, 3, 4}), 2.5);
  EXPECT_EQ(mean({-2.5}), -2.5);
}

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
