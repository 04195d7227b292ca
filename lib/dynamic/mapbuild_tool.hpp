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
  std::string output = "-";        ///< edgent.configmap/1 (build) or edgent.evaluation/1
  bool evaluate = false;           ///< replay traces through detector + map instead of building
  std::string map;                 ///< evaluate: the config map
};

/// Builds the config map from the traces and writes it; returns the exit code.
int run_mapbuild(const MapbuildOptions& options);

/// Replays the traces through detector + map, the per-sample oracle and the static plan at
/// each trace's mean bandwidth; writes edgent.evaluation/1 and prints the pooled figures.
int run_evaluate(const MapbuildOptions& options);

} // namespace edgent::dynamic
