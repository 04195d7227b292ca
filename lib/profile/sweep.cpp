#include "profile/sweep.hpp"

#include "core/error.hpp"
#include "model/onnx_builder.hpp"
#include "model/onnx_graph.hpp"
#include "model/partition.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace edgent::profile {

namespace {

std::int64_t log_uniform(std::mt19937_64& rng, std::int64_t lo, std::int64_t hi) {
  std::uniform_real_distribution<double> u(std::log(static_cast<double>(lo)),
                                           std::log(static_cast<double>(hi)));
  return std::clamp<std::int64_t>(std::llround(std::exp(u(rng))), lo, hi);
}

template <typename T> T pick(std::mt19937_64& rng, std::initializer_list<T> values) {
  std::uniform_int_distribution<std::size_t> d(0, values.size() - 1);
  return *(values.begin() + d(rng));
}

std::int64_t out_size(std::int64_t in, std::int64_t kernel, std::int64_t stride, std::int64_t pad) {
  return (in + 2 * pad - kernel) / stride + 1;
}

std::vector<float> random_values(std::size_t n, std::mt19937_64& rng) {
  std::uniform_real_distribution<float> u(-0.1f, 0.1f);
  std::vector<float> v(n);
  for (float& x : v) {
    x = u(rng);
  }
  return v;
}

double elements(const SweepConfig& c) {
  return static_cast<double>(c.c * c.h * c.w);
}

std::vector<std::int64_t> ints_attr(const onnx::NodeProto& node, const std::string& name) {
  for (const auto& a : node.attribute()) {
    if (a.name() == name) {
      return {a.ints().begin(), a.ints().end()};
    }
  }
  return {};
}

// Shared parts of the entries below.

bool draw_nothing(std::mt19937_64& /*rng*/, SweepConfig& /*c*/) {
  return true;
}

double flops_per_element(const SweepConfig& c) {
  return elements(c);
}

/// Input and an output at most as large.
double bytes_in_out(const SweepConfig& c) {
  return 8.0 * elements(c);
}

bool anchor_as_is(const model::OnnxGraph& /*graph*/, const onnx::NodeProto& /*node*/,
                  SweepConfig& /*c*/) {
  return true;
}

/// A square kernel and equal strides from the node's attributes.
bool anchor_window(const onnx::NodeProto& node, SweepConfig& c) {
  const auto kernel = ints_attr(node, "kernel_shape");
  const auto strides = ints_attr(node, "strides");
  if (kernel.size() != 2 || kernel[0] != kernel[1] || (!strides.empty() && strides[0] != strides[1])) {
    return false;
  }
  c.kernel = kernel[0];
  c.stride = strides.empty() ? 1 : strides[0];
  return true;
}

/// An element-wise layer on a C x H x W input.
std::vector<std::int64_t> same_shape(const SweepConfig& c, std::string& shape) {
  shape = fmt::format("{}x{}x{}", c.c, c.h, c.w);
  return {1, c.c, c.h, c.w};
}

// conv: Conv followed by ReLU, as OpenCV fuses them in deployment; dense, depthwise (one
// input channel per group) or grouped.

bool conv_draw(std::mt19937_64& rng, SweepConfig& c) {
  c.filters = log_uniform(rng, 4, 384);
  c.kernel = pick<std::int64_t>(rng, {1, 3, 3, 5, 11});
  c.stride = pick<std::int64_t>(rng, {1, 1, 2, 4});
  switch (pick<int>(rng, {0, 0, 0, 0, 0, 1, 1, 2})) {
  case 1:  // depthwise
    c.group = c.filters = c.c;
    break;
  case 2:  // grouped: channels and filters multiples of the group count
    c.group = pick<std::int64_t>(rng, {2, 4, 8});
    c.c = std::max(c.group, c.c / c.group * c.group);
    c.filters = std::max(c.group, c.filters / c.group * c.group);
    break;
  default:
    break;
  }
  return c.kernel >= c.stride && c.h >= c.kernel;
}

double conv_weights(const SweepConfig& c) {
  return static_cast<double>(c.filters * (c.c / c.group) * c.kernel * c.kernel);
}

double conv_flops(const SweepConfig& c) {
  const std::int64_t pad = c.kernel / 2;
  const double oh = static_cast<double>(out_size(c.h, c.kernel, c.stride, pad));
  const double ow = static_cast<double>(out_size(c.w, c.kernel, c.stride, pad));
  return 2.0 * oh * ow * conv_weights(c);
}

double conv_bytes(const SweepConfig& c) {
  const double oh = static_cast<double>(out_size(c.h, c.kernel, c.stride, c.kernel / 2));
  const double ow = static_cast<double>(out_size(c.w, c.kernel, c.stride, c.kernel / 2));
  return 4.0 * (conv_weights(c) + elements(c) + static_cast<double>(c.filters) * oh * ow);
}

std::vector<std::int64_t> conv_build(model::OnnxBuilder& b, const SweepConfig& c,
                                     std::mt19937_64& rng, std::string& shape) {
  const std::int64_t pad = c.kernel / 2;
  const auto w = random_values(static_cast<std::size_t>(conv_weights(c)), rng);
  const auto bias = random_values(static_cast<std::size_t>(c.filters), rng);
  b.relu(b.conv("input", "conv", w, bias, c.c, c.filters, c.kernel, c.stride, pad, c.group),
         "out");
  shape = fmt::format("{}x{}x{} k{} s{} f{}", c.c, c.h, c.w, c.kernel, c.stride, c.filters);
  if (c.group > 1) {
    shape += fmt::format(" g{}", c.group);
  }
  return {1, c.filters, out_size(c.h, c.kernel, c.stride, pad), out_size(c.w, c.kernel, c.stride, pad)};
}

bool conv_anchor(const model::OnnxGraph& graph, const onnx::NodeProto& node, SweepConfig& c) {
  if (!anchor_window(node, c)) {
    return false;
  }
  const auto* w = graph.shape(node.input(1));
  if (w == nullptr || w->size() < 2 || (*w)[1] <= 0 || c.c % (*w)[1] != 0) {
    return false;
  }
  c.filters = (*w)[0];
  c.group = c.c / (*w)[1];
  return c.filters % c.group == 0;
}

// relu, dropout and lrn: element-wise on C x H x W.

std::vector<std::int64_t> relu_build(model::OnnxBuilder& b, const SweepConfig& c,
                                     std::mt19937_64& /*rng*/, std::string& shape) {
  b.relu("input", "out");
  return same_shape(c, shape);
}

std::vector<std::int64_t> dropout_build(model::OnnxBuilder& b, const SweepConfig& c,
                                        std::mt19937_64& /*rng*/, std::string& shape) {
  b.dropout("input", "out");
  return same_shape(c, shape);
}

bool lrn_draw(std::mt19937_64& /*rng*/, SweepConfig& c) {
  c.kernel = 5;
  return true;
}

double lrn_flops(const SweepConfig& c) {
  return 5.0 * elements(c) * static_cast<double>(c.kernel);
}

std::vector<std::int64_t> lrn_build(model::OnnxBuilder& b, const SweepConfig& c,
                                    std::mt19937_64& /*rng*/, std::string& shape) {
  b.lrn("input", "out", c.kernel);
  return same_shape(c, shape);
}

bool lrn_anchor(const model::OnnxGraph& /*graph*/, const onnx::NodeProto& /*node*/, SweepConfig& c) {
  c.kernel = 5;
  return true;
}

// pool: max pooling without padding, or global average pooling (kernel 0).

bool pool_draw(std::mt19937_64& rng, SweepConfig& c) {
  c.kernel = pick<std::int64_t>(rng, {2, 3, 0});
  c.stride = c.kernel == 0 ? 1 : pick<std::int64_t>(rng, {1, 2});
  return c.h >= c.kernel;
}

double pool_flops(const SweepConfig& c) {
  if (c.kernel == 0) {
    return elements(c);
  }
  return elements(c) * static_cast<double>(c.kernel * c.kernel) / static_cast<double>(c.stride * c.stride);
}

std::vector<std::int64_t> pool_build(model::OnnxBuilder& b, const SweepConfig& c,
                                     std::mt19937_64& /*rng*/, std::string& shape) {
  if (c.kernel == 0) {
    b.node("GlobalAveragePool", {"input"}, {"out"});
    shape = fmt::format("{}x{}x{} global", c.c, c.h, c.w);
    return {1, c.c, 1, 1};
  }
  b.max_pool("input", "out", c.kernel, c.stride);
  shape = fmt::format("{}x{}x{} k{} s{}", c.c, c.h, c.w, c.kernel, c.stride);
  return {1, c.c, out_size(c.h, c.kernel, c.stride, 0), out_size(c.w, c.kernel, c.stride, 0)};
}

bool pool_anchor(const model::OnnxGraph& /*graph*/, const onnx::NodeProto& node, SweepConfig& c) {
  if (node.op_type() == "GlobalAveragePool" || node.op_type() == "GlobalMaxPool") {
    c.kernel = 0;
    c.stride = 1;
    return true;
  }
  return anchor_window(node, c);
}

// fc: Gemm on a vector of c features to `filters` features.

bool fc_draw(std::mt19937_64& rng, SweepConfig& c) {
  c.h = c.w = 1;
  c.c = log_uniform(rng, 16, 16384);
  c.filters = log_uniform(rng, 10, 4096);
  // Half behind a Flatten: the one more layer costs a small fc as much as a fifth of its time.
  c.flatten = std::uniform_int_distribution<int>(0, 1)(rng) == 1;
  return true;
}

double fc_flops(const SweepConfig& c) {
  return 2.0 * static_cast<double>(c.c * c.filters);
}

double fc_bytes(const SweepConfig& c) {
  return 4.0 * (static_cast<double>(c.c * c.filters) + elements(c) + static_cast<double>(c.filters));
}

std::vector<std::int64_t> fc_build(model::OnnxBuilder& b, const SweepConfig& c,
                                   std::mt19937_64& rng, std::string& shape) {
  const auto w = random_values(static_cast<std::size_t>(c.c * c.filters), rng);
  const auto bias = random_values(static_cast<std::size_t>(c.filters), rng);
  b.gemm("input", "out", w, bias, c.c, c.filters);
  shape = fmt::format("{}{} -> {}", c.c, c.flatten ? " flattened" : "", c.filters);
  return {1, c.filters};
}

bool fc_anchor(const model::OnnxGraph& graph, const onnx::NodeProto& node, SweepConfig& c) {
  if (const auto* out_shape = graph.shape(node.output(0))) {
    c.filters = model::element_count(*out_shape);
  }
  return true;
}

// softmax: on a vector of c values.

bool softmax_draw(std::mt19937_64& rng, SweepConfig& c) {
  c.h = c.w = 1;
  c.c = log_uniform(rng, 10, 10000);
  return true;
}

std::vector<std::int64_t> softmax_build(model::OnnxBuilder& b, const SweepConfig& c,
                                        std::mt19937_64& /*rng*/, std::string& shape) {
  b.softmax("input", "out");
  shape = fmt::format("{}", c.c);
  return {1, c.c};
}

// eltwise: Add of two full tensors (a residual join) or Mul by a per-channel tensor (a gate).

bool eltwise_draw(std::mt19937_64& rng, SweepConfig& c) {
  c.kernel = pick<std::int64_t>(rng, {1, 2});
  return true;
}

double eltwise_bytes(const SweepConfig& c) {
  return 12.0 * elements(c);
}

std::vector<std::int64_t> eltwise_build(model::OnnxBuilder& b, const SweepConfig& c,
                                        std::mt19937_64& rng, std::string& shape) {
  if (c.kernel == 2) {
    b.initializer("gate", {1, c.c, 1, 1}, random_values(static_cast<std::size_t>(c.c), rng));
    b.node("Mul", {"input", "gate"}, {"out"});
    shape = fmt::format("{}x{}x{} mul per channel", c.c, c.h, c.w);
    return {1, c.c, c.h, c.w};
  }
  b.add("input", "input", "out");
  shape = fmt::format("{}x{}x{} add", c.c, c.h, c.w);
  return {1, c.c, c.h, c.w};
}

bool eltwise_anchor(const model::OnnxGraph& graph, const onnx::NodeProto& node, SweepConfig& c) {
  const auto* other = node.input_size() > 1 ? graph.shape(node.input(1)) : nullptr;
  const bool full = other != nullptr && model::element_count(*other) == elements(c);
  c.kernel = full ? 1 : 2;
  return true;
}

// concat: `kernel` copies of the input joined on channels.

bool concat_draw(std::mt19937_64& rng, SweepConfig& c) {
  c.kernel = pick<std::int64_t>(rng, {2, 3, 4});
  return true;
}

double concat_flops(const SweepConfig& c) {
  return elements(c) * static_cast<double>(c.kernel);
}

double concat_bytes(const SweepConfig& c) {
  return 4.0 * elements(c) * static_cast<double>(1 + c.kernel);
}

std::vector<std::int64_t> concat_build(model::OnnxBuilder& b, const SweepConfig& c,
                                       std::mt19937_64& /*rng*/, std::string& shape) {
  b.node("Concat", std::vector<std::string>(static_cast<std::size_t>(c.kernel), "input"), {"out"},
         {model::OnnxAttr::i("axis", 1)});
  shape = fmt::format("{}x{}x{} x{}", c.c, c.h, c.w, c.kernel);
  return {1, c.c * c.kernel, c.h, c.w};
}

/// A model's concat joins inputs of unequal channels: its anchor joins as many copies of
/// their mean, which has the output's size.
bool concat_anchor(const model::OnnxGraph& graph, const onnx::NodeProto& node, SweepConfig& c) {
  const auto* out = graph.shape(node.output(0));
  c.kernel = std::clamp<std::int64_t>(node.input_size(), 2, 8);
  if (out == nullptr || out->size() != 4) {
    return false;
  }
  c.c = std::max<std::int64_t>(1, (*out)[1] / c.kernel);
  return true;
}

// batchnorm: a BatchNormalization no conv absorbs (after a concat, say).

std::vector<std::int64_t> batchnorm_build(model::OnnxBuilder& b, const SweepConfig& c,
                                          std::mt19937_64& rng, std::string& shape) {
  const auto n = static_cast<std::size_t>(c.c);
  std::vector<float> var = random_values(n, rng);
  for (float& v : var) {
    v = 1.0f + std::abs(v);
  }
  b.initializer("scale", {c.c}, random_values(n, rng));
  b.initializer("shift", {c.c}, random_values(n, rng));
  b.initializer("mean", {c.c}, random_values(n, rng));
  b.initializer("var", {c.c}, var);
  b.node("BatchNormalization", {"input", "scale", "shift", "mean", "var"}, {"out"});
  return same_shape(c, shape);
}

// activation: a standalone Sigmoid (as in gates), standing for the non-Relu activations.

std::vector<std::int64_t> activation_build(model::OnnxBuilder& b, const SweepConfig& c,
                                           std::mt19937_64& /*rng*/, std::string& shape) {
  b.node("Sigmoid", {"input"}, {"out"});
  return same_shape(c, shape);
}

using model::UnitType;
using Filters = SweepLayer::Filters;

} // namespace

