#include "eval/eval_command.hpp"

#include "core/artifact.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/log.hpp"
#include "data/dataset.hpp"
#include "eval/accuracy.hpp"
#include "eval/bench.hpp"
#include "model/card_from_onnx.hpp"
#include "eval/cascade_eval.hpp"
#include "model/model_card.hpp"
#include "model/partition.hpp"
#include "model/reference_models.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
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
    const model::ModelCard card = model::load_model_card(o.model);
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

/// The test set shaped like @p runner's input; throws DataError when it holds no images.
LabelledSet load_test_set(const EvalOptions& o, const ModelSource& src,
                          const model::SegmentRunner& runner) {
  LabelledSet set = load_set(o, src, runner.cut_shape(1, 0), o.limit);
  if (set.images.empty()) {
    throw DataError("the test set holds no images", o.data);
  }
  return set;
}

int run_cascade_mode(const EvalOptions& o, const ModelSource& src) {
  const std::vector<double> grid = threshold_grid(o);
  const auto graph = model::OnnxGraph::from_file(src.onnx);
  model::SegmentRunner runner(graph, o.threads);
  const LabelledSet set = load_test_set(o, src, runner);
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

namespace {

/// The accuracy table of @p graph on the test set (entries, and the number of samples in
/// @p samples).
std::vector<AccuracyEntry> accuracy_entries(const EvalOptions& o, const ModelSource& src,
                                            const std::shared_ptr<const model::OnnxGraph>& graph,
                                            std::size_t& samples) {
  AccuracyOptions ao;
  ao.codecs.clear();
  for (const auto& name : o.codecs) {
    ao.codecs.push_back(net::parse_codec(name));
  }
  if (ao.codecs.empty()) {
    ao.codecs = net::all_codecs();
  }
  model::SegmentRunner runner(graph, o.threads);
  const LabelledSet set = load_test_set(o, src, runner);
  Progress::Options po;
  po.mode = o.progress;
  Progress progress("accuracy", set.images.size(), po);
  ao.progress = [&progress](std::size_t done) { progress.set(done); };
  const auto entries = accuracy_table(runner, set, ao);
  progress.finish();
  samples = set.images.size();
  for (const auto& chain : runner.partition().exits) {
    for (const auto& e : entries) {
      if (e.exit == chain.exit && e.cut == chain.size() && e.codec == "fp32") {
        log::info("exit {}: top-1 {:.4f} on {} samples", e.exit, e.accuracy, e.samples);
      }
    }
  }
  return entries;
}

/// The accuracy table of @p graph on the test set, written to o.output.
std::vector<AccuracyEntry> measure_accuracy(const EvalOptions& o, const ModelSource& src,
                                            const std::shared_ptr<const model::OnnxGraph>& graph,
                                            std::size_t& samples) {
  const auto entries = accuracy_entries(o, src, graph, samples);
  write_artifact(o.output, accuracy_json(graph->sha256(), samples, entries), "accuracy",
                 "edgent-eval");
  return entries;
}

/// --write-card: the card of a bare ONNX, with its measured accuracies given --data.
int run_card_mode(const EvalOptions& o) {
  if (o.onnx.empty()) {
    throw UsageError("--write-card writes the card of a bare ONNX: give it with --onnx", {},
                     "--write-card");
  }
  check_output_path(o.card_output);
  if (!o.data.empty()) {
    check_output_path(o.output);
  }
  const ModelSource src = model_source(o);
  const auto graph = model::OnnxGraph::from_file(src.onnx);
  const std::string name =
      o.name.empty() ? std::filesystem::path(src.onnx).stem().string() : o.name;
  model::ModelCard card = model::card_from_onnx(
      *graph, model::onnx_reference(src.onnx, o.card_output), name,
      model::CardNormalization{src.norm.scale, src.norm.mean, src.norm.std});
  if (!o.data.empty()) {
    std::size_t samples = 0;
    const std::vector<AccuracyEntry> entries = measure_accuracy(o, src, graph, samples);
    const model::Partition partition = model::analyse(*graph);
    for (model::ExitCard& e : card.exits) {
      const int n = partition.exit(e.exit).size();
      for (const AccuracyEntry& a : entries) {
        if (a.exit == e.exit && a.cut == n && a.codec == "fp32") {
          e.accuracy = a.accuracy;
        }
      }
    }
    card.dataset = model::DatasetCard{src.dataset, o.data, /*train_samples=*/0,
                                      static_cast<std::int64_t>(samples)};
  } else {
    log::info("no --data: the card's accuracies are null; plans rank exits by depth until an "
              "accuracy table (edgent-eval --data) is given");
  }
  // Validate what is about to be written with the reader every later stage uses.
  const nlohmann::json doc = model::to_json(card);
  (void)model::model_card_from_json(doc, o.card_output);
  write_artifact(o.card_output, doc, "model", "edgent-eval");
  log::info("wrote the card of {} ({} exits, {} units) to {}", src.onnx, card.exits.size(),
            card.units.size(), display_name(o.card_output, /*output=*/true));
  return 0;
}

} // namespace

Artifact measure_accuracy_quietly(const std::string& model, const std::string& data,
                                  std::size_t limit, const std::vector<std::string>& codecs) {
  AccuracyRequest request;
  request.model = model;
  request.data = data;
  request.limit = limit;
  request.codecs = codecs;
  request.progress = Progress::Mode::quiet;
  return measure_accuracy_table(request);
}

Artifact measure_accuracy_table(const AccuracyRequest& request) {
  EvalOptions o;
  o.model = request.model;
  o.data = request.data;
  o.limit = request.limit;
  o.codecs = request.codecs;
  o.threads = request.threads;
  o.progress = request.progress;
  const ModelSource src = model_source(o);
  const auto graph = model::OnnxGraph::from_file(src.onnx);
  std::size_t samples = 0;
  const auto entries = accuracy_entries(o, src, graph, samples);
  Artifact art;
  art.doc = accuracy_json(graph->sha256(), samples, entries);
  art.doc["schema"] = schema_id(artifact_kind("accuracy"));
  art.file = fmt::format("the accuracy measured on {}", request.data);
  art.version = artifact_kind("accuracy").current;
  return art;
}

int run(const EvalOptions& o) {
  if (o.bench) {
    return run_bench_mode(o);
  }
  if (!o.card_output.empty()) {
    if (o.cascades) {
      throw UsageError("--write-card and --cascades are separate runs", {}, "--cascades");
    }
    return run_card_mode(o);
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
  const auto graph = model::OnnxGraph::from_file(src.onnx);
  std::size_t samples = 0;
  (void)measure_accuracy(o, src, graph, samples);
  return 0;
}

} // namespace edgent::eval
