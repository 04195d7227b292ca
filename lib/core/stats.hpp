#pragma once

#include <vector>

/// Statistics shared by the stages: straight-line fits of measured costs.
namespace edgent::stats {

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
