#pragma once

#include "core/artifact.hpp"
#include "plan/planner.hpp"
#include "plan/problem.hpp"

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace edgent::plan {

/// Builds the planner's input from artifacts: the model card (`edgent.model/1`), an optional
/// accuracy table (`edgent.accuracy/1`, nullptr = none) and the device and edge fits
/// (`edgent.fit/1`). Each exit's units and cut points come from the model analysis of the
/// card's ONNX file (whose sha256 must match the card), unless the card's exits carry a
/// hand-written `chain` [{name, type, features {...}, flops, output_bytes}] and optional
/// `cuts` (default: every cut 0..n). Each unit's latency is the role's fitted model for its
/// type (regress::LatencyFit::predict: the FLOPs fallback for other types), never negative.
/// @p device_fit / @p edge_fit may instead be an `edgent.profile/1` (measured-latency mode):
/// then unit u of exit e takes the profile's `units[{exit e, unit u}].median_ms`.
/// Throws SchemaError for bad keys and ConfigError for a fit or accuracy table of another model
/// (sha mismatch), a fit of the wrong role, or an empty codec set.
PlanProblem problem_from_artifacts(const Artifact& model, const Artifact* accuracy,
                                   const Artifact& device_fit, const Artifact& edge_fit,
                                   const std::vector<Codec>& codecs);

} // namespace edgent::plan

namespace edgent::plan {

/// Measures the accuracy table (edgent.accuracy/1) of @p model on the test set in @p data:
/// at most @p limit images (0 = all), the codecs named in @p codecs. The tools that take
/// --data set it to edgent-eval's measurement (eval::measure_accuracy_table); the planner
/// stage, below edgent-eval, only calls it.
using AccuracyMeasure = std::function<Artifact(const std::string& model, const std::string& data,
                                               std::size_t limit,
                                               const std::vector<std::string>& codecs)>;

/// Paths of the artifacts a problem is built from, and the codec and order names allowed.
struct ModelInputs {
  std::string model;      ///< edgent.model/1, or a bare ONNX (model::load_model_artifact)
  std::string accuracy;   ///< edgent.accuracy/1, empty = none
  /// Without accuracy: a test set (Fashion-MNIST directory) the accuracy table is measured
  /// on in memory (measure_accuracy, the allowed codecs only); empty = none.
  std::string data;
  std::size_t data_limit = 1000;  ///< test images measured from data, 0 = all
  AccuracyMeasure measure_accuracy; ///< how data is measured; unset = --data is refused
  std::string device_fit; ///< edgent.fit/1 of role device (or device_profile)
  std::string edge_fit;   ///< edgent.fit/1 of role edge (or edge_profile)
  std::string device_profile; ///< edgent.profile/1 of role device: measured-latency mode
  std::string edge_profile;   ///< edgent.profile/1 of role edge: measured-latency mode
  std::vector<std::string> codecs{"fp32", "fp16", "int8", "fp32+zstd", "fp16+zstd", "int8+zstd"};
  std::vector<std::string> orders{"device-first", "edge-first"};
};

/// A problem and the model it belongs to.
struct LoadedProblem {
  PlanProblem problem;
  std::string model_sha256; ///< the card's onnx_sha256
};

/// Codecs for @p names with their default ratios; throws ConfigError for an empty set,
/// UsageError for an unknown or repeated name.
std::vector<Codec> codecs_from_names(const std::vector<std::string>& names);
/// The search space allowing @p names; throws ConfigError for an empty set, UsageError for an
/// unknown name.
SearchSpace space_from_orders(const std::vector<std::string>& names);

/// Reads the artifacts of @p in and builds the problem (see problem_from_artifacts). With
/// in.data and no in.accuracy the accuracy table is measured first; both is a UsageError.
LoadedProblem load_problem(const ModelInputs& in);

} // namespace edgent::plan