const std::vector<SweepLayer>& sweep_layers() {
  static const std::vector<SweepLayer> table{
      {UnitType::conv, 2, conv_draw, conv_flops, conv_bytes, conv_build, Filters::channels,
       {"Conv"}, conv_anchor},
      {UnitType::relu, 1, draw_nothing, flops_per_element, bytes_in_out, relu_build,
       Filters::none, {"Relu"}, anchor_as_is},
      {UnitType::pool, 1, pool_draw, pool_flops, bytes_in_out, pool_build, Filters::none,
       {"MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool"}, pool_anchor},
      {UnitType::lrn, 1, lrn_draw, lrn_flops, bytes_in_out, lrn_build, Filters::none, {"LRN"},
       lrn_anchor},
      {UnitType::dropout, 1, draw_nothing, flops_per_element, bytes_in_out, dropout_build,
       Filters::none, {"Dropout"}, anchor_as_is},
      {UnitType::fc, 1, fc_draw, fc_flops, fc_bytes, fc_build, Filters::count, {"Gemm", "MatMul"},
       fc_anchor},
      {UnitType::softmax, 1, softmax_draw, flops_per_element, bytes_in_out, softmax_build,
       Filters::none, {"Softmax"}, anchor_as_is},
      {UnitType::eltwise, 1, eltwise_draw, flops_per_element, eltwise_bytes, eltwise_build,
       Filters::none, {"Add", "Sub", "Mul", "Div", "Sum", "Max", "Min"}, eltwise_anchor},
      {UnitType::concat, 1, concat_draw, concat_flops, concat_bytes, concat_build, Filters::none,
       {"Concat"}, concat_anchor},
      {UnitType::batchnorm, 1, draw_nothing, flops_per_element, bytes_in_out, batchnorm_build,
       Filters::none, {"BatchNormalization"}, anchor_as_is},
      {UnitType::activation, 1, draw_nothing, flops_per_element, bytes_in_out, activation_build,
       Filters::none, {"Sigmoid", "Tanh", "LeakyRelu", "Clip", "Elu", "HardSigmoid", "HardSwish",
                       "PRelu"},
       anchor_as_is},
  };
  return table;
}

