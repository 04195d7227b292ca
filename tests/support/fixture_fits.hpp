#pragma once

// The plan fixture's fits (tests/data/plan/{device,edge}_fit.json) made out for another model.

#include <string>

namespace edgent::testing {

/// Writes @p dir/device.fit.json and @p dir/edge.fit.json: the plan fixture's coefficients,
/// stamped with @p model_sha256 so that the tools take them for that model's fits.
void write_fixture_fits(const std::string& dir, const std::string& model_sha256);

} // namespace edgent::testing
