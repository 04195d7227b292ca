#pragma once

// Torch-only header: include it from lib/train/*.cpp and tests/train/ only.

#include "train/branchy_arch.hpp"

#include <onnx/onnx_pb.h>
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

namespace edgent::train {

/// A BranchyNet built from a BranchyArch table: conv and fc layers are torch modules named
/// after their table entries; the parameter-free layers are applied from the table.
class BranchyNetImpl : public torch::nn::Module {
public:
  BranchyNetImpl(BranchyArch arch, Shape input);

  /// Logits of every exit, [N, classes] each, exit 1 first.
  std::vector<torch::Tensor> forward(torch::Tensor x);
  /// Logits of exit @p exit (1-based) only, running just the layers on its path.
  torch::Tensor forward_exit(torch::Tensor x, int exit);

  const BranchyArch& arch() const { return m_arch; }
  const Shape& input_shape() const { return m_input; }
  /// The placed graph (ONNX node order) with shapes and costs.
  const std::vector<PlacedLayer>& graph() const { return m_graph; }

  /// The conv module of table entry @p name (throws std::out_of_range).
  torch::nn::Conv2d& conv(const std::string& name) { return m_convs.at(name); }
  /// The fc module of table entry @p name (throws std::out_of_range).
  torch::nn::Linear& fc(const std::string& name) { return m_fcs.at(name); }

private:
  torch::Tensor apply(const LayerSpec& spec, torch::Tensor x);

  BranchyArch m_arch;
  Shape m_input;
  std::vector<PlacedLayer> m_graph;  // points into m_arch: never copy an Impl
  std::map<std::string, torch::nn::Conv2d> m_convs;
  std::map<std::string, torch::nn::Linear> m_fcs;
};
TORCH_MODULE(BranchyNet);

/// Emits @p net (eval-mode semantics) as ONNX opset 11 through OnnxBuilder: input `input`
/// [1,C,H,W] float NCHW, outputs `exit1`..`exit<n>` [1, classes]; runs onnx::checker.
/// With @p only_exit k > 0 the model holds just the nodes on exit k's path and the one
/// output `exit<k>` (OpenCV 4.6 runs every node of a graph whatever output is asked for).
onnx::ModelProto export_onnx(BranchyNetImpl& net, int only_exit = 0);

/// Copies the weights of an exported model back into @p net (same architecture); throws
/// ModelError naming @p file when an initializer is missing or has the wrong shape.
void load_onnx_weights(BranchyNetImpl& net, const onnx::ModelProto& model,
                       const std::string& file);

} // namespace edgent::train
