#pragma once

#include "core/artifact.hpp"
#include "model/cascade.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace edgent::model {

/// One cascade measured on the test set.
struct CascadeRecord {
  Cascade cascade;
  double accuracy = 0;       ///< top-1 fraction in [0, 1] of the answers the cascade gives
  /// Fraction of the inputs leaving at each exit of cascade.exits (same order; sums to 1).
  std::vector<double> leave;
};

/// The edgent.cascade/1 artifact (edgent-eval --cascades): accuracy and exit distribution of
/// every cascade in a grid of exit sets and thresholds. It lives with the model stage because
/// the planner, below edgent-eval, reads it.
struct CascadeTable {
  std::string model_sha256;
  std::size_t samples = 0;                  ///< test images measured (> 0)
  std::string confidence = kConfidenceMeasure;
  std::vector<double> thresholds;           ///< the threshold grid the entries were made from
  std::vector<CascadeRecord> entries;
};

/// The artifact's body (write_artifact adds schema and generator).
nlohmann::json to_json(const CascadeTable& table);
/// Reads an edgent.cascade/1 artifact: checks every cascade (check_cascade), accuracies and
/// fractions in [0, 1], one fraction per exit summing to 1. Throws SchemaError naming the
/// file and key.
CascadeTable read_cascade_table(const Artifact& artifact);

} // namespace edgent::model
