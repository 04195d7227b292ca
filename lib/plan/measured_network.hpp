#pragma once

#include "core/artifact.hpp"

#include <optional>
#include <string>

namespace edgent::plan {

/// What the `network` section of a profile (edgent.profile/1, edgent-profile --edge) tells
/// the planner: the measured round trip and, per direction, the fitted transfer model
/// ms = intercept_ms + bytes · 8 / kbps.
struct MeasuredNetwork {
  std::string file;  ///< the profile it came from (for messages)
  std::string edge;  ///< the edge URL it was measured against
  double rtt_ms = 0;  ///< median GET /v1/health round trip
  double up_intercept_ms = 0;
  double down_intercept_ms = 0;
  std::optional<double> up_kbps;    ///< none when the fit found no finite rate (null)
  std::optional<double> down_kbps;

  /// Fixed cost of one offloaded transfer besides half the RTT, ms: a probe's intercept is a
  /// whole request's round trip plus the edge's handling, and an offload is one request, so
  /// each direction takes half of what its intercept adds to the RTT (never negative).
  double up_fixed_ms() const;
  double down_fixed_ms() const;
};

/// The network section of @p profile (an edgent.profile/1), or nothing when it has none.
/// Throws SchemaError naming the key for a malformed section.
std::optional<MeasuredNetwork> measured_network(const Artifact& profile);

} // namespace edgent::plan
