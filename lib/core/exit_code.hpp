#pragma once

/// Exit codes shared by every edgent tool (documented in each man page under EXIT STATUS).
namespace edgent {

enum class ExitCode : int {
  ok = 0,           ///< success
  failure = 1,      ///< runtime failure: I/O, model, network
  usage = 2,        ///< bad command line, config or artifact schema
  infeasible = 3,   ///< no plan meets the deadline (the fastest plan is still written)
  interrupted = 130, ///< stopped by SIGINT (128 + 2)
  terminated = 143   ///< stopped by SIGTERM (128 + 15), where a tool finishes its work cleanly
};

/// The process exit status for @p code.
constexpr int to_int(ExitCode code) { return static_cast<int>(code); }

} // namespace edgent
