#include "model/onnx_graph.hpp"

#include "core/error.hpp"
#include "core/file_io.hpp"

#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include <fmt/format.h>

#include <limits>

namespace edgent::model {

namespace {

/// Attributes libonnx's shape inference divides by (or sizes windows with) without checking
/// them (onnx 1.12 convPoolShapeInference: a zero stride is a SIGFPE).
bool must_be_positive(const std::string& attribute) {
  return attribute == "strides" || attribute == "dilations" || attribute == "kernel_shape" ||
         attribute == "blocksize" || attribute == "group";
}

bool has_attribute(const onnx::NodeProto& node, const std::string& name) {
  for (const auto& a : node.attribute()) {
    if (a.name() == name) {
      return true;
    }
  }
  return false;
}

/// Throws ModelError for a node shape inference cannot take, in @p graph and the subgraphs of
/// its nodes (If/Loop/Scan bodies, which are inferred too). libonnx 1.12 crashes on:
/// - a zero stride (SIGFPE in convPoolShapeInference);
/// - a Conv without kernel_shape whose weight rank differs from the input's (it reads the
///   kernel from the weight's shape and indexes the input's dims with it unchecked): a Conv
///   without kernel_shape gets it written from its weight initializer, here in the top-level
///   graph, and is refused elsewhere;
/// - MaxUnpool, whose inference reads the second input's dim 1 unchecked.
void check_inferable(onnx::GraphProto& graph, const std::string& file,
                     const std::unordered_map<std::string, const onnx::TensorProto*>* initializers,
                     int depth = 0) {
  if (depth > 32) {
    throw ModelError("subgraphs nested more than 32 deep", file, "graph");
  }
  for (int i = 0; i < graph.node_size(); ++i) {
    onnx::NodeProto& node = *graph.mutable_node(i);
    const auto where = [&] { return fmt::format("graph.node[{}] ({})", i, node.name()); };
    const bool default_domain = node.domain().empty() || node.domain() == "ai.onnx";
    if (default_domain && node.op_type() == "MaxUnpool") {
      throw ModelError("MaxUnpool is not supported", file, where());
    }
    if (default_domain &&
        (node.op_type() == "Conv" || node.op_type() == "ConvInteger" ||
         node.op_type() == "QLinearConv") &&
        !has_attribute(node, "kernel_shape")) {
      const int w = node.op_type() == "QLinearConv" ? 3 : 1;
      const auto it = initializers == nullptr || node.input_size() <= w
                          ? decltype(initializers->end()){}
                          : initializers->find(node.input(w));
      if (initializers == nullptr || node.input_size() <= w || it == initializers->end() ||
          it->second->dims_size() < 3) {
        throw ModelError(fmt::format("{} without a kernel_shape attribute needs a weight "
                                     "initializer of rank 3 or more",
                                     node.op_type()),
                         file, where());
      }
      auto* k = node.add_attribute();
      k->set_name("kernel_shape");
      k->set_type(onnx::AttributeProto::INTS);
      for (int d = 2; d < it->second->dims_size(); ++d) {
        k->add_ints(it->second->dims(d));
      }
    }
    for (auto& a : *node.mutable_attribute()) {
      if (must_be_positive(a.name())) {
        bool bad = a.has_i() && a.i() <= 0;
        for (const auto v : a.ints()) {
          bad = bad || v <= 0;
        }
        if (bad) {
          throw ModelError(fmt::format("attribute {} of {} must be positive", a.name(),
                                       node.op_type()),
                           file, where());
        }
      }
      if (a.has_g()) {
        check_inferable(*a.mutable_g(), file, nullptr, depth + 1);
      }
      for (auto& g : *a.mutable_graphs()) {
        check_inferable(g, file, nullptr, depth + 1);
      }
    }
  }
}

} // namespace

std::int64_t element_count(const std::vector<std::int64_t>& dims) {
  std::int64_t n = 1;
  for (const std::int64_t d : dims) {
    if (d < 0) {
      throw ModelError(fmt::format("negative dimension {}", d));
    }
    if (d != 0 && n > std::numeric_limits<std::int64_t>::max() / d) {
      throw ModelError("tensor element count overflows");
    }
    n *= d;
  }
  return n;
}

std::shared_ptr<const OnnxGraph> OnnxGraph::from_file(const std::string& path) {
  return from_bytes(read_file(path), display_name(path));
}

std::shared_ptr<const OnnxGraph> OnnxGraph::from_bytes(const std::string& bytes,
                                                       const std::string& file) {
  std::shared_ptr<OnnxGraph> g(new OnnxGraph());
  g->m_file = file;
  g->m_sha256 = sha256_hex(bytes);
  g->m_model_bytes = bytes.size();
  if (!g->m_model.ParseFromString(bytes)) {
    throw ModelError("not an ONNX model (protobuf parse failed)", file);
  }
  if (!g->m_model.has_graph()) {
    throw ModelError("model has no graph", file, "graph");
  }
  for (const auto& op : g->m_model.opset_import()) {
    if (op.domain().empty() || op.domain() == "ai.onnx") {
      g->m_opset = op.version();
    }
  }
  if (g->m_opset < kMinOpset || g->m_opset > kMaxOpset) {
    throw ModelError(fmt::format("opset {} is not supported (supported: {}..{})", g->m_opset,
                                 kMinOpset, kMaxOpset),
                     file, "opset_import");
  }
  try {
    g->index();
  } catch (Error& e) {
    e.set_file_if_empty(file);
    throw;
  }
  return g;
}

void OnnxGraph::index() {
  onnx::GraphProto* graph = m_model.mutable_graph();
  for (const auto& t : graph->initializer()) {
    m_initializers.emplace(t.name(), &t);
  }
  // The image input: the one graph input that is not an initializer.
  onnx::ValueInfoProto* input = nullptr;
  for (auto& in : *graph->mutable_input()) {
    if (m_initializers.count(in.name()) != 0) {
      continue;
    }
    if (input != nullptr) {
      throw ModelError(fmt::format("more than one graph input ('{}', '{}'); one is supported",
                                   input->name(), in.name()),
                       m_file, "graph.input");
    }
    input = &in;
  }
  if (input == nullptr) {
    throw ModelError("model has no graph input", m_file, "graph.input");
  }
  if (!input->type().has_tensor_type() || !input->type().tensor_type().has_shape()) {
    throw ModelError("graph input has no tensor shape", m_file, "graph.input." + input->name());
  }
  // Batch 1: symbolic or unknown dims become 1 so that every shape is inferred.
  for (auto& d : *input->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim()) {
    if (!d.has_dim_value() || d.dim_value() <= 0) {
      d.set_dim_value(1);
    }
  }
  m_input = input->name();
  if (graph->output_size() == 0) {
    throw ModelError("model has no graph output", m_file, "graph.output");
  }
  for (const auto& out : graph->output()) {
    m_outputs.push_back(out.name());
  }

  check_inferable(*graph, m_file, &m_initializers);
  try {
    // Data propagation infers Reshape targets computed from Shape (PyTorch-style flatten).
    const onnx::ShapeInferenceOptions options(/*check_type_val=*/false, /*strict_mode_val=*/0,
                                              /*data_prop_val=*/true);
    onnx::shape_inference::InferShapes(m_model, onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception& e) {
    throw ModelError(std::string("shape inference failed: ") + e.what(), m_file);
  }

  auto record = [this](const onnx::ValueInfoProto& v) {
    if (!v.type().has_tensor_type()) {
      return;
    }
    const auto& tt = v.type().tensor_type();
    m_types[v.name()] = tt.elem_type();
    if (!tt.has_shape()) {
      return;
    }
    std::vector<std::int64_t> dims;
    for (const auto& d : tt.shape().dim()) {
      if (!d.has_dim_value() || d.dim_value() < 0) {
        return;
      }
      dims.push_back(d.dim_value());
    }
    m_shapes[v.name()] = std::move(dims);
  };
  for (const auto& v : graph->input()) {
    record(v);
  }
  for (const auto& v : graph->value_info()) {
    record(v);
  }
  for (const auto& v : graph->output()) {
    record(v);
  }
  for (const auto& t : graph->initializer()) {
    m_shapes[t.name()] = std::vector<std::int64_t>(t.dims().begin(), t.dims().end());
    m_types[t.name()] = t.data_type();
  }

  // Topological order, stable with respect to the file's order.
  const int n = graph->node_size();
  std::unordered_map<std::string, bool> available;
  available[""] = true;  // omitted optional inputs
  available[m_input] = true;
  for (const auto& [name, t] : m_initializers) {
    available[name] = true;
  }
  std::vector<bool> placed(static_cast<std::size_t>(n), false);
  int done = 0;
  while (done < n) {
    bool progress = false;
    for (int i = 0; i < n; ++i) {
      if (placed[static_cast<std::size_t>(i)]) {
        continue;
      }
      const auto& node = graph->node(i);
      bool ready = true;
      for (const auto& in : node.input()) {
        if (available.count(in) == 0) {
          ready = false;
          break;
        }
      }
      if (!ready) {
        continue;
      }
      placed[static_cast<std::size_t>(i)] = true;
      ++done;
      progress = true;
      const int index = static_cast<int>(m_nodes.size());
      m_nodes.push_back(&node);
      bool dependent = false;
      for (const auto& in : node.input()) {
        if (in.empty()) {
          continue;
        }
        m_consumers[in].push_back(index);
        dependent = dependent || depends_on_input(in);
      }
      // A shape is static (batch 1, all dims inferred): Shape/Size outputs are constants, so
      // a PyTorch-style flatten (Shape, Gather, Concat, Reshape) does not block cuts.
      if (node.op_type() == "Shape" || node.op_type() == "Size") {
        dependent = false;
      }
      m_node_input_dependent.push_back(dependent);
      for (const auto& out : node.output()) {
        if (out.empty()) {
          continue;
        }
        if (m_producer.count(out) != 0 || out == m_input || m_initializers.count(out) != 0) {
          throw ModelError(fmt::format("tensor '{}' is produced twice", out), m_file,
                           "graph.node." + node.name());
        }
        m_producer[out] = index;
        m_input_dependent[out] = dependent;
        available[out] = true;
      }
    }
    if (!progress) {
      for (int i = 0; i < n; ++i) {
        if (!placed[static_cast<std::size_t>(i)]) {
          const auto& node = graph->node(i);
          for (const auto& in : node.input()) {
            if (available.count(in) == 0) {
              throw ModelError(
                  fmt::format("input '{}' is not produced by any node (or the graph has a cycle)",
                              in),
                  m_file, fmt::format("graph.node[{}] ({})", i, node.name()));
            }
          }
        }
      }
    }
  }
  for (const auto& out : m_outputs) {
    if (out != m_input && m_producer.count(out) == 0) {
      throw ModelError(fmt::format("graph output '{}' is not produced by any node", out), m_file,
                       "graph.output");
    }
  }
}

int OnnxGraph::producer(const std::string& tensor) const {
  const auto it = m_producer.find(tensor);
  return it == m_producer.end() ? -1 : it->second;
}

const std::vector<int>& OnnxGraph::consumers(const std::string& tensor) const {
  static const std::vector<int> none;
  const auto it = m_consumers.find(tensor);
  return it == m_consumers.end() ? none : it->second;
}

bool OnnxGraph::is_initializer(const std::string& tensor) const {
  return m_initializers.count(tensor) != 0;
}

const onnx::TensorProto* OnnxGraph::initializer(const std::string& tensor) const {
  const auto it = m_initializers.find(tensor);
  return it == m_initializers.end() ? nullptr : it->second;
}

bool OnnxGraph::depends_on_input(const std::string& tensor) const {
  if (tensor == m_input) {
    return true;
  }
  const auto it = m_input_dependent.find(tensor);
  return it != m_input_dependent.end() && it->second;
}

bool OnnxGraph::node_depends_on_input(int index) const {
  return index >= 0 && static_cast<std::size_t>(index) < m_node_input_dependent.size() &&
         m_node_input_dependent[static_cast<std::size_t>(index)];
}

bool OnnxGraph::is_graph_output(const std::string& tensor) const {
  for (const auto& out : m_outputs) {
    if (out == tensor) {
      return true;
    }
  }
  return false;
}

const std::vector<std::int64_t>* OnnxGraph::shape(const std::string& tensor) const {
  const auto it = m_shapes.find(tensor);
  return it == m_shapes.end() ? nullptr : &it->second;
}

int OnnxGraph::elem_type(const std::string& tensor) const {
  const auto it = m_types.find(tensor);
  return it == m_types.end() ? 0 : it->second;
}

const std::vector<std::int64_t>& OnnxGraph::require_shape(const std::string& tensor) const {
  const auto* s = shape(tensor);
  if (s == nullptr) {
    throw ModelError(fmt::format("shape of tensor '{}' could not be inferred", tensor), m_file);
  }
  return *s;
}

} // namespace edgent::model
