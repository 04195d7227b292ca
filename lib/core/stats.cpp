#include "core/stats.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace edgent::stats {

double mean(const std::vector<double>& values) {
  if (values.empty()) {
    throw ConfigError("the mean of no values");
  }
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

double quantile(std::vector<double> values, double q) {
  if (values.empty()) {
    throw ConfigError("a quantile of no values");
  }
  if (!(q >= 0.0 && q <= 1.0)) {
    throw ConfigError(fmt::format("quantile {} is outside [0, 1]", q));
  }
  const double h = q * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const auto lo_it = values.begin() + static_cast<std::ptrdiff_t>(lo);
  std::nth_element(values.begin(), lo_it, values.end());
  const double below = *lo_it;
  const double frac = h - static_cast<double>(lo);
  if (frac == 0.0) {
    return below;
  }
  const double above = *std::min_element(lo_it + 1, values.end());
  // Written as a weighted sum, so the median of an even count is exactly (a + b) / 2.
  return (1.0 - frac) * below + frac * above;
}

double median(std::vector<double> values) {
  return quantile(std::move(values), 0.5);
}

Line fit_line(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size()) {
    throw ConfigError(fmt::format("{} x values for {} y values", x.size(), y.size()));
  }
  Line line;
  if (x.empty()) {
    return line;
  }
  const double n = static_cast<double>(x.size());
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n;
  const double my = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxx = 0;
  double sxy = 0;
  double syy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
    syy += (y[i] - my) * (y[i] - my);
  }
  line.slope = sxx > 0 ? sxy / sxx : 0.0;
  line.intercept = my - line.slope * mx;
  double ss_res = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double e = y[i] - (line.intercept + line.slope * x[i]);
    ss_res += e * e;
  }
  line.r2 = syy > 0 ? 1.0 - ss_res / syy : (ss_res > 0 ? 0.0 : 1.0);
  return line;
}

Line fit_nonnegative_line(const std::vector<double>& x, const std::vector<double>& y) {
  Line line = fit_line(x, y);
  if (x.empty()) {
    return line;
  }
  if (line.slope < 0) {
    const double my = std::accumulate(y.begin(), y.end(), 0.0) / static_cast<double>(y.size());
    line = {std::max(0.0, my), 0.0, 0.0};
  } else if (line.intercept < 0) {
    double x2 = 0;
    double xy = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      x2 += x[i] * x[i];
      xy += x[i] * y[i];
    }
    line = {0.0, x2 > 0 ? std::max(0.0, xy / x2) : 0.0, 0.0};
  }
  return line;
}

} // namespace edgent::stats
