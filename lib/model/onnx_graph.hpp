#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace edgent::model {

/// Oldest and newest default-domain opset the analysis accepts.
inline constexpr std::int64_t kMinOpset = 7;
inline constexpr std::int64_t kMaxOpset = 18;

/// An ONNX model read through libonnx, shape-inferred and indexed: which node produces and
/// which nodes consume each tensor, the shape of every tensor, and the initializers. The model
/// must have exactly one graph input that is not an initializer (the image); symbolic or
/// unknown input dimensions are fixed to 1 (batch 1) before inference.
class OnnxGraph {
public:
  /// Parses ONNX protobuf bytes; @p file names the model in messages. Throws ModelError for
  /// bytes that are not a model, an opset outside 7..18, several inputs, a cycle, a dangling
  /// tensor, or a tensor on an exit path whose shape cannot be inferred.
  static std::shared_ptr<const OnnxGraph> from_bytes(const std::string& bytes,
                                                     const std::string& file);
  /// Reads and parses an ONNX file. Throws IoError or ModelError.
  static std::shared_ptr<const OnnxGraph> from_file(const std::string& path);

  /// The shape-inferred model (batch fixed to 1).
  const onnx::ModelProto& model() const { return m_model; }
  /// Name used in messages (the file).
  const std::string& file() const { return m_file; }
  /// Default-domain opset.
  std::int64_t opset() const { return m_opset; }
  /// SHA-256 (hex) of the bytes the model was read from.
  const std::string& sha256() const { return m_sha256; }
  /// Size in bytes of the serialized model the graph was read from.
  std::size_t model_bytes() const { return m_model_bytes; }

  /// Name of the (single) graph input.
  const std::string& input_name() const { return m_input; }
  /// Graph output names in graph order: output i is exit i + 1.
  const std::vector<std::string>& outputs() const { return m_outputs; }

  /// Nodes in a topological order (ONNX order where it is already topological).
  const std::vector<const onnx::NodeProto*>& nodes() const { return m_nodes; }
  /// Index into nodes() of the node producing @p tensor, or -1 for the graph input,
  /// an initializer or an unknown name.
  int producer(const std::string& tensor) const;
  /// Indices into nodes() of the nodes consuming @p tensor (empty when none).
  const std::vector<int>& consumers(const std::string& tensor) const;
  /// Whether @p tensor is an initializer (a weight).
  bool is_initializer(const std::string& tensor) const;
  /// The initializer @p tensor, or nullptr.
  const onnx::TensorProto* initializer(const std::string& tensor) const;
  /// Whether @p tensor depends on the graph input (false for weights and constant subgraphs).
  bool depends_on_input(const std::string& tensor) const;
  /// Whether node @p index depends on the graph input through any of its inputs.
  bool node_depends_on_input(int index) const;
  /// Whether @p tensor is a graph output.
  bool is_graph_output(const std::string& tensor) const;

  /// Inferred dims of @p tensor (all known), or nothing when unknown.
  const std::vector<std::int64_t>* shape(const std::string& tensor) const;
  /// Inferred ONNX element type of @p tensor (TensorProto::DataType), 0 when unknown.
  int elem_type(const std::string& tensor) const;
  /// The dims of @p tensor; throws ModelError naming the tensor when unknown.
  const std::vector<std::int64_t>& require_shape(const std::string& tensor) const;

private:
  OnnxGraph() = default;
  void index();

  onnx::ModelProto m_model;
  std::string m_file;
  std::string m_sha256;
  std::size_t m_model_bytes = 0;
  std::int64_t m_opset = 0;
  std::string m_input;
  std::vector<std::string> m_outputs;
  std::vector<const onnx::NodeProto*> m_nodes;
  std::unordered_map<std::string, int> m_producer;
  std::unordered_map<std::string, std::vector<int>> m_consumers;
  std::unordered_map<std::string, const onnx::TensorProto*> m_initializers;
  std::unordered_map<std::string, std::vector<std::int64_t>> m_shapes;
  std::unordered_map<std::string, int> m_types;
  std::unordered_map<std::string, bool> m_input_dependent;
  std::vector<bool> m_node_input_dependent;
};

/// Number of elements of @p dims (1 for a scalar); throws ModelError on overflow or a
/// negative dim.
std::int64_t element_count(const std::vector<std::int64_t>& dims);

} // namespace edgent::model
