#pragma once

#include "plan/cascade_plan.hpp"
#include "plan/problem_from_artifacts.hpp"

#include <string>

namespace edgent::plan {

/// Everything edgent-plan is asked to do (filled by option parsing, which opens no files).
struct PlanOptions {
  ModelInputs inputs;
  double bandwidth_kbps = 0;  ///< both directions; 0 = not given (then --trace/--at or up/down)
  double up_kbps = 0;         ///< uplink override; 0 = bandwidth_kbps
  double down_kbps = 0;       ///< downlink override; 0 = bandwidth_kbps
  std::string trace;          ///< bandwidth trace; the bandwidth is its value at at_s
  double at_s = 0;            ///< time in the trace, seconds
  double scale = 1;           ///< multiplies the trace's bandwidth
  double rtt_ms = 0;          ///< round-trip time
  bool rtt_set = false;       ///< --rtt was given (else a measured network's RTT replaces rtt_ms)
  /// Profile (edgent.profile/1) whose `network` section (edgent-profile --edge) supplies the
  /// RTT, the per-transfer fixed costs and, when no bandwidth is given, the rates; empty = the
  /// device profile's, else the edge profile's, when they have one.
  std::string network_profile;
  double up_fixed_ms = 0;     ///< fixed cost per upload besides half the RTT (measured only)
  double down_fixed_ms = 0;   ///< fixed cost per download besides half the RTT (measured only)
  double queue_ms = 0;        ///< expected edge queueing
  /// The device's speed against its fit: its compute and codec are planned at the fit's
  /// times × this (as edgent-infer plans at the speed it measures, its records' device_scale).
  double device_scale = 1;
  double deadline_ms = 0;     ///< latency requirement (> 0)
  std::string strategy = "edgent";
  /// Cascade table (edgent.cascade/1, edgent-eval --cascades); set = plan a confidence cascade
  /// (the table's one-exit entries are the fixed-exit plans) instead of a fixed exit.
  std::string cascades;
  std::string cascade_latency = "mean"; ///< "mean", "p95" or "max": what must meet the deadline
  std::string output = "-";   ///< edgent.plan/1, or edgent.sweep/1 with a sweep
  std::string sweep_bandwidth; ///< "lo:hi:n" kbps, geometric steps; empty = none
  std::string sweep_deadline;  ///< "lo:hi:n" ms, linear steps; empty = none
  std::string csv;            ///< sweep table as CSV; empty = none
  long time_decisions = 0;    ///< > 0: time this many decisions and print µs/decision
};

/// Applies the measured network of @p o's profile (see network_profile), if any: --rtt defaults
/// to its RTT median, the fixed costs come from its intercepts and, for a single plan given no
/// --bandwidth, --up, --down or --trace, its fitted rates are the bandwidth. Explicit options
/// win. Says on --verbose which values came from the profile. Throws ConfigError when an
/// explicit network_profile has no network section.
PlanOptions with_measured_network(const PlanOptions& o);

/// Runs edgent-plan: writes the plan (exit code 0, or 3 when infeasible: the fastest plan is
/// still written, flagged), or with a sweep the table of every strategy's plan over the grid.
int run(const PlanOptions& options);

/// The cascade plan for one network and deadline from the table in @p table_file, which must
/// be of @p model_sha256. Throws ConfigError when it is of another model or none of its cascades
/// fits the model's chains.
CascadeDecision plan_cascade(const LatencyModel& model, const Network& net, double deadline_ms,
                             const std::string& table_file, const std::string& model_sha256,
                             CascadeStatistic statistic, const SearchSpace& space);

/// Parses "lo:hi:n" (lo ≤ hi, n ≥ 1, lo > 0); @p geometric spaces the points geometrically.
/// Throws UsageError naming @p option.
std::vector<double> parse_range(const std::string& text, bool geometric, const std::string& option);

} // namespace edgent::plan
