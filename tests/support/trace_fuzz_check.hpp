#pragma once

// The property the trace libFuzzer target and the gcc suite check on arbitrary bytes: the
// bandwidth-trace CSV parser yields a well-formed trace or an edgent::Error, and what the
// tools then compute on a trace (held values, mean, 1-s bins) stays finite.

#include "core/error.hpp"
#include "data/trace.hpp"

#include <cmath>
#include <cstdlib>
#include <string_view>

namespace edgent::fuzz {

/// Parses @p text as a trace file (scale 1) and, when accepted, bins it as edgent-mapbuild
/// does. Returns true when accepted; aborts when an accepted trace breaks its contract.
inline bool check_trace_text(std::string_view text) {
  try {
    const data::Trace t = data::parse_trace(text, "fuzz.csv", 1);
    if (t.t_s.empty() || t.t_s.size() != t.kbps.size() || !(t.t_s.front() >= 0) ||
        !(t.end_s > t.t_s.back())) {
      std::abort();
    }
    for (std::size_t i = 0; i < t.t_s.size(); ++i) {
      if (!std::isfinite(t.t_s[i]) || !std::isfinite(t.kbps[i]) || t.kbps[i] < 0 ||
          (i > 0 && !(t.t_s[i] > t.t_s[i - 1]))) {
        std::abort();
      }
    }
    const double mean = t.mean_kbps();
    if (std::isnan(mean) || mean < 0) {
      std::abort();
    }
    (void)t.at(t.t_s.front() + 0.5 * t.duration_s());
    for (const double v : t.binned(1.0)) {
      if (std::isnan(v) || v < 0) {
        std::abort();
      }
    }
    return true;
  } catch (const Error&) {
    return false;
  }
}

} // namespace edgent::fuzz
