#pragma once

#include "dynamic/config_map.hpp"
#include "plan/problem_from_artifacts.hpp"

#include <string>
#include <vector>

namespace edgent::dynamic {

/// Everything edgent-mapbuild is asked to do (filled by option parsing, which opens no files).
struct MapbuildOptions {
  plan::ModelInputs inputs;
  std::vector<std::string> traces; ///< files, directories (every *.csv below) or glob patterns
  double scale = 1;                ///< multiplies every trace's bandwidth
  double deadline_ms = 0;          ///< build: latency requirement (> 0)
  double rtt_ms = 0;               ///< build: round-trip time
  double queue_ms = 0;             ///< build: expected edge queueing
  MapSettings settings;
  /// Cascade table (edgent.cascade/1); set = every state plans a confidence cascade.
  std::string cascades;
  std::string cascade_latency = "mean"; ///< "mean", "p95" or "max": what must meet the deadline
  std::string output = "-";        ///< edgent.configmap/1
};

/// What `edgent-mapbuild evaluate` replays: the map, and the model, fits and traces to replay
/// it on (deadline, RTT, detector and step come from the map).
struct EvaluateOptions {
  std::string map;                 ///< the config map (edgent.configmap/1)
  plan::ModelInputs inputs;
  std::vector<std::string> traces; ///< as MapbuildOptions::traces
  double scale = 1;                ///< multiplies every trace's bandwidth
  /// Cascade table (edgent.cascade/1): the oracle and the static plan search it with the
  /// map's latency statistic; empty = they are the best fixed-exit strategies.
  std::string cascades;
  std::string output = "-";        ///< edgent.evaluation/1
};

/// Builds the config map from the traces and writes it; returns the exit code.
int run(const MapbuildOptions& options);

/// Replays the traces through detector + map, the per-sample oracle and the static plan at
/// each trace's mean bandwidth; writes edgent.evaluation/1 and prints the pooled figures.
int run(const EvaluateOptions& options);

} // namespace edgent::dynamic
