#include "support/plan_problems.hpp"

namespace edgent::testing {

plan::PlanProblem hand_problem() {
  plan::PlanProblem p;
  p.codecs = {{"fp32", 1.0}, {"int8", 0.25}};
  plan::ExitCosts e1;
  e1.exit = 1;
  e1.device_ms = {10, 5};
  e1.edge_ms = {2, 1};
  e1.fp32_bytes = {1000, 4000, 40};
  e1.cuts = {0, 1, 2};
  e1.accuracy = 0.8;
  plan::ExitCosts e2;
  e2.exit = 2;
  e2.device_ms = {10, 20, 30};
  e2.edge_ms = {2, 4, 6};
  e2.fp32_bytes = {1000, 4000, 2000, 40};
  e2.cuts = {0, 1, 2, 3};
  e2.accuracy = 0.9;
  p.exits = {e1, e2};
  return p;
}

} // namespace edgent::testing
