#pragma once

#include "core/artifact.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace edgent::model {

/// Top-1 accuracy of one (exit, cut, codec) and the mean wire size of the tensor at the cut.
struct AccuracyRecord {
  int exit = 0;                      ///< 1-based
  int cut = 0;                       ///< units before the cut (range checked by the planner)
  std::string codec;
  std::optional<double> accuracy;    ///< fraction in [0, 1]; empty when no image was measured
  std::optional<double> wire_bytes;  ///< header included; empty in tables from before it
};

/// The edgent.accuracy/1 artifact (edgent-eval). It lives with the model stage because the
/// planner, below edgent-eval, reads it.
struct AccuracyTable {
  std::string model_sha256;
  std::size_t samples = 0;             ///< test images measured
  std::size_t wire_bytes_samples = 0;  ///< images whose sizes were averaged (at most 1000)
  std::vector<AccuracyRecord> entries;
};

/// The artifact's body (write_artifact adds schema and generator); accuracy and wire_bytes
/// are null when samples is 0.
nlohmann::json to_json(const AccuracyTable& table);
/// Reads an edgent.accuracy/1 artifact; throws SchemaError naming the file and key.
AccuracyTable read_accuracy(const Artifact& artifact);

} // namespace edgent::model
