#pragma once

#include <cstdint>
#include <string>
#include <vector>

// The branchy AlexNet family as a plain table (no torch here: the exporter, the card writer
// and the tests read it without pulling in libtorch).

namespace edgent::train {

/// Layer kinds of the family; each is one ONNX node and one card unit.
enum class LayerType { conv, relu, lrn, max_pool, dropout, flatten, fc };

/// The card's type name: conv, relu, lrn, pool, dropout, flatten, fc.
const char* type_name(LayerType type);

/// One layer of the table.
struct LayerSpec {
  LayerType type = LayerType::relu;
  std::string name;  ///< unique, e.g. "conv1", "b1_fc"
  int out = 0;       ///< conv: output channels; fc: output features (0 = number of classes)
  int kernel = 0;    ///< conv, max_pool: square kernel side
  int stride = 1;    ///< conv, max_pool
  int pad = 0;       ///< conv, max_pool: on every side
  int lrn_size = 5;  ///< lrn: channels in the window (alpha 1e-4, beta 0.75, bias 1)
  float dropout = 0.5f;  ///< dropout: drop probability while training
};

/// A trunk with short side branches. Exit k < exits() is branch k-1 fed by the output of the
/// first branch_after[k-1] trunk layers; the last exit is the end of the trunk.
struct BranchyArch {
  std::string name;                            ///< e.g. "branchy-alexnet"
  std::vector<LayerSpec> trunk;                ///< main path, ends with the final classifier
  std::vector<std::size_t> branch_after;       ///< per side exit: trunk layers before it
  std::vector<std::vector<LayerSpec>> branches;  ///< per side exit: its layers, ending in fc
  int classes = 10;

  /// Number of exits (side branches + 1).
  int exits() const { return static_cast<int>(branches.size()) + 1; }
};

/// C x H x W of an activation (H = W = 1 after flatten/fc; then C is the feature count).
struct Shape {
  std::int64_t c = 0;
  std::int64_t h = 0;
  std::int64_t w = 0;
  std::int64_t size() const { return c * h * w; }
  bool operator==(const Shape&) const = default;
};

/// Parses "CxHxW" (e.g. "3x224x224"); throws UsageError for anything else or sizes out of
/// 1..16 channels, 8..1024 pixels.
Shape parse_shape(const std::string& text);

/// The 5-exit branchy AlexNet for @p input: a small-image trunk (5x5 convs, 2x2 pools,
/// 512-wide FCs; about 60 MFLOP at 1x28x28) for sides below 64 pixels, the original
/// AlexNet trunk (11x11/4 stem, 3x3/2 pools, 4096-wide FCs) from 64 pixels up.
BranchyArch branchy_alexnet(const Shape& input, int classes = 10);

/// One layer placed in the graph, with its cost. FLOPs count a multiply-add as 2 (conv:
/// 2*Cin/g*k*k*Cout*Hout*Wout, fc: 2*in*out, biases not counted); relu 1 per output value;
/// max_pool k*k per output value; lrn 2*size+3 per value; dropout and flatten 0.
struct PlacedLayer {
  const LayerSpec* spec = nullptr;
  int branch = 0;              ///< 0 = trunk, k = side branch of exit k
  std::string input;           ///< ONNX tensor it reads ("input" for the first)
  std::string output;          ///< ONNX tensor it writes (exit<k> for a classifier output)
  Shape in;                    ///< input shape
  Shape out;                   ///< output shape
  std::int64_t flops = 0;      ///< see above
  std::int64_t params = 0;     ///< weights + biases
  std::vector<int> exits;      ///< exits whose path runs this layer (ascending)
  bool flat = false;           ///< the output is a 2-D [N, features] tensor (after flatten)
};

/// The graph of @p arch at @p input in ONNX node order: the trunk, each branch right after
/// the trunk layer it hangs on. Throws ConfigError when a layer's output would be empty.
std::vector<PlacedLayer> place(const BranchyArch& arch, const Shape& input);

/// FLOPs of the path to exit @p exit (1-based), as in PlacedLayer.
std::int64_t exit_flops(const std::vector<PlacedLayer>& graph, int exit);
/// Parameters on the path to exit @p exit (1-based).
std::int64_t exit_params(const std::vector<PlacedLayer>& graph, int exit);

} // namespace edgent::train
