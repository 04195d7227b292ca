#include "eval/eval.hpp"

#include "core/artifact.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "eval/accuracy.hpp"
#include "eval/bench.hpp"
#include "eval/idx_gz.hpp"
#include "model/reference_models.hpp"

#include <iostream>
#include <random>

namespace edgent::eval {
namespace {

LabelledSet load_set(const EvalOptions& o, const std::vector<int>& shape, std::size_t limit) {
  const IdxImages images = read_idx_images(o.images, limit);
  const std::vector<int> labels = read_idx_labels(o.labels, limit);
  Normalization norm;
  norm.scale = o.scale;
  norm.mean = o.mean;
  norm.std = o.std;
  return make_labelled_set(images, labels, shape, norm);
}

int run_bench_mode(const EvalOptions& o) {
  std::shared_ptr<const model::OnnxGraph> graph;
  if (o.onnx.empty()) {
    log::info("no --onnx: benchmarking the built-in 5-exit branchy AlexNet (random weights, seed 1)");
    graph = model::OnnxGraph::from_bytes(model::branchy_alexnet(1).serialize(), "branchy_alexnet");
  } else {
    graph = model::OnnxGraph::from_file(o.onnx);
  }
  model::SegmentRunner runner(graph, o.threads);
  const std::vector<int> shape = runner.cut_shape(1, 0);
  cv::Mat input;
  if (!o.images.empty()) {
    if (o.labels.empty()) {
      throw ConfigError("--idx-images needs --idx-labels", {}, "--idx-labels");
    }
    input = load_set(o, shape, 1).images.at(0);
  } else {
    input = cv::Mat(static_cast<int>(shape.size()), shape.data(), CV_32F);
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> dist(0.0f, 1.0f);
    for (std::size_t i = 0; i < input.total(); ++i) {
      input.ptr<float>()[i] = dist(rng);
    }
  }
  BenchOptions bo;
  bo.reps = o.reps;
  std::cout << "# model " << graph->file() << " sha256 " << graph->sha256().substr(0, 16)
            << ", opencv threads " << (o.threads == 0 ? std::string("default") : std::to_string(o.threads))
            << ", input " << (o.images.empty() ? "seeded uniform [0,1)" : "first test image")
            << ", reps " << bo.reps << "\n";
  print_bench(run_bench(runner, input, bo), std::cout);
  return 0;
}

} // namespace

int run(const EvalOptions& o) {
  if (o.bench) {
    return run_bench_mode(o);
  }
  if (o.onnx.empty() || o.images.empty() || o.labels.empty()) {
    throw ConfigError("the accuracy table needs --onnx, --idx-images and --idx-labels");
  }
  AccuracyOptions ao;
  ao.codecs.clear();
  for (const auto& name : o.codecs) {
    ao.codecs.push_back(net::parse_codec(name));
  }
  if (ao.codecs.empty()) {
    ao.codecs = net::all_codecs();
  }
  const auto graph = model::OnnxGraph::from_file(o.onnx);
  model::SegmentRunner runner(graph, o.threads);
  const LabelledSet set = load_set(o, runner.cut_shape(1, 0), o.limit);
  if (set.images.empty()) {
    throw DataError("the test set holds no images", o.images);
  }
  Progress::Options po;
  po.mode = o.progress;
  Progress progress("accuracy", set.images.size(), po);
  ao.progress = [&progress](std::size_t done) { progress.set(done); };
  const auto entries = accuracy_table(runner, set, ao);
  progress.finish();
  write_artifact(o.output, accuracy_json(graph->sha256(), set.images.size(), entries), "accuracy",
                 "edgent-eval");
  for (const auto& chain : runner.partition().exits) {
    for (const auto& e : entries) {
      if (e.exit == chain.exit && e.cut == chain.size() && e.codec == "fp32") {
        log::info("exit {}: top-1 {:.4f} on {} samples", e.exit, e.accuracy, e.samples);
      }
    }
  }
  return 0;
}

} // namespace edgent::eval
