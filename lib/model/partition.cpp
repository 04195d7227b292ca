#include "model/partition.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace edgent::model {

bool ExitChain::is_cut_point(int cut) const {
  return cut >= 0 && cut <= size() && !cut_tensor[static_cast<std::size_t>(cut)].empty();
}

std::vector<int> ExitChain::cut_points() const {
  std::vector<int> cuts;
  for (int c = 0; c <= size(); ++c) {
    if (is_cut_point(c)) {
      cuts.push_back(c);
    }
  }
  return cuts;
}

double ExitChain::flops(int from, int to) const {
  double sum = 0;
  for (int u = std::max(from, 0); u < std::min(to, size()); ++u) {
    sum += units[static_cast<std::size_t>(u)].flops;
  }
  return sum;
}

const ExitChain& Partition::exit(int exit) const {
  if (exit < 1 || exit > static_cast<int>(exits.size())) {
    throw ConfigError(fmt::format("exit {} is out of range 1..{}", exit, exits.size()), {},
                      "exit");
  }
  return exits[static_cast<std::size_t>(exit - 1)];
}

namespace {

const onnx::AttributeProto* find_attr(const onnx::NodeProto& node, std::string_view name) {
  for (const auto& a : node.attribute()) {
    if (a.name() == name) {
      return &a;
    }
  }
  return nullptr;
}

std::vector<std::int64_t> attr_ints(const onnx::NodeProto& node, std::string_view name,
                                    std::vector<std::int64_t> fallback) {
  const auto* a = find_attr(node, name);
  if (a == nullptr || a->ints_size() == 0) {
    return fallback;
  }
  return {a->ints().begin(), a->ints().end()};
}

std::int64_t attr_int(const onnx::NodeProto& node, std::string_view name, std::int64_t fallback) {
  const auto* a = find_attr(node, name);
  return a == nullptr ? fallback : a->i();
}

bool is_op(const onnx::NodeProto& node, std::initializer_list<std::string_view> ops) {
  return std::find(ops.begin(), ops.end(), node.op_type()) != ops.end();
}

bool is_activation(const onnx::NodeProto& node) {
  return is_op(node, {"Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "Elu"});
}

std::int64_t elem_bytes(int type) {
  switch (type) {
  case onnx::TensorProto::DOUBLE:
  case onnx::TensorProto::INT64:
  case onnx::TensorProto::UINT64:
    return 8;
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16:
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::UINT16:
    return 2;
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT8:
  case onnx::TensorProto::BOOL:
    return 1;
  default:
    return 4;
  }
}

/// The first input of @p node that depends on the graph input.
std::string data_input(const OnnxGraph& g, const onnx::NodeProto& node) {
  for (const auto& in : node.input()) {
    if (!in.empty() && g.depends_on_input(in)) {
      return in;
    }
  }
  return node.input_size() > 0 ? node.input(0) : std::string();
}

double elements_of(const OnnxGraph& g, const std::string& tensor) {
  return static_cast<double>(element_count(g.require_shape(tensor)));
}

double node_flops(const OnnxGraph& g, const onnx::NodeProto& node) {
  if (node.output_size() == 0 || node.output(0).empty()) {
    return 0;
  }
  const double out = elements_of(g, node.output(0));
  const std::string& op = node.op_type();
  if (op == "Conv" && node.input_size() >= 2) {
    const auto& w = g.require_shape(node.input(1));
    double per_output = 1;
    for (std::size_t i = 1; i < w.size(); ++i) {
      per_output *= static_cast<double>(w[i]);
    }
    return 2 * out * per_output + (node.input_size() > 2 ? out : 0);
  }
  if (op == "Gemm" && node.input_size() >= 2) {
    const auto& b = g.require_shape(node.input(1));
    const double k = b.size() == 2 ? static_cast<double>(attr_int(node, "transB", 0) != 0 ? b[1] : b[0]) : 1;
    return 2 * out * k + (node.input_size() > 2 ? out : 0);
  }
  if (op == "MatMul" && node.input_size() >= 2) {
    const auto& a = g.require_shape(node.input(0));
    return 2 * out * static_cast<double>(a.empty() ? 1 : a.back());
  }
  if (op == "MaxPool" || op == "AveragePool") {
    double window = 1;
    for (const std::int64_t k : attr_ints(node, "kernel_shape", {1})) {
      window *= static_cast<double>(k);
    }
    return out * window;
  }
  if (op == "GlobalAveragePool" || op == "GlobalMaxPool") {
    return elements_of(g, data_input(g, node));
  }
  if (op == "LRN") {
    return out * static_cast<double>(attr_int(node, "size", 1) + 3);
  }
  if (op == "BatchNormalization") {
    return 2 * out;
  }
  if (op == "Softmax" || op == "LogSoftmax") {
    return 3 * out;
  }
  if (is_op(node, {"Dropout", "Flatten", "Reshape", "Identity", "Squeeze", "Unsqueeze",
                   "Transpose", "Concat", "Constant", "Shape"})) {
    return 0;
  }
  return out;
}

struct Grouping {
  std::vector<std::vector<int>> units;  // node indices per unit
  std::vector<UnitType> types;
};

/// Groups the input-dependent ancestor nodes @p order (topological) of one exit into units.
Grouping group_units(const OnnxGraph& g, const std::vector<int>& order,
                     const std::unordered_set<int>& in_chain) {
  const auto& nodes = g.nodes();
  std::unordered_set<int> used;
  // The sole consumer of @p tensor when fusing into it is allowed, else -1.
  auto sole_consumer = [&](const std::string& tensor) -> int {
    const auto& cons = g.consumers(tensor);
    if (cons.size() != 1 || g.is_graph_output(tensor) || in_chain.count(cons[0]) == 0 ||
        used.count(cons[0]) != 0) {
      return -1;
    }
    // The consumer's other inputs must be weights or constants, so that moving it up
    // next to its producer keeps the order topological.
    const auto& c = *nodes[static_cast<std::size_t>(cons[0])];
    for (const auto& in : c.input()) {
      if (!in.empty() && in != tensor && g.depends_on_input(in)) {
        return -1;
      }
    }
    return cons[0];
  };
  Grouping out;
  for (std::size_t pos = 0; pos < order.size(); ++pos) {
    const int first = order[pos];
    if (used.count(first) != 0) {
      continue;
    }
    std::vector<int> unit{first};
    used.insert(first);
    const onnx::NodeProto* node = nodes[static_cast<std::size_t>(first)];
    auto absorb = [&](auto pred) -> bool {
      const onnx::NodeProto* last = nodes[static_cast<std::size_t>(unit.back())];
      if (last->output_size() == 0) {
        return false;
      }
      const int next = sole_consumer(last->output(0));
      if (next < 0 || !pred(*nodes[static_cast<std::size_t>(next)])) {
        return false;
      }
      unit.push_back(next);
      used.insert(next);
      return true;
    };
    if (is_op(*node, {"Flatten", "Reshape"})) {
      if (absorb([](const onnx::NodeProto& n) { return is_op(n, {"Gemm", "MatMul"}); })) {
        node = nodes[static_cast<std::size_t>(unit.back())];
      }
    }
    const std::string& op = node->op_type();
    const UnitType type = unit_type_of_op(op);
    if (type == UnitType::conv) {
      absorb([](const onnx::NodeProto& n) { return n.op_type() == "BatchNormalization"; });
      absorb(is_activation);
    } else if (type == UnitType::fc) {
      if (op == "MatMul") {
        absorb([&](const onnx::NodeProto& n) {
          return n.op_type() == "Add" && n.input_size() == 2 &&
                 (g.is_initializer(n.input(0)) || g.is_initializer(n.input(1)));
        });
      }
      absorb(is_activation);
    }
    out.units.push_back(std::move(unit));
    out.types.push_back(type);
  }
  return out;
}

ExitChain analyse_exit(const OnnxGraph& g, int exit, const std::string& output) {
  const auto& nodes = g.nodes();
  ExitChain chain;
  chain.exit = exit;
  chain.output = output;
  if (!g.depends_on_input(output) || output == g.input_name()) {
    throw ModelError(fmt::format("exit {} ('{}') does not depend on the input through any node",
                                 exit, output),
                     g.file(), "graph.output");
  }
  // Ancestors of the exit that depend on the input, in topological order.
  std::set<int> ancestors;
  std::vector<std::string> stack{output};
  std::unordered_set<std::string> seen{output};
  while (!stack.empty()) {
    const std::string t = stack.back();
    stack.pop_back();
    const int p = g.producer(t);
    if (p < 0 || !g.node_depends_on_input(p)) {
      continue;
    }
    ancestors.insert(p);
    for (const auto& in : nodes[static_cast<std::size_t>(p)]->input()) {
      if (!in.empty() && seen.insert(in).second) {
        stack.push_back(in);
      }
    }
  }
  const std::vector<int> order(ancestors.begin(), ancestors.end());
  const std::unordered_set<int> in_chain(order.begin(), order.end());
  Grouping grouping = group_units(g, order, in_chain);

  const int n = static_cast<int>(grouping.units.size());
  // Unit of each node, and for each tensor the unit producing it (0 = graph input) and the
  // last unit consuming it.
  std::unordered_map<int, int> unit_of;
  for (int u = 0; u < n; ++u) {
    for (const int node : grouping.units[static_cast<std::size_t>(u)]) {
      unit_of[node] = u + 1;
    }
  }
  std::unordered_map<std::string, int> produced_by{{g.input_name(), 0}};
  std::unordered_map<std::string, int> last_use;
  for (int u = 0; u < n; ++u) {
    for (const int node : grouping.units[static_cast<std::size_t>(u)]) {
      const auto& nd = *nodes[static_cast<std::size_t>(node)];
      for (const auto& in : nd.input()) {
        if (!in.empty() && g.depends_on_input(in)) {
          last_use[in] = std::max(last_use[in], u + 1);
        }
      }
      for (const auto& o : nd.output()) {
        if (!o.empty()) {
          produced_by[o] = u + 1;
        }
      }
    }
  }
  // Tensors used inside the unit that produced them do not cross any boundary.
  std::vector<int> crossing(static_cast<std::size_t>(n) + 1, 0);
  std::vector<std::string> crosser(static_cast<std::size_t>(n) + 1);
  for (const auto& [tensor, last] : last_use) {
    const auto it = produced_by.find(tensor);
    if (it == produced_by.end()) {
      continue;
    }
    for (int k = it->second; k < last; ++k) {
      ++crossing[static_cast<std::size_t>(k)];
      crosser[static_cast<std::size_t>(k)] = tensor;
    }
  }
  ++crossing[static_cast<std::size_t>(n)];
  crosser[static_cast<std::size_t>(n)] = output;
  chain.cut_tensor.resize(static_cast<std::size_t>(n) + 1);
  for (int k = 0; k <= n; ++k) {
    if (crossing[static_cast<std::size_t>(k)] == 1) {
      chain.cut_tensor[static_cast<std::size_t>(k)] = crosser[static_cast<std::size_t>(k)];
    }
  }

  for (int u = 0; u < n; ++u) {
    const auto& members = grouping.units[static_cast<std::size_t>(u)];
    Unit unit;
    unit.index = u + 1;
    unit.type = grouping.types[static_cast<std::size_t>(u)];
    unit.nodes = members;
    const auto& first = *nodes[static_cast<std::size_t>(members.front())];
    const auto& last = *nodes[static_cast<std::size_t>(members.back())];
    unit.output = last.output_size() > 0 ? last.output(0) : std::string();
    unit.name = unit.output;
    std::set<std::string> weights;
    const onnx::NodeProto* main = &first;
    for (const int m : members) {
      const auto& nd = *nodes[static_cast<std::size_t>(m)];
      unit.ops.push_back(nd.op_type());
      unit.flops += node_flops(g, nd);
      for (const auto& in : nd.input()) {
        if (g.is_initializer(in)) {
          weights.insert(in);
        }
      }
      if (is_op(nd, {"Conv", "ConvTranspose", "Gemm", "MatMul"})) {
        main = &nd;
      }
    }
    // Sizes from the file are bounded (2^62) before they are summed or scaled by the element
    // size, so that a crafted model cannot overflow them.
    constexpr std::int64_t kMaxSize = std::int64_t{1} << 62;
    for (const auto& w : weights) {
      const std::int64_t n = element_count(g.require_shape(w));
      if (n > kMaxSize - unit.params) {
        throw ModelError(fmt::format("unit '{}' has more than 2^62 weights", unit.name), g.file());
      }
      unit.params += n;
    }
    const std::vector<std::int64_t>& out_shape = g.require_shape(unit.output);
    const std::int64_t out_elements = element_count(out_shape);
    if (out_elements > kMaxSize / 8) {
      throw ModelError(fmt::format("tensor '{}' has more than 2^59 elements", unit.output),
                       g.file());
    }
    unit.output_bytes = out_elements * elem_bytes(g.elem_type(unit.output));
    const double in_size = elements_of(g, data_input(g, first));
    const double out_size = static_cast<double>(element_count(out_shape));
    switch (unit.type) {
    case UnitType::conv: {
      const auto& w = g.require_shape(main->input(1));
      double window = 1;
      for (std::size_t i = 2; i < w.size(); ++i) {
        window *= static_cast<double>(w[i]);
      }
      double stride = 1;
      for (const std::int64_t s : attr_ints(*main, "strides", {1})) {
        stride *= static_cast<double>(s);
      }
      const double filters = static_cast<double>(w.empty() ? 1 : w[0]);
      // kernel_area and stride_area (kernel and stride products) are not regression
      // features: the fit may keep a model per kernel shape (OpenCV has kernels specialised
      // by shape, such as Winograd for 3x3 stride 1). out_size is no Edgent feature; the fit
      // tries it (regress::fit_type): a unit timed as a net of its own writes its output,
      // which a stem conv from few channels spends more time on than its FLOPs suggest.
      unit.features = {{"in_size", in_size},
                       {"filter_term", window / stride * filters},
                       {"out_size", out_size},
                       {"kernel_area", window},
                       {"stride_area", stride}};
      // A grouped conv (depthwise: one input channel per group) reads a fraction of the
      // input per filter: it picks a per-shape model of its own, as kernel_area does.
      if (const std::int64_t group = attr_int(*main, "group", 1); group > 1) {
        unit.features["group"] = static_cast<double>(group);
        unit.features["group_channels"] = static_cast<double>(w.size() > 1 ? w[1] : 1);
      }
      break;
    }
    case UnitType::relu:
    case UnitType::lrn:
    case UnitType::dropout:
    case UnitType::batchnorm:
    case UnitType::activation:
      unit.features = {{"in_size", in_size}};
      break;
    default:
      unit.features = {{"in_size", in_size}, {"out_size", out_size}};
      if (unit.type == UnitType::fc) {
        // A Flatten (or Reshape) the unit absorbed is one more layer to run: a small fc pays
        // for it as much as for its product (regress::fit_type tries it as a feature).
        const bool flattens = std::any_of(unit.ops.begin(), unit.ops.end(), [](const std::string& op) {
          return op == "Flatten" || op == "Reshape";
        });
        unit.features["flatten"] = flattens ? 1.0 : 0.0;
      }
      break;
    }
    chain.units.push_back(std::move(unit));
  }
  return chain;
}

} // namespace

Partition analyse(const OnnxGraph& graph) {
  Partition p;
  try {
    for (std::size_t i = 0; i < graph.outputs().size(); ++i) {
      p.exits.push_back(analyse_exit(graph, static_cast<int>(i) + 1, graph.outputs()[i]));
    }
  } catch (Error& e) {
    e.set_file_if_empty(graph.file());
    throw;
  }
  return p;
}

void check_segment(const ExitChain& chain, int from, int to) {
  if (from < 0 || to > chain.size() || from >= to) {
    throw ConfigError(fmt::format("exit {}: segment ({}, {}] is not a range of units 1..{}",
                                  chain.exit, from, to, chain.size()),
                      {}, "cut");
  }
  for (const int cut : {from, to}) {
    if (!chain.is_cut_point(cut)) {
      throw ConfigError(fmt::format("exit {}: cut {} is not a cut point (it is inside a block "
                                    "that more than one tensor crosses)",
                                    chain.exit, cut),
                        {}, "cut");
    }
  }
}

onnx::ModelProto extract_segment(const OnnxGraph& graph, const ExitChain& chain, int from,
                                 int to) {
  check_segment(chain, from, to);
  const auto& nodes = graph.nodes();
  const std::string& in_tensor = chain.cut_tensor[static_cast<std::size_t>(from)];
  const std::string& out_tensor = chain.cut_tensor[static_cast<std::size_t>(to)];

  std::set<int> members;
  for (int u = from; u < to; ++u) {
    for (const int n : chain.units[static_cast<std::size_t>(u)].nodes) {
      members.insert(n);
    }
  }
  // Pull in constant sub-graphs (Shape/Constant nodes) the members read.
  std::vector<int> pending(members.begin(), members.end());
  while (!pending.empty()) {
    const int n = pending.back();
    pending.pop_back();
    for (const auto& in : nodes[static_cast<std::size_t>(n)]->input()) {
      if (in.empty() || in == in_tensor || graph.is_initializer(in)) {
        continue;
      }
      const int p = graph.producer(in);
      if (p < 0) {
        throw ModelError(fmt::format("segment ({}, {}] of exit {} reads '{}', which it cannot "
                                     "compute",
                                     from, to, chain.exit, in),
                         graph.file());
      }
      if (members.count(p) == 0) {
        if (graph.node_depends_on_input(p)) {
          throw ModelError(fmt::format("segment ({}, {}] of exit {} reads '{}' from outside "
                                       "the segment",
                                       from, to, chain.exit, in),
                           graph.file());
        }
        members.insert(p);
        pending.push_back(p);
      }
    }
  }

  const onnx::ModelProto& src = graph.model();
  onnx::ModelProto m;
  m.set_ir_version(std::max<std::int64_t>(src.ir_version(), 4));
  m.set_producer_name("edgent-partition");
  *m.mutable_opset_import() = src.opset_import();
  onnx::GraphProto* gp = m.mutable_graph();
  gp->set_name(fmt::format("{}_exit{}_{}_{}", src.graph().name(), chain.exit, from, to));
  auto value_info = [&](onnx::ValueInfoProto* v, const std::string& name) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    const int type = graph.elem_type(name);
    tt->set_elem_type(type == 0 ? onnx::TensorProto::FLOAT : type);
    auto* shape = tt->mutable_shape();
    for (const std::int64_t d : graph.require_shape(name)) {
      shape->add_dim()->set_dim_value(d);
    }
  };
  value_info(gp->add_input(), in_tensor);
  value_info(gp->add_output(), out_tensor);
  std::set<std::string> weights;
  for (const int n : members) {
    const auto& nd = *nodes[static_cast<std::size_t>(n)];
    *gp->add_node() = nd;
    for (const auto& in : nd.input()) {
      if (graph.is_initializer(in)) {
        weights.insert(in);
      }
    }
  }
  for (const auto& w : weights) {
    *gp->add_initializer() = *graph.initializer(w);
  }
  return m;
}

} // namespace edgent::model
