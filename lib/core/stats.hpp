#pragma once

#include <vector>

/// Statistics shared by the stages: the one definition of mean, median and quantiles, and
/// straight-line fits of measured costs.
namespace edgent::stats {

/// Arithmetic mean of @p values. Throws ConfigError when @p values is empty.
double mean(const std::vector<double>& values);

/// The @p q quantile of @p values, q in [0, 1], by linear interpolation between order
/// statistics (Hyndman and Fan's type 7, the default of numpy and R): with the values sorted
/// x[0] <= ... <= x[n-1], h = (n - 1) q, the result is x[floor h] + (h - floor h) (x[floor h + 1]
/// - x[floor h]). q = 0 is the minimum, q = 1 the maximum, and one value is every quantile.
/// Throws ConfigError when @p values is empty or q is outside [0, 1] (or NaN).
double quantile(std::vector<double> values, double q);

/// quantile(values, 0.5): the middle value of an odd count, the mean of the two middle
/// values of an even count. Throws ConfigError when @p values is empty.
double median(std::vector<double> values);

/// A straight line y = intercept + slope · x.
struct Line {
  double intercept = 0;
  double slope = 0;
  double r2 = 0;  ///< coefficient of determination on the points it was fitted to
};

/// Ordinary least squares on absolute values. Slope 0 and the mean when all x are equal;
/// zeros when @p x is empty; throws ConfigError when the sizes differ.
Line fit_line(const std::vector<double>& x, const std::vector<double>& y);

/// fit_line() with both coefficients kept ≥ 0 (a negative slope falls back to the mean, a
/// negative intercept to a line through the origin). For small additive costs, where y may
/// be near 0 and relative weights would not make sense.
Line fit_nonnegative_line(const std::vector<double>& x, const std::vector<double>& y);

} // namespace edgent::stats
