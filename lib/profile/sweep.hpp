#pragma once

#include "model/features.hpp"
#include "model/unit_type.hpp"
#include "profile/timing.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace onnx {
class NodeProto;
}

namespace edgent::model {
class OnnxBuilder;
class OnnxGraph;
}

namespace edgent::profile {

/// One synthetic single-layer measurement.
struct SweepPoint {
  std::string type;             ///< conv, relu, pool, lrn, dropout, fc, softmax
  std::string shape;            ///< human-readable configuration, e.g. "64x28x28 k3 s1 f128"
  model::Features features;   ///< Edgent features plus "flops"
  TimingStats timing;
};

struct SweepOptions {
  int points_per_type = 16;     ///< configurations per layer type (conv gets twice as many)
  int warmup = 2;
  int reps = 9;                 ///< timed runs per configuration (tripled under a CPU quota unless set)
  bool reps_set = false;        ///< reps was chosen by the user
  double max_flops = 4e8;       ///< skip configurations heavier than this
  bool max_flops_set = false;   ///< max_flops was chosen by the user (else the profiler adapts it)
  /// Skip configurations whose weights, input and output take more bytes than this (fp32).
  /// The sweep is timed in rotations with the model: one net far larger than the model's
  /// own would flush the cache for every net of its rotation.
  double max_bytes = 1e9;
  std::uint64_t seed = 1;
  /// Synthetic fused blocks (residual, inception) timed whole beside the model's units, for
  /// the fit's block correction; 0 = none.
  int block_points = 16;
  std::vector<std::string> types{"conv",  "relu",    "pool",   "lrn",       "dropout",
                                 "fc",    "softmax", "eltwise", "concat", "batchnorm",
                                 "activation"};
};

/// The configurations the sweep measures: log-uniform random sizes (fixed seed) covering
/// 28x28 grey images up to 224x224 colour images, each a single-layer ONNX model.
/// A conv configuration is Conv followed by ReLU, as OpenCV fuses them in deployment.
struct SweepConfig {
  std::string type;
  std::int64_t c = 1, h = 1, w = 1;   ///< input channels and size (fc: c = in features)
  std::int64_t filters = 0;           ///< conv: output channels; fc: out features
  std::int64_t kernel = 1, stride = 1;  ///< pool: kernel 0 = global average pool;
                                       ///< eltwise: 1 = Add of two full tensors, 2 = Mul by a
                                       ///< per-channel tensor; concat: kernel = inputs joined
  std::int64_t group = 1;              ///< conv: groups (depthwise: group = c = filters)
  /// fc: the input arrives as [1, c, 1, 1] through a Flatten, which the unit holds, as a CNN's
  /// first fc after its convolutions (an exit head's) is; false: a flat [1, c] input.
  bool flatten = false;
};
std::vector<SweepConfig> sweep_configs(const SweepOptions& options);

/// How the sweep makes and varies synthetic one-layer models of one unit type: one entry per
/// type it can build (sweep_layers()), so a new type is one more entry, not one more branch.
struct SweepLayer {
  model::UnitType type = model::UnitType::other;
  int points_factor = 1;  ///< configurations per type are points_per_type times this
  /// Draws the type's own dimensions after the shared c, h and w; false rejects the draw.
  bool (*draw)(std::mt19937_64& rng, SweepConfig& config) = nullptr;
  /// Approximate FLOPs, to keep the sweep within max_flops.
  double (*flops)(const SweepConfig& config) = nullptr;
  /// Bytes of weights, input and output (fp32, same padding).
  double (*bytes)(const SweepConfig& config) = nullptr;
  /// Adds the layer from tensor "input" to "out"; returns the output shape and sets @p shape
  /// to a human-readable configuration.
  std::vector<std::int64_t> (*build)(model::OnnxBuilder& builder, const SweepConfig& config,
                                     std::mt19937_64& rng, std::string& shape) = nullptr;
  /// How around() scales `filters`: not at all, as channels (keeping their alignment) or as
  /// a plain count.
  enum class Filters { none, channels, count } filters = Filters::none;
  /// ONNX op types of the node that describes a model's unit of this type in unit_configs().
  std::vector<std::string_view> anchor_ops;
  /// Completes an anchor from that node once c, h, w are set (kernel, stride, filters,
  /// group); false when the sweep cannot express it (a non-square conv).
  bool (*anchor)(const model::OnnxGraph& graph, const onnx::NodeProto& node,
                 SweepConfig& config) = nullptr;
};

/// The sweep's layers: conv (dense, grouped, depthwise), relu, pool (max, global average),
/// lrn, dropout, fc, softmax, eltwise, concat, batchnorm, activation.
const std::vector<SweepLayer>& sweep_layers();

/// The sweep layer of @p type, or nullptr when the sweep cannot build one.
const SweepLayer* find_sweep_layer(model::UnitType type);

/// Bytes of a configuration's weights, input and output (fp32, same padding).
double config_bytes(const SweepConfig& config);

/// Configurations around given ones ("anchors", e.g. a model's own layers): @p per_anchor
/// variants of each with channels, size and filters scaled by random factors in [1/2, 2]
/// (fixed seed). The anchors themselves are never included, so a model's units stay held out.
std::vector<SweepConfig> around(const std::vector<SweepConfig>& anchors, int per_anchor,
                                std::uint64_t seed);

/// Builds the single-layer model of @p config; returns its ONNX bytes and fills its features.
std::string build_sweep_model(const SweepConfig& config, model::Features& features,
                              std::string& shape);

/// A synthetic chain (conv+relu, pool, lrn, conv+relu, pool, dropout, flatten, fc) on a
/// 16 x side x side input (side clamped to 8..64), as ONNX bytes, for measuring what splitting
/// a chain into one net per unit costs. The cost grows with the tensors handed between nets,
/// so the profiler sizes the chain like the model's input.
std::string build_split_chain(std::int64_t side);

nlohmann::json to_json(const SweepPoint& point);

} // namespace edgent::profile
