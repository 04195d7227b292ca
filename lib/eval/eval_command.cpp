#include "eval/eval_command.hpp"

#include "core/artifact.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "data/dataset.hpp"
#include "eval/accuracy.hpp"
#include "eval/bench.hpp"
#include "eval/cascade_eval.hpp"
#include "model/model_card.hpp"
#include "model/reference_models.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <random>

namespace edgent::eval {
namespace {

/// The ONNX file to run and how pixels become its input: from the card with --model, from
/// the options with --onnx.
struct ModelSource {
  std::string onnx;
  data::Normalization norm;
  std::string dataset = "fashion-mnist";
};

ModelSource model_source(const EvalOptions& o) {
  if (!o.model.empty() && !o.onnx.empty()) {
    throw UsageError("--model and --onnx exclude each other", {}, "--onnx");
  }
  ModelSource src;
  if (!o.model.empty()) {
    const model::ModelCard card = model::read_model_card(o.model);
    src.onnx = model::verified_onnx_path(card, o.model);
    src.norm.scale = card.norm_scale;
    src.norm.mean = card.norm_mean;
    src.norm.std = card.norm_std;
    if (card.dataset) {
      src.dataset = card.dataset->name;
    }
    return src;
  }
  src.onnx = o.onnx;
  src.norm.scale = o.scale;
  src.norm.mean = o.mean;
  src.norm.std = o.std;
  return src;
}

LabelledSet load_set(const EvalOptions& o, const ModelSource& src, const std::vector<int>& shape,
                     std::size_t limit) {
  const data::Dataset test = data::load_dataset(src.dataset, o.data, data::Split::test, limit);
  return make_labelled_set(test, src.norm, shape);
}

int run_bench_mode(const EvalOptions& o) {
  const ModelSource src = model_source(o);
  std::shared_ptr<const model::OnnxGraph> graph;
  if (src.onnx.empty()) {
    log::info("no --model or --onnx: benchmarking the built-in 5-exit branchy AlexNet (random weights, seed 1)");
    graph = model::OnnxGraph::from_bytes(model::branchy_alexnet(1).serialize(), "branchy_alexnet");
  } else {
    graph = model::OnnxGraph::from_file(src.onnx);
  }
  model::SegmentRunner runner(graph, o.threads);
  const std::vector<int> shape = runner.cut_shape(1, 0);
  cv::Mat input;
  if (!o.data.empty()) {
    input = load_set(o, src, shape, 1).images.at(0);
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
            << ", input " << (o.data.empty() ? "seeded uniform [0,1)" : "first test image")
            << ", reps " << bo.reps << "\n";
  print_bench(run_bench(runner, input, bo), std::cout);
  return 0;
}

std::vector<double> threshold_grid(const EvalOptions& o) {
  std::vector<double> grid = o.thresholds.empty() ? default_threshold_grid() : o.thresholds;
  for (const double t : grid) {
    if (!(t >= 0 && t <= 1)) {
      throw UsageError(fmt::format("--thresholds: {} is not in [0, 1]", t), {}, "--thresholds");
    }
  }
  std::sort(grid.begin(), grid.end());
  grid.erase(std::unique(grid.begin(), grid.end()), grid.end());
  return grid;
}

int run_cascade_mode(const EvalOptions& o, const ModelSource& src) {
  const std::vector<double> grid = threshold_grid(o);
  const auto graph = model::OnnxGraph::from_file(src.onnx);
  model::SegmentRunner runner(graph, o.threads);
  const LabelledSet set = load_set(o, src, runner.cut_shape(1, 0), o.limit);
  if (set.images.empty()) {
    throw DataError("the test set holds no images", o.data);
  }
  Progress::Options po;
  po.mode = o.progress;
  Progress progress("exits", set.images.size(), po);
  const ExitScores scores =
      exit_scores(runner, set, [&progress](std::size_t done) { progress.set(done); });
  progress.finish();
  model::CascadeTable table;
  table.model_sha256 = graph->sha256();
  table.samples = set.images.size();
  table.thresholds = grid;
  table.entries = cascade_grid(runner.partition(), scores, grid);
  write_artifact(o.output, model::to_json(table), "cascade", "edgent-eval");
  log::info("{} cascades on {} samples", table.entries.size(), table.samples);
  return 0;
}

} // namespace

int run(const EvalOptions& o) {
  if (o.bench) {
    return run_bench_mode(o);
  }
  const ModelSource src = model_source(o);
  if (src.onnx.empty() || o.data.empty()) {
    throw UsageError(fmt::format("the {} table needs --model (or --onnx) and --data",
                                 o.cascades ? "cascade" : "accuracy"));
  }
  if (!o.thresholds.empty() && !o.cascades) {
    throw UsageError("--thresholds needs --cascades", {}, "--thresholds");
  }
  if (o.cascades) {
    return run_cascade_mode(o, src);
  }
  AccuracyOptions ao;
  ao.codecs.clear();
  for (const auto& name : o.codecs) {
    ao.codecs.push_back(net::parse_codec(name));
  }
  if (ao.codecs.empty()) {
    ao.codecs = net::all_codecs();
  }
  const auto graph = model::OnnxGraph::from_file(src.onnx);
  model::SegmentRunner runner(graph, o.threads);
  const LabelledSet set = load_set(o, src, runner.cut_shape(1, 0), o.limit);
  if (set.images.empty()) {
    throw DataError("the test set holds no images", o.data);
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
