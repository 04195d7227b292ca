#pragma once

// Golden files for the CLI tests: an artifact compared with tests/cmd/<tool>/expected/*.json
// as parsed JSON, so that key order and number formatting do not matter.

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace edgent::testing {

/// Relative tolerance for doubles (integers and every other value compare exactly).
inline constexpr double kGoldenRelTol = 1e-9;
/// Absolute tolerance for doubles near zero, where rounding noise (say 3e-18 for an exact 0)
/// has no relative size.
inline constexpr double kGoldenAbsTol = 1e-12;

/// The differences between @p actual and @p expected, one line each, named by JSON pointer
/// ("/plan/exit: 3 != 4"); empty when they match. Doubles match within @p rel_tol relative,
/// or kGoldenAbsTol absolute.
std::vector<std::string> json_differences(const nlohmann::json& actual,
                                          const nlohmann::json& expected,
                                          double rel_tol = kGoldenRelTol);

/// Checks the JSON file @p artifact against the golden file @p golden (a gtest failure per
/// difference). Strings in the artifact have each pair's first part replaced by its second
/// first (e.g. a temporary directory by "<tmp>"), so goldens hold no machine paths. With
/// EDGENT_UPDATE_GOLDENS=1 in the environment, rewrites @p golden instead and passes.
void expect_golden(const std::string& artifact, const std::string& golden,
                   const std::vector<std::pair<std::string, std::string>>& replace = {});

} // namespace edgent::testing
