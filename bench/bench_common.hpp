#pragma once

// Shared by the benchmark programs in bench/: `--key value` option parsing and the model,
// exit and seeded request body they time.

#include "model/model_card.hpp"
#include "model/onnx_graph.hpp"
#include "model/partition.hpp"
#include "model/segment_runner.hpp"
#include "net/tensor_mat.hpp"
#include "net/tensor_wire.hpp"

#include <opencv2/core.hpp>

#include <cstdio>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace edgent::bench {

/// One setter per option name ("--requests"), given the option's value; it may throw on a
/// bad value (std::stoi and friends do).
using OptionSetters = std::map<std::string, std::function<void(const std::string&)>>;

/// Parses `--key value` pairs of @p argv with @p setters. Returns 0, or 2 after printing
/// `<tool>: ...` for an option without a value, an unknown option or a bad value.
inline int parse_options(const char* tool, int argc, char** argv, const OptionSetters& setters) {
  for (int i = 1; i < argc; ++i) {
    const std::string key = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s: %s needs a value\n", tool, key.c_str());
      return 2;
    }
    const std::string value = argv[++i];
    const auto setter = setters.find(key);
    if (setter == setters.end()) {
      std::fprintf(stderr, "%s: unknown option %s\n", tool, key.c_str());
      return 2;
    }
    try {
      setter->second(value);
    } catch (const std::exception&) {
      std::fprintf(stderr, "%s: %s: bad value '%s'\n", tool, key.c_str(), value.c_str());
      return 2;
    }
  }
  return 0;
}

/// The model a benchmark times: its graph and analysis, the exit (the last one when asked
/// for exit 0), a seeded uniform [-1, 1) input and that input as an fp32 request body for
/// the edge-only cut (request id 1).
struct BenchModel {
  std::shared_ptr<const model::OnnxGraph> graph;
  model::Partition partition;
  int exit = 0;
  cv::Mat input;
  std::string body;
};

/// Loads @p model_path (ONNX or model card) for @p exit (0 = the last). Throws edgent::Error.
inline BenchModel load_bench_model(const std::string& model_path, int exit) {
  BenchModel m;
  m.graph = model::OnnxGraph::from_file(model::resolve_model_onnx(model_path));
  m.partition = model::analyse(*m.graph);
  m.exit = exit == 0 ? static_cast<int>(m.partition.exits.size()) : exit;
  model::SegmentRunner shapes(m.graph, 1);
  const std::vector<int> shape = shapes.cut_shape(m.exit, 0);
  m.input = cv::Mat(static_cast<int>(shape.size()), shape.data(), CV_32F);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (std::size_t i = 0; i < m.input.total(); ++i) {
    m.input.ptr<float>()[i] = dist(rng);
  }
  m.body = net::encode_tensor(net::to_wire(m.input, 1, static_cast<std::uint16_t>(m.exit), 0), {});
  return m;
}

} // namespace edgent::bench