const SweepLayer* find_sweep_layer(model::UnitType type) {
  for (const SweepLayer& layer : sweep_layers()) {
    if (layer.type == type) {
      return &layer;
    }
  }
  return nullptr;
}

namespace {

/// The sweep layer of the type named @p type, or nullptr.
const SweepLayer* layer_named(const std::string& type) {
  const auto t = model::unit_type_from_name(type);
  return t ? find_sweep_layer(*t) : nullptr;
}

bool is_flat(const std::string& type) {
  const auto t = model::unit_type_from_name(type);
  return t && model::unit_type_traits(*t).flat_input;
}

} // namespace

double config_bytes(const SweepConfig& c) {
  const SweepLayer* layer = layer_named(c.type);
  return layer ? layer->bytes(c) : bytes_in_out(c);
}

std::vector<SweepConfig> sweep_configs(const SweepOptions& options) {
  std::mt19937_64 rng(options.seed);
  std::vector<SweepConfig> out;
  for (const std::string& type : options.types) {
    const SweepLayer* layer = layer_named(type);
    const int wanted = (layer ? layer->points_factor : 1) * options.points_per_type;
    int made = 0;
    for (int attempt = 0; made < wanted && attempt < wanted * 50; ++attempt) {
      SweepConfig c;
      c.type = type;
      c.h = c.w = log_uniform(rng, 4, 224);
      c.c = log_uniform(rng, 1, 384);
      if (layer && !layer->draw(rng, c)) {
        continue;
      }
      // Approximate FLOPs bound the sweep; the recorded features come from the model
      // analysis, as a model's units' do.
      const double flops = layer ? layer->flops(c) : flops_per_element(c);
      if (elements(c) > 4e6 || flops > options.max_flops || config_bytes(c) > options.max_bytes) {
        continue;
      }
      out.push_back(c);
      ++made;
    }
  }
  return out;
}

