#pragma once

#include "data/trace.hpp"

#include <cstddef>
#include <vector>

namespace edgent::dynamic {

/// Offline change-point settings. Segmentation runs on x = ln(max(kbps, floor_kbps)) of the
/// trace binned to bin_s seconds: bandwidth varies multiplicatively (a drop from 2 to 1 Mbps
/// matters as much for transfer time as one from 200 to 100 kbps), and the log makes the noise
/// roughly homoscedastic so that one penalty fits every regime.
struct SegmentSettings {
  double bin_s = 1.0;        ///< resampling step (time-averaged bins), seconds
  double floor_kbps = 10.0;  ///< outages are clamped to this before the log
  double penalty_k = 3.0;    ///< β = k · σ² · ln n (k = 2 is BIC; 3, as in MBIC, resists noise)
  double sigma_min = 0.05;   ///< lower bound on σ (ln units) so flat traces do not split on noise
  std::size_t min_segment = 3; ///< minimum segment length in bins
};

/// One segment of a binned series: bins [begin, end).
struct Segment {
  std::size_t begin = 0;
  std::size_t end = 0;
  double mean_log = 0; ///< mean of x over the segment
  /// Representative bandwidth exp(mean_log): the geometric mean, kbps.
  double kbps() const;
};

/// Robust noise scale of @p x: MAD of first differences / (0.6745 · √2), which ignores the
/// level shifts themselves. 0 for fewer than 2 values.
double robust_sigma(const std::vector<double>& x);

/// PELT (Killick, Fearnhead & Eckley 2012) for changes in mean with the Gaussian cost
/// Σ (x − mean)², penalty @p beta per change and a minimum segment length. Returns the start
/// indices of all segments after the first (ascending). O(n) expected, O(n²) worst case.
std::vector<std::size_t> pelt(const std::vector<double>& x, double beta, std::size_t min_segment);

/// x = ln(max(v, floor)) for each value.
std::vector<double> log_series(const std::vector<double>& kbps, double floor_kbps);

/// The result of segmenting one trace.
struct Segmentation {
  std::vector<double> x;         ///< the log series that was segmented
  std::vector<Segment> segments; ///< covering all bins, in order
  double sigma = 0;              ///< σ used (after the floor)
  double beta = 0;               ///< penalty used
};

/// Bins, logs and segments @p trace with @p settings.
Segmentation segment_trace(const data::Trace& trace, const SegmentSettings& settings);

} // namespace edgent::dynamic
