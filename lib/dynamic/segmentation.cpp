#include "dynamic/segmentation.hpp"

#include "core/stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace edgent::dynamic {

double Segment::kbps() const { return std::exp(mean_log); }

double robust_sigma(const std::vector<double>& x) {
  if (x.size() < 2) {
    return 0;
  }
  std::vector<double> d(x.size() - 1);
  for (std::size_t i = 0; i + 1 < x.size(); ++i) {
    d[i] = x[i + 1] - x[i];
  }
  const double med = stats::median(d);
  for (double& v : d) {
    v = std::abs(v - med);
  }
  return stats::median(std::move(d)) / (0.6745 * std::sqrt(2.0));
}

std::vector<std::size_t> pelt(const std::vector<double>& x, double beta, std::size_t min_segment) {
  const std::size_t n = x.size();
  min_segment = std::max<std::size_t>(min_segment, 1);
  if (n < 2 * min_segment) {
    return {};
  }
  std::vector<double> s1(n + 1, 0.0);
  std::vector<double> s2(n + 1, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    s1[i + 1] = s1[i] + x[i];
    s2[i + 1] = s2[i] + x[i] * x[i];
  }
  const auto cost = [&](std::size_t a, std::size_t b) { // bins [a, b)
    const double len = static_cast<double>(b - a);
    const double sum = s1[b] - s1[a];
    return std::max(0.0, (s2[b] - s2[a]) - sum * sum / len);
  };
  constexpr double kInf = std::numeric_limits<double>::infinity();
  std::vector<double> f(n + 1, kInf);
  std::vector<std::size_t> last(n + 1, 0);
  f[0] = -beta;
  std::vector<std::size_t> candidates; // admissible last change points
  std::vector<std::size_t> kept;
  for (std::size_t t = min_segment; t <= n; ++t) {
    // A start s becomes admissible once a segment [s, t) can have the minimum length.
    const std::size_t s_new = t - min_segment;
    if (s_new == 0 || (s_new >= min_segment && f[s_new] < kInf)) {
      candidates.push_back(s_new);
    }
    double best = kInf;
    std::size_t arg = 0;
    for (const std::size_t s : candidates) {
      const double v = f[s] + cost(s, t) + beta;
      if (v < best) {
        best = v;
        arg = s;
      }
    }
    f[t] = best;
    last[t] = arg;
    // Prune: s can never be optimal again when f[s] + cost(s, t) > f[t] (K = 0 for this cost).
    kept.clear();
    for (const std::size_t s : candidates) {
      if (f[s] + cost(s, t) <= f[t]) {
        kept.push_back(s);
      }
    }
    candidates.swap(kept);
  }
  std::vector<std::size_t> cps;
  for (std::size_t t = n; t > 0; t = last[t]) {
    if (last[t] > 0) {
      cps.push_back(last[t]);
    }
  }
  std::reverse(cps.begin(), cps.end());
  return cps;
}

std::vector<double> log_series(const std::vector<double>& kbps, double floor_kbps) {
  std::vector<double> x(kbps.size());
  for (std::size_t i = 0; i < kbps.size(); ++i) {
    x[i] = std::log(std::max(kbps[i], floor_kbps));
  }
  return x;
}

Segmentation segment_trace(const data::Trace& trace, const SegmentSettings& settings) {
  Segmentation out;
  out.x = log_series(trace.binned(settings.bin_s), settings.floor_kbps);
  out.sigma = std::max(robust_sigma(out.x), settings.sigma_min);
  const double n = static_cast<double>(out.x.size());
  out.beta = settings.penalty_k * out.sigma * out.sigma * std::log(std::max(n, 2.0));
  const auto cps = pelt(out.x, out.beta, settings.min_segment);
  std::size_t begin = 0;
  for (std::size_t i = 0; i <= cps.size(); ++i) {
    const std::size_t end = i < cps.size() ? cps[i] : out.x.size();
    Segment seg;
    seg.begin = begin;
    seg.end = end;
    double sum = 0;
    for (std::size_t k = begin; k < end; ++k) {
      sum += out.x[k];
    }
    seg.mean_log = sum / static_cast<double>(end - begin);
    out.segments.push_back(seg);
    begin = end;
  }
  return out;
}

} // namespace edgent::dynamic