std::vector<SweepConfig> around(const std::vector<SweepConfig>& anchors, int per_anchor,
                                std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> factor(-0.5 * std::log(2.0), 0.5 * std::log(2.0));
  const auto scale = [&](std::int64_t v, std::int64_t lo) {
    return std::max<std::int64_t>(lo, std::llround(static_cast<double>(v) * std::exp(factor(rng))));
  };
  // Channel counts keep the anchor's alignment (the largest power of two dividing it, up to
  // 16): vectorised kernels run aligned counts faster, and a model's are usually aligned.
  const auto scale_channels = [&](std::int64_t v) {
    std::int64_t align = 1;
    while (align < 16 && v % (2 * align) == 0) {
      align *= 2;
    }
    const double scaled = static_cast<double>(v) * std::exp(factor(rng)) / static_cast<double>(align);
    return std::max<std::int64_t>(1, std::llround(scaled)) * align;
  };
  const auto same = [](const SweepConfig& a, const SweepConfig& b) {
    return a.type == b.type && a.c == b.c && a.h == b.h && a.w == b.w && a.filters == b.filters &&
           a.kernel == b.kernel && a.stride == b.stride && a.group == b.group &&
           a.flatten == b.flatten;
  };
  std::vector<SweepConfig> out;
  for (const SweepConfig& anchor : anchors) {
    const SweepLayer* layer = layer_named(anchor.type);
    const Filters filters = layer ? layer->filters : Filters::none;
    const bool flat = is_flat(anchor.type);
    for (int made = 0, attempt = 0; made < per_anchor && attempt < per_anchor * 20; ++attempt) {
      SweepConfig c = anchor;
      c.c = scale_channels(anchor.c);
      if (!flat) {
        c.h = scale(anchor.h, std::max<std::int64_t>(1, anchor.kernel));
        c.w = c.h * anchor.w / std::max<std::int64_t>(1, anchor.h);
        c.w = std::max(c.w, std::max<std::int64_t>(1, anchor.kernel));
      }
      if (filters == Filters::channels && anchor.group > 1 && anchor.group == anchor.c) {
        c.group = c.filters = c.c;  // depthwise stays depthwise
      } else if (filters == Filters::channels && anchor.group > 1) {
        // Grouped: channels and filters stay multiples of the group count.
        c.c = std::max(anchor.group, c.c / anchor.group * anchor.group);
        c.filters = std::max(anchor.group,
                             scale_channels(anchor.filters) / anchor.group * anchor.group);
      } else if (filters == Filters::channels) {
        c.filters = scale_channels(anchor.filters);
      } else if (filters == Filters::count) {
        c.filters = scale(anchor.filters, 1);
      }
      if (same(c, anchor) ||
          std::any_of(out.begin(), out.end(), [&](const SweepConfig& o) { return same(c, o); })) {
        continue;
      }
      out.push_back(c);
      ++made;
    }
  }
  return out;
}

