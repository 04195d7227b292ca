#pragma once

#include "model/features.hpp"
#include "model/onnx_graph.hpp"
#include "model/unit_type.hpp"

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace edgent::model {

/// An execution unit: the ONNX nodes OpenCV runs fused (Conv/Gemm [+BatchNorm] [+Relu],
/// Flatten/Reshape + Gemm), or one node otherwise.
struct Unit {
  int index = 0;                ///< 1-based position in the exit's chain
  std::string name;             ///< the unit's output tensor name (stable across exits)
  UnitType type = UnitType::other;
  std::vector<int> nodes;       ///< indices into OnnxGraph::nodes(), in execution order
  std::vector<std::string> ops; ///< op types of those nodes ("Conv", "Relu")
  std::string output;           ///< tensor the unit produces
  /// Edgent regression features: conv in_size, filter_term (and its kernel_area and
  /// stride_area, the products of its kernel and stride dims); relu/lrn/dropout in_size;
  /// pool/fc (and other, softmax) in_size, out_size. Sizes are element counts.
  Features features;
  double flops = 0;             ///< floating-point operations (a multiply-add counts 2)
  std::int64_t params = 0;      ///< weight elements the unit reads
  std::int64_t output_bytes = 0;///< bytes of the output tensor
};

/// The chain of units from the graph input to one exit, and where it may be cut.
struct ExitChain {
  int exit = 0;                 ///< 1-based exit number (graph output order)
  std::string output;           ///< the exit's graph output tensor
  std::vector<Unit> units;      ///< units 1..n (units[i].index == i + 1)
  /// cut_tensor[c] is the one tensor crossing cut c (0..n), or "" when cut c is not a cut
  /// point (several tensors cross it: inside a residual or inception block).
  std::vector<std::string> cut_tensor;

  /// Number of units n.
  int size() const { return static_cast<int>(units.size()); }
  /// Whether @p cut (0..n) is a cut point.
  bool is_cut_point(int cut) const;
  /// The valid cuts in increasing order (always includes 0 and n).
  std::vector<int> cut_points() const;
  /// Sum of the FLOPs of units (from, to].
  double flops(int from, int to) const;
};

/// The analysis of a whole model: one chain per exit.
struct Partition {
  std::vector<ExitChain> exits;  ///< exits[e - 1] is exit e
  /// Chain of exit @p exit (1-based); throws ConfigError when out of range.
  const ExitChain& exit(int exit) const;
};

/// Groups the nodes of each exit's ancestor sub-graph into units and finds the cut points:
/// a cut after unit k is valid when exactly one input-dependent tensor crosses it, which for
/// a topological order is the same as the tensor dominating the exit (every input-to-exit path
/// passes through it). Throws ModelError when a shape on the path is unknown.
Partition analyse(const OnnxGraph& graph);

/// Throws ConfigError (key "cut") unless 0 <= from < to <= n and both are cut points.
void check_segment(const ExitChain& chain, int from, int to);

/// The sub-graph of exit @p exit's units (from, to] as a standalone ONNX model: its input is
/// the tensor at cut @p from with the inferred shape written in, its output the tensor at cut
/// @p to, with only the initializers it uses. Throws ConfigError when 0 <= from < to <= n does
/// not hold or either cut is not a cut point.
onnx::ModelProto extract_segment(const OnnxGraph& graph, const ExitChain& chain, int from,
                                 int to);

} // namespace edgent::model
