#pragma once

#include "regress/latency_fit.hpp"

#include <iosfwd>
#include <string>

namespace edgent::regress {

/// What edgent-fit was asked to do.
struct FitOptions {
  std::string profile = "-";   ///< edgent.profile/1 ("-" = stdin)
  std::string output = "-";    ///< edgent.fit/1 ("-" = stdout)
  bool predict = false;        ///< print predicted vs measured per unit and per exit chain
  FitSettings fit;
};

/// Runs edgent-fit: reads the profile, fits, writes the fit artifact, and with
/// `predict` writes the comparison table to @p report. Returns the exit code.
int run(const FitOptions& options, std::ostream& report);

/// Per-unit and per-exit-chain predicted vs measured table for a profile and a fit.
/// Returns {median APE over units, max APE over exit chains}.
std::pair<double, double> write_prediction_report(const profile::Profile& profile,
                                                  const LatencyFit& fit, std::ostream& out);

} // namespace edgent::regress
