#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edgent::model {

/// What an execution unit does, for the per-type latency regressions.
enum class UnitType {
  conv, relu, pool, lrn, dropout, fc, softmax,
  eltwise,    ///< element-wise binary ops (Add, Mul, ...): residual joins, gates
  concat,     ///< Concat: inception joins
  batchnorm,  ///< a BatchNormalization no conv absorbs
  activation, ///< a standalone activation other than Relu (Sigmoid, Tanh, ...)
  other
};

/// What the model stage knows of one unit type. One entry per UnitType (unit_types()), as
/// ncnn keeps one file per layer: adding a type means adding an entry here (and a sweep
/// generator in profile/sweep.cpp), not a branch in every stage.
struct UnitTypeTraits {
  UnitType type = UnitType::other;
  /// Lowercase name ("conv", "relu", ...), as used in profile and fit artifacts.
  std::string_view name;
  /// ONNX op types whose node starts a unit of this type (after a Flatten/Reshape that feeds
  /// a Gemm or MatMul); empty for other, which is every op not listed anywhere.
  std::vector<std::string_view> ops;
  /// The Edgent regression features of the type: conv {in_size, filter_term}; relu, lrn,
  /// dropout, softmax, batchnorm, activation {in_size}; pool, fc {in_size, out_size};
  /// eltwise, concat {out_size}. Empty for other, which the FLOPs fallback covers.
  std::vector<std::string> regression_features;
  /// Whether the unit reads a flat vector (fc, softmax): sized by element count, not C x H x W.
  bool flat_input = false;
  /// Whether fits may keep one model per kernel shape (conv: OpenCV has kernels specialised
  /// by shape, such as Winograd for 3x3 stride 1).
  bool per_kernel_shape = false;
};

/// Every unit type, in UnitType order (other last).
const std::vector<UnitTypeTraits>& unit_types();

/// The traits of @p type.
const UnitTypeTraits& unit_type_traits(UnitType type);

/// Lowercase name ("conv", "relu", ...), as used in profile and fit artifacts.
std::string_view unit_type_name(UnitType type);

/// The type named @p name ("other" included); nullopt for names of no unit type ("load",
/// "conv@3x3/1").
std::optional<UnitType> unit_type_from_name(std::string_view name);

/// The type of a unit started by a node of op type @p op; other for ops no type lists.
UnitType unit_type_of_op(std::string_view op);

} // namespace edgent::model
