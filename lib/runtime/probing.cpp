#include "runtime/probing.hpp"

#include "runtime/edge_link.hpp"

namespace edgent::runtime {

ProbingPolicy probing_policy(bool device_only, bool no_probe, bool oracle) {
  ProbingPolicy policy;
  policy.ping = !device_only && !no_probe;
  policy.probe = policy.ping && !oracle;
  return policy;
}

std::size_t start_probing(EdgeLink& link, const ProbingPolicy& policy) {
  std::size_t probes = 0;
  if (policy.ping) {
    link.ping();
  }
  if (policy.probe) {
    probes += static_cast<std::size_t>(link.measure());
  }
  if (policy.ping) {
    // From now on the link is measured in the background, on a connection of its own, when
    // the requests do not measure it themselves.
    MonitorOptions monitor;
    monitor.probe = policy.probe;
    link.start_monitor(monitor);
  }
  return probes;
}

} // namespace edgent::runtime
