#pragma once

#include <cstddef>

namespace edgent::runtime {

class EdgeLink;

/// How a run measures the link. Pings keep the RTT estimate fresh; probes measure the
/// bandwidth when requests do not (device-only states, a fast link).
struct ProbingPolicy {
  bool ping = false;   ///< ping the edge, and monitor the link in the background
  bool probe = false;  ///< send bandwidth probes (before the run and in the monitor)
};

/// The policy of a run: nothing when no request crosses the network (@p device_only) or
/// probes are off (@p no_probe); no probes for the oracle (@p oracle), which knows the
/// bandwidth.
ProbingPolicy probing_policy(bool device_only, bool no_probe, bool oracle);

/// Starts measuring @p link under @p policy: a ping, a first measurement before the schedule
/// starts (a first probe inside it would delay the first requests), then the background
/// monitor on a connection of its own. Returns the probes sent; EdgeLink::stop_monitor()
/// returns the monitor's.
std::size_t start_probing(EdgeLink& link, const ProbingPolicy& policy);

} // namespace edgent::runtime
