#include "profile/anchors.hpp"

#include <algorithm>
#include <tuple>

namespace edgent::profile {

namespace {

std::vector<std::int64_t> ints_attr(const onnx::NodeProto& node, const std::string& name) {
  for (const auto& a : node.attribute()) {
    if (a.name() == name) {
      return {a.ints().begin(), a.ints().end()};
    }
  }
  return {};
}

/// The first node of @p unit whose op is one of @p ops, or nullptr.
const onnx::NodeProto* find_node(const model::OnnxGraph& graph, const model::Unit& unit,
                                 std::initializer_list<const char*> ops) {
  for (const int index : unit.nodes) {
    const onnx::NodeProto* node = graph.nodes()[static_cast<std::size_t>(index)];
    for (const char* op : ops) {
      if (node->op_type() == op) {
        return node;
      }
    }
  }
  return nullptr;
}

} // namespace

std::vector<SweepConfig> unit_configs(const model::OnnxGraph& graph, const model::Partition& partition) {
  std::vector<SweepConfig> out;
  const auto key = [](const SweepConfig& c) {
    return std::tie(c.type, c.c, c.h, c.w, c.filters, c.kernel, c.stride);
  };
  for (const model::ExitChain& chain : partition.exits) {
    for (const model::Unit& unit : chain.units) {
      const std::string type(model::unit_type_name(unit.type));
      const onnx::NodeProto* node = nullptr;
      if (type == "conv") {
        node = find_node(graph, unit, {"Conv"});
      } else if (type == "pool") {
        node = find_node(graph, unit, {"MaxPool"});
      } else if (type == "fc") {
        node = find_node(graph, unit, {"Gemm", "MatMul"});
      } else if (type == "relu") {
        node = find_node(graph, unit, {"Relu"});
      } else if (type == "lrn") {
        node = find_node(graph, unit, {"LRN"});
      } else if (type == "dropout") {
        node = find_node(graph, unit, {"Dropout"});
      } else if (type == "softmax") {
        node = find_node(graph, unit, {"Softmax"});
      }
      if (node == nullptr || node->input_size() == 0) {
        continue;
      }
      const auto* in_shape = graph.shape(node->input(0));
      if (in_shape == nullptr) {
        continue;
      }
      SweepConfig c;
      c.type = type;
      if (type == "fc" || type == "softmax") {
        c.c = std::max<std::int64_t>(1, model::element_count(*in_shape));
        const auto* out_shape = graph.shape(node->output(0));
        if (type == "fc" && out_shape != nullptr) {
          c.filters = model::element_count(*out_shape);
        }
      } else {
        if (in_shape->size() != 4) {
          continue;
        }
        c.c = (*in_shape)[1];
        c.h = (*in_shape)[2];
        c.w = (*in_shape)[3];
        const auto kernel = ints_attr(*node, "kernel_shape");
        const auto strides = ints_attr(*node, "strides");
        if (type == "conv" || type == "pool") {
          if (kernel.size() != 2 || kernel[0] != kernel[1] ||
              (!strides.empty() && strides[0] != strides[1])) {
            continue;
          }
          c.kernel = kernel[0];
          c.stride = strides.empty() ? 1 : strides[0];
        }
        if (type == "conv") {
          const auto* w = graph.shape(node->input(1));
          if (w == nullptr || w->empty() || (*w)[1] != c.c) {
            continue;  // grouped convolution
          }
          c.filters = (*w)[0];
        }
        if (type == "lrn") {
          c.kernel = 5;
        }
      }
      const bool seen = std::any_of(out.begin(), out.end(), [&](const SweepConfig& o) { return key(o) == key(c); });
      if (!seen) {
        out.push_back(c);
      }
    }
  }
  return out;
}

} // namespace edgent::profile