std::string build_sweep_model(const SweepConfig& c, model::Features& features, std::string& shape) {
  const SweepLayer* layer = layer_named(c.type);
  if (layer == nullptr) {
    throw ConfigError("no synthetic layer for type '" + c.type + "'");
  }
  std::mt19937_64 rng(static_cast<std::uint64_t>(c.c * 7919 + c.h * 31 + c.filters + c.group));
  model::OnnxBuilder b("sweep_" + c.type);
  if (model::unit_type_traits(layer->type).flat_input && c.flatten) {
    b.input("input_4d", {1, c.c, 1, 1});
    b.flatten("input_4d", "input");
  } else if (model::unit_type_traits(layer->type).flat_input) {
    b.input("input", {1, c.c});
  } else {
    b.input("input", {1, c.c, c.h, c.w});
  }
  b.output("out", layer->build(b, c, rng, shape));
  std::string bytes = b.serialize();
  // The features of the layer as edgent-profile computes them for a model's units.
  const auto graph = model::OnnxGraph::from_bytes(bytes, "sweep " + shape);
  const model::Partition part = model::analyse(*graph);
  if (part.exits.size() != 1 || part.exits.front().units.size() != 1 ||
      part.exits.front().units.front().type != layer->type) {
    throw ModelError("synthetic " + c.type + " layer " + shape + " is not one " + c.type + " unit");
  }
  const model::Unit& unit = part.exits.front().units.front();
  features = unit.features;
  features["flops"] = unit.flops;
  return bytes;
}

