#pragma once

#include "plan/planner.hpp"
#include "runtime/infer_command.hpp"

namespace edgent::runtime {

/// Where the plan of each request comes from.
enum class PlanMode {
  fixed,  ///< one plan from a plan file (--plan)
  fits,   ///< planned per request from the fits (--device-fit/--edge-fit/--deadline)
  map     ///< the config map's state chosen by the change-point detector (--map)
};

/// "plan", "fits" or "map", as the run summary's `mode`.
const char* mode_name(PlanMode mode);

/// The settings edgent-infer derives from checked options.
struct InferConfig {
  PlanMode mode = PlanMode::fits;
  /// Device and edge fits are given: a latency model is loaded (always in fits mode; in the
  /// other modes it predicts the plan in force at the measured bandwidth).
  bool fits_given = false;
  plan::Strategy strategy = plan::Strategy::edgent;  ///< fits mode's strategy
};

/// Checks @p options across each other (one plan source, one input, --oracle and
/// --link-trace with what they need) and derives the settings. Opens no files. Throws
/// UsageError.
InferConfig validate(const InferOptions& options);

} // namespace edgent::runtime
