#include "core/stats.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

namespace edgent::stats {

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