std::string build_split_chain(std::int64_t side) {
  side = std::clamp<std::int64_t>(side, 8, 64);
  const std::int64_t half = side / 2;   // after the first 2x2 pool
  const std::int64_t quarter = half / 2;
  const std::int64_t flat = 32 * quarter * quarter;
  std::mt19937_64 rng(11);
  const auto w1 = random_values(32 * 16 * 9, rng);
  const auto b1 = random_values(32, rng);
  const auto w2 = random_values(32 * 32 * 9, rng);
  const auto b2 = random_values(32, rng);
  const auto w3 = random_values(static_cast<std::size_t>(10 * flat), rng);
  const auto b3 = random_values(10, rng);
  model::OnnxBuilder b("split_chain");
  b.input("input", {1, 16, side, side});
  std::string t = b.relu(b.conv("input", "conv1", w1, b1, 16, 32, 3, 1, 1), "relu1");
  t = b.max_pool(t, "pool1", 2, 2);
  t = b.lrn(t, "lrn1", 5);
  t = b.relu(b.conv(t, "conv2", w2, b2, 32, 32, 3, 1, 1), "relu2");
  t = b.max_pool(t, "pool2", 2, 2);
  t = b.dropout(t, "drop");
  t = b.flatten(t, "flat");
  t = b.gemm(t, "fc", w3, b3, flat, 10);
  b.output(t, {1, 10});
  return b.serialize();
}

nlohmann::json to_json(const SweepPoint& point) {
  nlohmann::json j = to_json(point.timing);
  j["type"] = point.type;
  j["shape"] = point.shape;
  j["features"] = point.features;
  return j;
}

} // namespace edgent::profile
