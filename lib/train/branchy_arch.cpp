#include "train/branchy_arch.hpp"

#include "core/error.hpp"
#include "core/parse_number.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string_view>

namespace edgent::train {

namespace {

LayerSpec conv(std::string name, int out, int kernel, int stride, int pad) {
  return LayerSpec{LayerType::conv, std::move(name), out, kernel, stride, pad};
}
LayerSpec relu(std::string name) { return LayerSpec{LayerType::relu, std::move(name)}; }
LayerSpec lrn(std::string name) { return LayerSpec{LayerType::lrn, std::move(name)}; }
LayerSpec pool(std::string name, int kernel, int stride) {
  return LayerSpec{LayerType::max_pool, std::move(name), 0, kernel, stride, 0};
}
LayerSpec dropout(std::string name) { return LayerSpec{LayerType::dropout, std::move(name)}; }
LayerSpec flatten(std::string name) { return LayerSpec{LayerType::flatten, std::move(name)}; }
LayerSpec fc(std::string name, int out) {
  return LayerSpec{LayerType::fc, std::move(name), out};
}

/// The numbers that differ between the small-image and the ImageNet-sized trunk.
struct Sizes {
  int c1, k1, s1, p1;  // conv1
  int c2, c3, c4, c5;  // conv2..conv5 channels
  int pool_k, pool_s;  // trunk and branch pools
  int fc;              // fc6, fc7 width
  int branch_ch;       // channels of the branch convs
};

std::int64_t out_side(std::int64_t in, int kernel, int stride, int pad) {
  if (in + 2 * pad < kernel) {
    return 0;  // the window does not fit once: no output
  }
  return (in + 2 * pad - kernel) / stride + 1;
}

} // namespace

const char* type_name(LayerType type) {
  switch (type) {
  case LayerType::conv:
    return "conv";
  case LayerType::relu:
    return "relu";
  case LayerType::lrn:
    return "lrn";
  case LayerType::max_pool:
    return "pool";
  case LayerType::dropout:
    return "dropout";
  case LayerType::flatten:
    return "flatten";
  case LayerType::fc:
    return "fc";
  }
  return "?";
}

Shape parse_shape(const std::string& text) {
  Shape s;
  std::int64_t* parts[] = {&s.c, &s.h, &s.w};
  std::string_view rest = text;
  for (int i = 0; i < 3; ++i) {
    const std::size_t x = i < 2 ? rest.find_first_of("xX") : rest.size();
    const auto v = x == std::string_view::npos ? std::nullopt : parse_integer(rest.substr(0, x));
    if (!v) {
      throw UsageError(fmt::format("'{}' is not CxHxW (e.g. 3x224x224)", text), {}, "--input");
    }
    *parts[i] = *v;
    rest.remove_prefix(i < 2 ? x + 1 : x);
  }
  if (s.c < 1 || s.c > 16 || s.h < 8 || s.h > 1024 || s.w < 8 || s.w > 1024) {
    throw UsageError(fmt::format("'{}': channels must be 1..16 and sides 8..1024", text), {},
                     "--input");
  }
  return s;
}

BranchyArch branchy_alexnet(const Shape& input, int classes) {
  const bool large = std::min(input.h, input.w) >= 64;
  const Sizes z = large ? Sizes{64, 11, 4, 2, 192, 384, 256, 256, 3, 2, 4096, 32}
                        : Sizes{32, 5, 1, 2, 64, 128, 128, 128, 2, 2, 512, 32};
  BranchyArch a;
  a.name = large ? "branchy-alexnet-large" : "branchy-alexnet";
  a.classes = classes;
  a.trunk = {conv("conv1", z.c1, z.k1, z.s1, z.p1),
             relu("relu1"),
             pool("pool1", z.pool_k, z.pool_s),
             lrn("lrn1"),
             conv("conv2", z.c2, 5, 1, 2),
             relu("relu2"),
             pool("pool2", z.pool_k, z.pool_s),
             lrn("lrn2"),
             conv("conv3", z.c3, 3, 1, 1),
             relu("relu3"),
             conv("conv4", z.c4, 3, 1, 1),
             relu("relu4"),
             conv("conv5", z.c5, 3, 1, 1),
             relu("relu5"),
             pool("pool5", z.pool_k, z.pool_s),
             flatten("flatten5"),
             dropout("drop6"),
             fc("fc6", z.fc),
             relu("relu6"),
             dropout("drop7"),
             fc("fc7", z.fc),
             relu("relu7"),
             fc("fc8", 0)};
  // LRN after the pool as in CaffeNet (4x cheaper than before it, same role).
  // Exit 1 after lrn1, exit 2 after lrn2, exit 3 after relu3, exit 4 after relu4.
  a.branch_after = {4, 8, 10, 12};
  a.branches = {
      {conv("b1_conv", z.branch_ch, 3, 1, 1), relu("b1_relu"), pool("b1_pool", z.pool_k, z.pool_s),
       flatten("b1_flatten"), fc("b1_fc", 0)},
      {conv("b2_conv", z.branch_ch, 3, 1, 1), relu("b2_relu"), flatten("b2_flatten"),
       fc("b2_fc", 0)},
      {pool("b3_pool", z.pool_k, z.pool_s), flatten("b3_flatten"), fc("b3_fc", 0)},
      {pool("b4_pool", z.pool_k, z.pool_s), flatten("b4_flatten"), fc("b4_fc", 0)},
  };
  if (large) {
    // At ImageNet sizes exit 2's feature map is 13x13: pool it before the classifier.
    a.branches[1].insert(a.branches[1].begin() + 2, pool("b2_pool", z.pool_k, z.pool_s));
  }
  return a;
}

namespace {

void place_layer(const LayerSpec& spec, int branch, int classes, std::string input, Shape in,
                 bool in_flat, std::vector<PlacedLayer>& out) {
  PlacedLayer p;
  p.flat = in_flat || spec.type == LayerType::flatten || spec.type == LayerType::fc;
  if (in_flat && (spec.type == LayerType::conv || spec.type == LayerType::max_pool ||
                  spec.type == LayerType::lrn)) {
    throw ConfigError(fmt::format("layer {} needs a feature map, not a flat vector", spec.name));
  }
  p.spec = &spec;
  p.branch = branch;
  p.input = std::move(input);
  p.output = spec.name;
  p.in = in;
  Shape o = in;
  switch (spec.type) {
  case LayerType::conv: {
    o = Shape{spec.out, out_side(in.h, spec.kernel, spec.stride, spec.pad),
              out_side(in.w, spec.kernel, spec.stride, spec.pad)};
    const std::int64_t macs = in.c * spec.kernel * spec.kernel * o.size();
    p.flops = 2 * macs;
    p.params = in.c * spec.kernel * spec.kernel * spec.out + spec.out;
    break;
  }
  case LayerType::max_pool:
    o = Shape{in.c, out_side(in.h, spec.kernel, spec.stride, spec.pad),
              out_side(in.w, spec.kernel, spec.stride, spec.pad)};
    p.flops = std::int64_t{spec.kernel} * spec.kernel * o.size();
    break;
  case LayerType::relu:
    p.flops = o.size();
    break;
  case LayerType::lrn:
    p.flops = (2 * std::int64_t{spec.lrn_size} + 3) * o.size();
    break;
  case LayerType::dropout:
    break;
  case LayerType::flatten:
    o = Shape{in.size(), 1, 1};
    break;
  case LayerType::fc: {
    const std::int64_t n = spec.out == 0 ? classes : spec.out;
    o = Shape{n, 1, 1};
    p.flops = 2 * in.size() * n;
    p.params = in.size() * n + n;
    break;
  }
  }
  if (o.c <= 0 || o.h <= 0 || o.w <= 0) {
    throw ConfigError(fmt::format("layer {} would have an empty output ({}x{}x{}): the input is "
                                  "too small for this architecture",
                                  spec.name, o.c, o.h, o.w),
                      {}, "--input");
  }
  p.out = o;
  out.push_back(std::move(p));
}

} // namespace

std::vector<PlacedLayer> place(const BranchyArch& arch, const Shape& input) {
  std::vector<PlacedLayer> graph;
  std::string tensor = "input";
  Shape shape = input;
  bool flat = false;
  const int last_exit = arch.exits();
  for (std::size_t i = 0; i < arch.trunk.size(); ++i) {
    place_layer(arch.trunk[i], 0, arch.classes, tensor, shape, flat, graph);
    // Trunk layer i runs for every exit whose branch hangs on layer >= i, and the last exit.
    for (int k = 1; k < last_exit; ++k) {
      if (arch.branch_after[k - 1] > i) {
        graph.back().exits.push_back(k);
      }
    }
    graph.back().exits.push_back(last_exit);
    if (i + 1 == arch.trunk.size()) {
      graph.back().output = fmt::format("exit{}", last_exit);
    }
    tensor = graph.back().output;
    shape = graph.back().out;
    flat = graph.back().flat;
    for (int k = 1; k < last_exit; ++k) {
      if (arch.branch_after[k - 1] != i + 1) {
        continue;
      }
      std::string btensor = tensor;
      Shape bshape = shape;
      bool bflat = flat;
      const auto& layers = arch.branches[k - 1];
      for (std::size_t j = 0; j < layers.size(); ++j) {
        place_layer(layers[j], k, arch.classes, btensor, bshape, bflat, graph);
        graph.back().exits = {k};
        if (j + 1 == layers.size()) {
          graph.back().output = fmt::format("exit{}", k);
        }
        btensor = graph.back().output;
        bshape = graph.back().out;
        bflat = graph.back().flat;
      }
    }
  }
  return graph;
}

std::int64_t exit_flops(const std::vector<PlacedLayer>& graph, int exit) {
  std::int64_t n = 0;
  for (const auto& l : graph) {
    if (std::find(l.exits.begin(), l.exits.end(), exit) != l.exits.end()) {
      n += l.flops;
    }
  }
  return n;
}

std::int64_t exit_params(const std::vector<PlacedLayer>& graph, int exit) {
  std::int64_t n = 0;
  for (const auto& l : graph) {
    if (std::find(l.exits.begin(), l.exits.end(), exit) != l.exits.end()) {
      n += l.params;
    }
  }
  return n;
}

} // namespace edgent::train
