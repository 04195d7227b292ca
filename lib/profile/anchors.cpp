#include "profile/anchors.hpp"

#include <algorithm>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace edgent::profile {

namespace {

/// The first node of @p unit whose op is one of @p ops, or nullptr.
const onnx::NodeProto* find_node(const model::OnnxGraph& graph, const model::Unit& unit,
                                 const std::vector<std::string_view>& ops) {
  for (const int index : unit.nodes) {
    const onnx::NodeProto* node = graph.nodes()[static_cast<std::size_t>(index)];
    for (const std::string_view op : ops) {
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
    return std::tie(c.type, c.c, c.h, c.w, c.filters, c.kernel, c.stride, c.group, c.flatten);
  };
  for (const model::ExitChain& chain : partition.exits) {
    for (const model::Unit& unit : chain.units) {
      const SweepLayer* layer = find_sweep_layer(unit.type);
      if (layer == nullptr) {
        continue;
      }
      const onnx::NodeProto* node = find_node(graph, unit, layer->anchor_ops);
      if (node == nullptr || node->input_size() == 0) {
        continue;
      }
      const auto* in_shape = graph.shape(node->input(0));
      if (in_shape == nullptr) {
        continue;
      }
      SweepConfig c;
      c.type = std::string(model::unit_type_name(unit.type));
      if (model::unit_type_traits(unit.type).flat_input) {
        c.c = std::max<std::int64_t>(1, model::element_count(*in_shape));
        // An fc unit that flattens its input (partition absorbs the Flatten and says so in
        // its features) is swept so.
        const auto flatten = unit.features.find("flatten");
        c.flatten = flatten != unit.features.end() && flatten->second == 1.0;
      } else {
        if (in_shape->size() != 4) {
          continue;
        }
        c.c = (*in_shape)[1];
        c.h = (*in_shape)[2];
        c.w = (*in_shape)[3];
      }
      if (!layer->anchor(graph, *node, c)) {
        continue;
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
