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

/// Approximate FLOPs of a configuration, to keep the sweep within max_flops (the recorded
/// features come from the model analysis, as a model's units' do).
double config_flops(const SweepConfig& c) {
  const double in = static_cast<double>(c.c * c.h * c.w);
  if (c.type == "conv") {
    const std::int64_t pad = c.kernel / 2;
    const double oh = static_cast<double>(out_size(c.h, c.kernel, c.stride, pad));
    const double ow = static_cast<double>(out_size(c.w, c.kernel, c.stride, pad));
    return 2.0 * oh * ow * static_cast<double>(c.filters * c.c * c.kernel * c.kernel);
  }
  if (c.type == "fc") {
    return 2.0 * static_cast<double>(c.c * c.filters);
  }
  if (c.type == "lrn") {
    return 5.0 * in * static_cast<double>(c.kernel);
  }
  if (c.type == "pool") {
    return in * static_cast<double>(c.kernel * c.kernel) / static_cast<double>(c.stride * c.stride);
  }
  return in;
}

} // namespace

double config_bytes(const SweepConfig& c) {
  const double in = static_cast<double>(c.c * c.h * c.w);
  if (c.type == "conv") {
    const double oh = static_cast<double>(out_size(c.h, c.kernel, c.stride, c.kernel / 2));
    const double ow = static_cast<double>(out_size(c.w, c.kernel, c.stride, c.kernel / 2));
    return 4.0 * (static_cast<double>(c.filters * c.c * c.kernel * c.kernel) + in +
                  static_cast<double>(c.filters) * oh * ow);
  }
  if (c.type == "fc") {
    return 4.0 * (static_cast<double>(c.c * c.filters) + in + static_cast<double>(c.filters));
  }
  return 8.0 * in;  // input and an output at most as large
}

namespace {

std::vector<float> random_values(std::size_t n, std::mt19937_64& rng) {
  std::uniform_real_distribution<float> u(-0.1f, 0.1f);
  std::vector<float> v(n);
  for (float& x : v) {
    x = u(rng);
  }
  return v;
}

} // namespace

std::vector<SweepConfig> sweep_configs(const SweepOptions& options) {
  std::mt19937_64 rng(options.seed);
  std::vector<SweepConfig> out;
  for (const std::string& type : options.types) {
    const int wanted = type == "conv" ? 2 * options.points_per_type : options.points_per_type;
    int made = 0;
    for (int attempt = 0; made < wanted && attempt < wanted * 50; ++attempt) {
      SweepConfig c;
      c.type = type;
      c.h = c.w = log_uniform(rng, 4, 224);
      c.c = log_uniform(rng, 1, 384);
      if (type == "conv") {
        c.filters = log_uniform(rng, 4, 384);
        c.kernel = pick<std::int64_t>(rng, {1, 3, 3, 5, 11});
        c.stride = pick<std::int64_t>(rng, {1, 1, 2, 4});
        if (c.kernel < c.stride || c.h < c.kernel) {
          continue;
        }
      } else if (type == "pool") {
        c.kernel = pick<std::int64_t>(rng, {2, 3});
        c.stride = pick<std::int64_t>(rng, {1, 2});
        if (c.h < c.kernel) {
          continue;
        }
      } else if (type == "lrn") {
        c.kernel = 5;
      } else if (type == "fc") {
        c.h = c.w = 1;
        c.c = log_uniform(rng, 16, 16384);
        c.filters = log_uniform(rng, 10, 4096);
      } else if (type == "softmax") {
        c.h = c.w = 1;
        c.c = log_uniform(rng, 10, 10000);
      }
      if (static_cast<double>(c.c * c.h * c.w) > 4e6 || config_flops(c) > options.max_flops ||
          config_bytes(c) > options.max_bytes) {
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
           a.kernel == b.kernel && a.stride == b.stride;
  };
  std::vector<SweepConfig> out;
  for (const SweepConfig& anchor : anchors) {
    for (int made = 0, attempt = 0; made < per_anchor && attempt < per_anchor * 20; ++attempt) {
      SweepConfig c = anchor;
      c.c = scale_channels(anchor.c);
      if (c.type != "fc" && c.type != "softmax") {
        c.h = scale(anchor.h, std::max<std::int64_t>(1, anchor.kernel));
        c.w = c.h * anchor.w / std::max<std::int64_t>(1, anchor.h);
        c.w = std::max(c.w, std::max<std::int64_t>(1, anchor.kernel));
      }
      if (c.type == "conv" || c.type == "fc") {
        c.filters = c.type == "conv" ? scale_channels(anchor.filters) : scale(anchor.filters, 1);
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
  std::mt19937_64 rng(static_cast<std::uint64_t>(c.c * 7919 + c.h * 31 + c.filters));
  model::OnnxBuilder b("sweep_" + c.type);
  if (c.type == "fc" || c.type == "softmax") {
    b.input("input", {1, c.c});
  } else {
    b.input("input", {1, c.c, c.h, c.w});
  }
  std::vector<std::int64_t> out_shape;
  if (c.type == "conv") {
    const std::int64_t pad = c.kernel / 2;
    const auto w = random_values(static_cast<std::size_t>(c.filters * c.c * c.kernel * c.kernel), rng);
    const auto bias = random_values(static_cast<std::size_t>(c.filters), rng);
    b.relu(b.conv("input", "conv", w, bias, c.c, c.filters, c.kernel, c.stride, pad), "out");
    out_shape = {1, c.filters, out_size(c.h, c.kernel, c.stride, pad), out_size(c.w, c.kernel, c.stride, pad)};
    shape = fmt::format("{}x{}x{} k{} s{} f{}", c.c, c.h, c.w, c.kernel, c.stride, c.filters);
  } else if (c.type == "relu" || c.type == "dropout" || c.type == "lrn") {
    if (c.type == "relu") {
      b.relu("input", "out");
    } else if (c.type == "dropout") {
      b.dropout("input", "out");
    } else {
      b.lrn("input", "out", c.kernel);
    }
    out_shape = {1, c.c, c.h, c.w};
    shape = fmt::format("{}x{}x{}", c.c, c.h, c.w);
  } else if (c.type == "pool") {
    b.max_pool("input", "out", c.kernel, c.stride);
    out_shape = {1, c.c, out_size(c.h, c.kernel, c.stride, 0), out_size(c.w, c.kernel, c.stride, 0)};
    shape = fmt::format("{}x{}x{} k{} s{}", c.c, c.h, c.w, c.kernel, c.stride);
  } else if (c.type == "fc") {
    const auto w = random_values(static_cast<std::size_t>(c.c * c.filters), rng);
    const auto bias = random_values(static_cast<std::size_t>(c.filters), rng);
    b.gemm("input", "out", w, bias, c.c, c.filters);
    out_shape = {1, c.filters};
    shape = fmt::format("{} -> {}", c.c, c.filters);
  } else if (c.type == "softmax") {
    b.softmax("input", "out");
    out_shape = {1, c.c};
    shape = fmt::format("{}", c.c);
  } else {
    throw ConfigError("no synthetic layer for type '" + c.type + "'");
  }
  b.output("out", out_shape);
  std::string bytes = b.serialize();
  // The features of the layer as edgent-profile computes them for a model's units.
  const auto graph = model::OnnxGraph::from_bytes(bytes, "sweep " + shape);
  const model::Partition part = model::analyse(*graph);
  if (part.exits.size() != 1 || part.exits.front().units.size() != 1 ||
      model::unit_type_name(part.exits.front().units.front().type) != c.type) {
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
