#pragma once

// Plan problems small enough to check by hand, shared by the planner's and the runtime's tests.

#include "plan/problem.hpp"

namespace edgent::testing {

/// Two exits with fp32 and int8 codecs: exit 1 (accuracy 0.8) has 2 units costing 10 + 5 ms on
/// the device and 2 + 1 ms on the edge; exit 2 (0.9) has 3 units costing 10 + 20 + 30 ms and
/// 2 + 4 + 6 ms. fp32 bytes at cuts 0..n: exit 1 {1000, 4000, 40}, exit 2 {1000, 4000, 2000, 40}.
plan::PlanProblem hand_problem();

} // namespace edgent::testing
