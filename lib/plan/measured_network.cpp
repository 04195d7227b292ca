#include "plan/measured_network.hpp"

#include <algorithm>

namespace edgent::plan {

double MeasuredNetwork::up_fixed_ms() const {
  return std::max(0.0, (up_intercept_ms - rtt_ms) / 2);
}

double MeasuredNetwork::down_fixed_ms() const {
  return std::max(0.0, (down_intercept_ms - rtt_ms) / 2);
}

std::optional<MeasuredNetwork> measured_network(const Artifact& profile) {
  const auto section = profile.root().find("network");
  if (!section) {
    return std::nullopt;
  }
  MeasuredNetwork m;
  m.file = profile.file;
  m.edge = section->at("edge").string();
  m.rtt_ms = section->at("rtt").at("median_ms").number(0, 1e9);
  const auto kbps = [](const JsonView& fit) -> std::optional<double> {
    const auto v = fit.at("kbps").optional_number();
    if (v && !(*v > 0)) {
      fit.at("kbps").fail("must be > 0 or null");
    }
    return v;
  };
  const JsonView up = section->at("up");
  const JsonView down = section->at("down");
  m.up_intercept_ms = up.at("intercept_ms").number(-1e9, 1e9);
  m.down_intercept_ms = down.at("intercept_ms").number(-1e9, 1e9);
  m.up_kbps = kbps(up);
  m.down_kbps = kbps(down);
  return m;
}

} // namespace edgent::plan
