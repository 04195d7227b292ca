#pragma once

#include "core/artifact.hpp"
#include "core/stats.hpp"
#include "regress/linear_model.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace edgent::regress {

/// One fitted latency model with its quality figures.
struct TypeFit {
  LinearModel model;
  std::string train_set = "sweep";     ///< "near-model" (variants of the model's layers) or "sweep"
  FitQuality train;
  double cv_mape = 0;                  ///< cross-validated MAPE on the training samples
  std::optional<FitQuality> heldout;   ///< on the model's own units, when held out
};

/// What a request costs a side after an idle gap (as edgent-serve and edgent-infer run them)
/// beyond the same work in a busy rotation, as the units are profiled: caches, TLBs and the
/// core's clock have cooled. fixed_ms once per request on each side that does any work,
/// plus per_param_byte_ms × the weight bytes of the segments it runs (read from memory).
struct RequestOverhead {
  double gap_ms = 0;             ///< the idle gap it was measured after (0 = not measured)
  double fixed_ms = 0;
  double per_param_byte_ms = 0;
  /// What each net of a request beyond its first costs after the gap, beyond the warm
  /// boundary the units' fits already count (a cascade runs its segments and branches as
  /// several nets); from chains run split at their cut points, 0 when not measured.
  double net_ms = 0;
  /// Per exit, the overhead measured for its whole chain (≥ 0), which plans use for that
  /// chain instead of the line.
  std::map<int, double> exits;
  /// The extra time of a request whose segments read @p param_bytes of weights, ms.
  double ms(double param_bytes) const { return fixed_ms + per_param_byte_ms * param_bytes; }
};

/// What the tensor wire codec costs on a role (measured in the rotation, as units are):
/// ms = intercept + slope × the tensor's fp32 bytes, per operation.
struct CodecCost {
  stats::Line encode;
  stats::Line decode;
  /// Encoding the model's input as a request's first work, after the profile's idle gap
  /// (cold: what an edge-only plan's device pays), ms; 0 when not measured.
  double encode_first_ms = 0;
};

/// How a block's sum of parts (LatencyFit::segment_ms of its parts' predictions) becomes its
/// prediction, learned from the profile's synthetic blocks (`block_sweep`) and adopted only
/// when leave-one-block-out cross-validation says it predicts better than the plain sum.
struct BlockCorrection {
  /// "none" (the sum), "factor" (value × the sum) or "boundary" (the sum minus value ms per
  /// boundary between parts, a cost each part pays for running as a net of its own beyond
  /// the measured net overhead).
  std::string method = "none";
  double value = 0;
  int blocks = 0;   ///< synthetic blocks it was learned from (0 = none)
  /// Leave-one-block-out MAPE of each method tried, by name ("none", "factor", "boundary").
  std::map<std::string, double> cv_mape;
  /// The block's prediction from its parts' @p sum_ms over @p parts parts, never negative.
  double apply(double sum_ms, std::size_t parts) const;
};

/// Fitted latency models for one role (device, edge, ...): edgent.fit/1.
struct LatencyFit {
  std::string role;
  std::string model_sha256;
  std::string profile_sha256;
  std::map<std::string, TypeFit> types;  ///< per layer type
  TypeFit fallback;                       ///< FLOPs-based, for types without a model
  std::optional<TypeFit> load;            ///< model loading time on model_bytes
  /// What a unit's time includes for being a net of its own, per boundary between units of
  /// a segment: a fixed cost plus a cost per byte of the tensor crossing it (measured).
  double net_overhead_ms = 0;
  double net_overhead_per_byte_ms = 0;
  RequestOverhead request;
  /// Applied to blocks predicted from their parts (block_parts_ms).
  BlockCorrection block_correction;
  /// Per codec name ("fp32", "int8+zstd", ...); empty when the profile did not measure them.
  std::map<std::string, CodecCost> codecs;

  /// Predicted ms of a unit of @p type with @p features (fallback on "flops" for unknown
  /// types), never negative. A conv unit uses the model of its kernel shape
  /// (conv_shape_type) when the fit has one.
  double predict(const std::string& type, const Features& features) const;
  /// Predicted ms of several units run as one net, from their separate predictions: each
  /// unit was measured as a net of its own, so the cost of each boundary between them is
  /// removed. @p boundary_bytes[i] is the size of the tensor between unit i and i + 1 (one
  /// fewer than units; missing entries count 0 bytes). Never below the largest unit.
  double segment_ms(const std::vector<double>& unit_ms, const std::vector<double>& boundary_bytes = {}) const;
  /// True when @p type has its own model (otherwise predict() uses the fallback).
  bool has_type(const std::string& type) const { return types.count(type) > 0; }
};

/// The artifact's body (write_artifact adds schema and generator).
nlohmann::json to_json(const LatencyFit& fit);
/// Reads an edgent.fit/1 artifact; throws SchemaError naming the file and key.
LatencyFit latency_fit_from_artifact(const Artifact& artifact);

} // namespace edgent::regress
