#pragma once

#include "core/artifact.hpp"
#include "regress/linear_model.hpp"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace edgent::regress {

/// The Edgent regression features of a layer type: a unit type's
/// model::UnitTypeTraits::regression_features, and load {model_bytes}. Empty for types
/// without a model of their own (they use the FLOPs fallback).
const std::vector<std::string>& edgent_features(const std::string& type);

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

struct FitSettings {
  bool include_units = false;  ///< also train on the model's units (then nothing is held out)
  int folds = 5;
  std::uint64_t seed = 1;
};

/// The fit's type name of a conv with @p features of its own kernel shape, from kernel_area
/// and stride_area: "conv@3x3/1" for a square kernel and stride, else "conv@k<area>/<area>";
/// "conv" when the features do not say.
std::string conv_shape_type(const Features& features);

/// The key of a profile's timing entries that fits and plans read: the profile's
/// settings.estimate, "median_ms" (the default, also when the profile does not say) or
/// "mean_ms". SchemaError naming the key for anything else.
std::string profile_estimate_key(const JsonView& profile_root);

/// A profile's measured cost per boundary between unit nets (its net_overhead section, read
/// by profile_estimate_key; a negative estimate counts 0): {ms, ms per byte crossing it};
/// zeros when the profile has none.
std::pair<double, double> profile_net_overhead(const JsonView& profile_root);

/// A profile's request overhead (its requests section against its exits' rotation timings,
/// by profile_estimate_key): each exit's extra time as a request, fitted on the exit chains'
/// weight bytes (fit_nonnegative_line). Zeros when the profile has no requests section.
RequestOverhead profile_request_overhead(const JsonView& profile_root);

/// A profile's codec costs (its codecs section, by profile_estimate_key): per codec
/// and operation a line through the measured tensor sizes (fit_nonnegative_line). Empty when
/// the profile has none.
std::map<std::string, CodecCost> profile_codec_costs(const JsonView& profile_root);

/// Fits every layer type found in a profile (edgent.profile/1): the synthetic sweep is the
/// training set, the model's units are held out and report the held-out error. Per type the
/// Edgent features are used, plus "flops" when that lowers the cross-validated error. Where a
/// type has enough sweep points near the model (variants of its own layers, `near_model`),
/// only those are used: one linear law fits OpenCV's layers well locally, not across sizes.
/// Conv also gets a model per kernel shape (conv_shape_type) with enough near points: OpenCV
/// runs some shapes on specialised kernels (Winograd for 3x3 stride 1).
/// Throws ConfigError naming the type when a type has too few samples.
LatencyFit fit_profile(const Artifact& profile, const FitSettings& options);

nlohmann::json to_json(const LatencyFit& fit);
LatencyFit latency_fit_from_artifact(const Artifact& artifact);

} // namespace edgent::regress
