#include "train/train_command.hpp"

#include "core/artifact.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/log.hpp"
#include "core/stats.hpp"
#include "model/model_card.hpp"
#include "train/branchy_net.hpp"

#include <fmt/format.h>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <numbers>
#include <numeric>
#include <random>

namespace edgent::train {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kExits = 5;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// Where the two output files go.
struct OutputPaths {
  std::string name;
  std::string card;       ///< <dir>/<name>.json
  std::string onnx;       ///< <dir>/<name>.onnx
  std::string onnx_rel;   ///< <name>.onnx (relative to the card)
};

std::string default_name(const TrainOptions& o, const Shape& input) {
  if (o.arch_only) {
    return fmt::format("branchy-alexnet-{}x{}x{}", input.c, input.h, input.w);
  }
  return o.dataset == "fashion-mnist" ? "branchy-alexnet-fmnist" : "branchy-alexnet-" + o.dataset;
}

OutputPaths output_paths(const TrainOptions& o, const Shape& input) {
  OutputPaths p;
  fs::path dir;
  const fs::path out(o.output);
  if (out.extension() == ".json") {
    dir = out.parent_path();
    p.name = o.name.empty() ? out.stem().string() : o.name;
    p.card = out.string();
  } else {
    dir = out;
    p.name = o.name.empty() ? default_name(o, input) : o.name;
    p.card = (dir / (p.name + ".json")).string();
  }
  std::error_code ec;
  if (!dir.empty() && !fs::is_directory(dir, ec)) {
    throw IoError("output directory does not exist", dir.string());
  }
  p.onnx_rel = out.extension() == ".json" ? out.stem().string() + ".onnx" : p.name + ".onnx";
  p.onnx = (dir / p.onnx_rel).string();
  // Fail now, not after an hour of training: both files must be creatable.
  AtomicFile probe_card(p.card);
  AtomicFile probe_onnx(p.onnx);
  return p;
}

/// Fisher-Yates with a fixed engine: the same order on every platform for a seed.
void shuffle(std::vector<std::int64_t>& v, std::mt19937_64& rng) {
  for (std::size_t i = v.size(); i > 1; --i) {
    const std::uint64_t j = rng() % i;
    std::swap(v[i - 1], v[j]);
  }
}

/// The normalised float batch of images @p index of @p images (uint8 [N,C,H,W]).
torch::Tensor make_batch(const torch::Tensor& images, const torch::Tensor& index,
                         const data::Normalization& norm, const torch::Tensor& mean,
                         const torch::Tensor& std) {
  torch::Tensor x = images.index_select(0, index).to(torch::kFloat32);
  return (x * norm.scale - mean) / std;
}

struct Evaluation {
  std::vector<double> accuracy;                 // per exit
  std::vector<std::vector<double>> confidence;  // per exit, per image
  std::vector<std::vector<double>> entropy;     // per exit, per image
};

cv::dnn::Net load_opencv(const std::string& bytes) {
  try {
    cv::dnn::Net net = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    return net;
  } catch (const cv::Exception& e) {
    throw ModelError(fmt::format("opencv cannot load the exported model: {}", e.what()));
  }
}

std::vector<std::string> exit_names() {
  std::vector<std::string> names;
  for (int k = 1; k <= kExits; ++k) {
    names.push_back(fmt::format("exit{}", k));
  }
  return names;
}

/// Runs OpenCV DNN on one image at a time (the deployment case), all exits at once.
std::vector<cv::Mat> opencv_forward(cv::dnn::Net& net, const float* image, const Shape& s) {
  cv::Mat blob(std::vector<int>{1, static_cast<int>(s.c), static_cast<int>(s.h),
                                static_cast<int>(s.w)},
               CV_32F, const_cast<float*>(image));
  net.setInput(blob);
  std::vector<cv::Mat> outs;
  net.forward(outs, exit_names());
  return outs;
}

/// Max |torch - OpenCV| over every logit of every exit for @p x ([N,C,H,W], normalised).
double max_logit_difference(BranchyNetImpl& model, cv::dnn::Net& net, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  model.eval();
  const std::vector<torch::Tensor> ref = model.forward(x);
  const Shape s = model.input_shape();
  double worst = 0;
  for (std::int64_t i = 0; i < x.size(0); ++i) {
    const torch::Tensor xi = x[i].contiguous();
    const std::vector<cv::Mat> outs = opencv_forward(net, xi.data_ptr<float>(), s);
    for (int k = 0; k < kExits; ++k) {
      const torch::Tensor r = ref[k][i].contiguous();
      const float* a = r.data_ptr<float>();
      const float* b = outs[k].ptr<float>();
      if (outs[k].total() != static_cast<std::size_t>(r.numel())) {
        throw ModelError(fmt::format("opencv gives {} logits for exit{}, libtorch {}",
                                     outs[k].total(), k + 1, r.numel()));
      }
      for (std::int64_t j = 0; j < r.numel(); ++j) {
        worst = std::max(worst, static_cast<double>(std::abs(a[j] - b[j])));
      }
    }
  }
  return worst;
}

Evaluation evaluate_opencv(cv::dnn::Net& net, const data::Dataset& test,
                           const data::Normalization& norm, Progress::Mode mode) {
  Evaluation ev;
  ev.accuracy.assign(kExits, 0.0);
  ev.confidence.resize(kExits);
  ev.entropy.resize(kExits);
  const Shape s{test.channels, test.height, test.width};
  std::vector<float> image(test.image_values());
  std::vector<std::size_t> correct(kExits, 0);
  Progress::Options popts;
  popts.mode = mode;
  Progress progress("evaluate (opencv dnn)", test.size(), popts);
  for (std::size_t i = 0; i < test.size(); ++i) {
    data::to_float(test, norm, i, 1, image);
    const std::vector<cv::Mat> outs = opencv_forward(net, image.data(), s);
    for (int k = 0; k < kExits; ++k) {
      const float* z = outs[k].ptr<float>();
      const auto n = static_cast<int>(outs[k].total());
      const int best = static_cast<int>(std::max_element(z, z + n) - z);
      if (best == test.labels[i]) {
        ++correct[k];
      }
      double sum = 0;
      for (int j = 0; j < n; ++j) {
        sum += std::exp(static_cast<double>(z[j] - z[best]));
      }
      double entropy = 0;
      for (int j = 0; j < n; ++j) {
        const double p = std::exp(static_cast<double>(z[j] - z[best])) / sum;
        if (p > 0) {
          entropy -= p * std::log(p);
        }
      }
      ev.confidence[k].push_back(1.0 / sum);
      ev.entropy[k].push_back(entropy);
    }
    progress.advance();
  }
  progress.finish();
  for (int k = 0; k < kExits; ++k) {
    ev.accuracy[k] = static_cast<double>(correct[k]) / static_cast<double>(test.size());
  }
  return ev;
}

void fill_structure(model::ModelCard& card, const BranchyNetImpl& net) {
  const Shape in = net.input_shape();
  card.input_shape = {1, in.c, in.h, in.w};
  for (int k = 1; k <= net.arch().exits(); ++k) {
    model::ExitCard e;
    e.exit = k;
    e.output = fmt::format("exit{}", k);
    e.flops = exit_flops(net.graph(), k);
    e.params = exit_params(net.graph(), k);
    card.exits.push_back(e);
  }
  for (const PlacedLayer& l : net.graph()) {
    model::UnitCard u;
    u.name = l.spec->name;
    u.type = type_name(l.spec->type);
    u.output = l.output;
    u.flops = l.flops;
    u.params = l.params;
    u.exits = l.exits;
    u.output_shape = l.flat ? std::vector<std::int64_t>{1, l.out.c}
                            : std::vector<std::int64_t>{1, l.out.c, l.out.h, l.out.w};
    card.units.push_back(std::move(u));
  }
}

/// Serialises, writes the ONNX file and the card atomically (card last).
void write_outputs(const OutputPaths& paths, const std::string& onnx_bytes,
                   model::ModelCard& card) {
  card.name = paths.name;
  card.onnx = paths.onnx_rel;
  card.onnx_sha256 = sha256_hex(onnx_bytes);
  card.onnx_bytes = static_cast<std::int64_t>(onnx_bytes.size());
  const nlohmann::json doc = model::to_json(card);
  AtomicFile onnx(paths.onnx);
  onnx.write(onnx_bytes);
  // Validate what is about to be written with the reader every later stage uses.
  (void)model::model_card_from_json(doc, paths.card);
  onnx.commit();
  write_artifact(paths.card, doc, "model", "edgent-train");
  log::info("wrote {} ({} bytes, sha256 {}) and {}", paths.onnx, onnx_bytes.size(),
            card.onnx_sha256.substr(0, 12), paths.card);
}

void check_agreement(BranchyNetImpl& net, const std::string& bytes, const torch::Tensor& x,
                     double tolerance) {
  cv::dnn::Net cvnet = load_opencv(bytes);
  const double diff = max_logit_difference(net, cvnet, x);
  log::info("export check: max |libtorch - opencv| logit difference {:.3g} over {} images "
            "(tolerance {:.3g})",
            diff, x.size(0), tolerance);
  if (!(diff <= tolerance)) {
    throw ModelError(fmt::format("the exported model disagrees with libtorch: max logit "
                                 "difference {:.3g} > {:.3g}",
                                 diff, tolerance));
  }
}

std::string serialize(const onnx::ModelProto& model) {
  std::string bytes;
  if (!model.SerializeToString(&bytes)) {
    throw ModelError("cannot serialise the ONNX model");
  }
  return bytes;
}

int run_arch_only(const TrainOptions& o) {
  const Shape input = o.input.empty() ? Shape{3, 224, 224} : parse_shape(o.input);
  const OutputPaths paths = output_paths(o, input);
  BranchyNet net(branchy_alexnet(input), input);
  net->eval();
  const std::string bytes = serialize(export_onnx(*net));
  const torch::Tensor x = torch::randn({std::min(o.check_samples, 4), input.c, input.h, input.w});
  check_agreement(*net, bytes, x, o.tolerance);
  model::ModelCard card;
  fill_structure(card, *net);
  const data::Normalization norm =
      input.c == 1 || input.c == 3 ? data::default_normalization(input.c == 1 ? "fashion-mnist"
                                                                              : "cifar10")
                                   : data::Normalization{1.0 / 255.0,
                                                         std::vector<double>(input.c, 0.5),
                                                         std::vector<double>(input.c, 0.5)};
  card.norm_scale = norm.scale;
  card.norm_mean = norm.mean;
  card.norm_std = norm.std;
  for (int i = 0; i < 10; ++i) {
    card.classes.push_back(fmt::format("class{}", i));
  }
  card.arch_only = true;
  card.seed = o.seed;
  write_outputs(paths, bytes, card);
  log::info("arch-only: random weights, every exit's accuracy is null; {:.1f} MFLOP to exit {}",
            static_cast<double>(card.exits.back().flops) / 1e6, kExits);
  return 0;
}

} // namespace

void validate(const TrainOptions& o) {
  if (o.dataset != "fashion-mnist" && o.dataset != "cifar10") {
    throw UsageError(fmt::format("'{}' is not fashion-mnist or cifar10", o.dataset), {},
                     "--dataset");
  }
  if (o.epochs < 1 || o.epochs > 1000) {
    throw UsageError(fmt::format("{} is not in 1..1000", o.epochs), {}, "--epochs");
  }
  if (o.batch_size < 1 || o.batch_size > 65536) {
    throw UsageError(fmt::format("{} is not in 1..65536", o.batch_size), {}, "--batch-size");
  }
  if (!(o.lr > 0 && o.lr <= 10)) {
    throw UsageError(fmt::format("{} is not in (0, 10]", o.lr), {}, "--lr");
  }
  if (o.optimizer != "adam" && o.optimizer != "sgd") {
    throw UsageError(fmt::format("'{}' is not adam or sgd", o.optimizer), {}, "--optimizer");
  }
  if (!(o.momentum >= 0 && o.momentum < 1)) {
    throw UsageError(fmt::format("{} is not in [0, 1)", o.momentum), {}, "--momentum");
  }
  if (!(o.weight_decay >= 0 && o.weight_decay < 1)) {
    throw UsageError(fmt::format("{} is not in [0, 1)", o.weight_decay), {}, "--weight-decay");
  }
  if (o.loss_weights.size() != kExits) {
    throw UsageError(fmt::format("{} weights given, the network has {} exits",
                                 o.loss_weights.size(), kExits),
                     {}, "--loss-weights");
  }
  double sum = 0;
  for (const double w : o.loss_weights) {
    if (!(w >= 0 && w <= 1000)) {
      throw UsageError(fmt::format("weight {} is not in [0, 1000]", w), {}, "--loss-weights");
    }
    sum += w;
  }
  if (!(sum > 0)) {
    throw UsageError("at least one weight must be positive", {}, "--loss-weights");
  }
  if (o.threads < 1 || o.threads > 256) {
    throw UsageError(fmt::format("{} is not in 1..256", o.threads), {}, "--threads");
  }
  if (o.check_samples < 1 || o.check_samples > 10000) {
    throw UsageError(fmt::format("{} is not in 1..10000", o.check_samples), {}, "--check-samples");
  }
  if (!o.input.empty()) {
    (void)parse_shape(o.input);
  }
  if (o.output.empty()) {
    throw UsageError("an empty path is not an output", {}, "--output");
  }
}

int run(const TrainOptions& o) {
  validate(o);
  at::set_num_threads(o.threads);
  cv::setNumThreads(o.threads);
  torch::manual_seed(static_cast<std::uint64_t>(o.seed));
  if (o.arch_only) {
    return run_arch_only(o);
  }

  data::Dataset train = data::load_dataset(o.dataset, o.data_dir, data::Split::train, o.train_limit);
  data::Dataset test = data::load_dataset(o.dataset, o.data_dir, data::Split::test, o.test_limit);
  const Shape input{train.channels, train.height, train.width};
  if (!o.input.empty() && !(parse_shape(o.input) == input)) {
    throw ConfigError(fmt::format("--input {} does not match the dataset's {}x{}x{}", o.input,
                                  input.c, input.h, input.w),
                      o.data_dir, "--input");
  }
  const OutputPaths paths = output_paths(o, input);
  log::info("{}: {} training and {} test images of {}x{}x{} from {}", o.dataset, train.size(),
            test.size(), input.c, input.h, input.w, o.data_dir);

  BranchyNet net(branchy_alexnet(input, static_cast<int>(train.classes.size())), input);
  log::info("branchy-alexnet: {:.1f} MFLOP to exit 5, {:.2f} M parameters; {} thread(s)",
            static_cast<double>(exit_flops(net->graph(), kExits)) / 1e6,
            static_cast<double>(exit_params(net->graph(), kExits)) / 1e6, o.threads);

  const data::Normalization norm = data::default_normalization(o.dataset);
  const torch::Tensor mean = torch::tensor(std::vector<float>(norm.mean.begin(), norm.mean.end()))
                                 .view({1, input.c, 1, 1});
  const torch::Tensor stdev = torch::tensor(std::vector<float>(norm.std.begin(), norm.std.end()))
                                  .view({1, input.c, 1, 1});
  const auto n = static_cast<std::int64_t>(train.size());
  const torch::Tensor images =
      torch::from_blob(train.pixels.data(), {n, input.c, input.h, input.w}, torch::kUInt8);
  const torch::Tensor labels =
      torch::from_blob(train.labels.data(), {n}, torch::kUInt8).to(torch::kInt64);

  std::unique_ptr<torch::optim::Optimizer> opt;
  if (o.optimizer == "adam") {
    opt = std::make_unique<torch::optim::Adam>(
        net->parameters(), torch::optim::AdamOptions(o.lr).weight_decay(o.weight_decay));
  } else {
    opt = std::make_unique<torch::optim::SGD>(
        net->parameters(),
        torch::optim::SGDOptions(o.lr).momentum(o.momentum).weight_decay(o.weight_decay));
  }
  auto set_lr = [&](double lr) {
    for (auto& group : opt->param_groups()) {
      if (o.optimizer == "adam") {
        static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
      } else {
        static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
      }
    }
  };

  const std::int64_t steps_per_epoch = (n + o.batch_size - 1) / o.batch_size;
  const std::int64_t total_steps = steps_per_epoch * o.epochs;
  std::mt19937_64 rng(static_cast<std::uint64_t>(o.seed));
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  const auto t0 = Clock::now();
  {
    Progress::Options popts;
    popts.mode = o.progress;
    Progress progress("train", static_cast<std::uint64_t>(total_steps), popts);
    std::int64_t step = 0;
    for (int epoch = 1; epoch <= o.epochs; ++epoch) {
      net->train();
      shuffle(order, rng);
      double loss_sum = 0;
      std::vector<std::int64_t> correct(kExits, 0);
      for (std::int64_t b = 0; b < steps_per_epoch; ++b, ++step) {
        const std::int64_t first = b * o.batch_size;
        const std::int64_t count = std::min<std::int64_t>(o.batch_size, n - first);
        const torch::Tensor index =
            torch::from_blob(order.data() + first, {count}, torch::kInt64).clone();
        torch::Tensor x = make_batch(images, index, norm, mean, stdev);
        if (o.flip) {
          std::vector<std::uint8_t> flips(static_cast<std::size_t>(count));
          for (auto& f : flips) {
            f = static_cast<std::uint8_t>(rng() & 1u);
          }
          const torch::Tensor mask = torch::from_blob(flips.data(), {count, 1, 1, 1}, torch::kUInt8)
                                         .to(torch::kBool);
          x = torch::where(mask, x.flip({3}), x);
        }
        const torch::Tensor y = labels.index_select(0, index);
        set_lr(o.lr * 0.5 *
               (1 + std::cos(std::numbers::pi * static_cast<double>(step) /
                             static_cast<double>(total_steps))));
        const std::vector<torch::Tensor> outs = net->forward(x);
        torch::Tensor loss = torch::zeros({});
        for (int k = 0; k < kExits; ++k) {
          loss = loss + o.loss_weights[k] * torch::nn::functional::cross_entropy(outs[k], y);
          correct[k] += outs[k].argmax(1).eq(y).sum().item<std::int64_t>();
        }
        opt->zero_grad();
        loss.backward();
        opt->step();
        const double l = loss.item<double>();
        if (!std::isfinite(l)) {
          throw ModelError(fmt::format("the loss diverged (={}) at epoch {} step {}: lower --lr",
                                       l, epoch, b + 1));
        }
        loss_sum += l;
        progress.set_note(fmt::format("epoch {}/{} step {}/{} loss {:.3f}", epoch, o.epochs,
                                      b + 1, steps_per_epoch, loss_sum / static_cast<double>(b + 1)));
        progress.advance();
      }
      log::info("epoch {}/{}: loss {:.4f}, train accuracy by exit {:.3f} {:.3f} {:.3f} {:.3f} "
                "{:.3f}, {} elapsed",
                epoch, o.epochs, loss_sum / static_cast<double>(steps_per_epoch),
                static_cast<double>(correct[0]) / static_cast<double>(n),
                static_cast<double>(correct[1]) / static_cast<double>(n),
                static_cast<double>(correct[2]) / static_cast<double>(n),
                static_cast<double>(correct[3]) / static_cast<double>(n),
                static_cast<double>(correct[4]) / static_cast<double>(n),
                format_duration(seconds_since(t0)));
    }
    progress.finish();
  }
  const double train_seconds = seconds_since(t0);
  net->eval();

  const std::string bytes = serialize(export_onnx(*net));
  const auto check = static_cast<std::size_t>(std::min<std::size_t>(o.check_samples, test.size()));
  std::vector<float> check_images(check * test.image_values());
  data::to_float(test, norm, 0, check, check_images);
  const torch::Tensor check_x =
      torch::from_blob(check_images.data(),
                       {static_cast<std::int64_t>(check), input.c, input.h, input.w},
                       torch::kFloat32);
  check_agreement(*net, bytes, check_x, o.tolerance);

  cv::dnn::Net cvnet = load_opencv(bytes);
  const Evaluation ev = evaluate_opencv(cvnet, test, norm, o.progress);

  model::ModelCard card;
  fill_structure(card, *net);
  card.norm_scale = norm.scale;
  card.norm_mean = norm.mean;
  card.norm_std = norm.std;
  card.classes = train.classes;
  card.arch_only = false;
  card.dataset = model::DatasetCard{o.dataset, o.data_dir, static_cast<std::int64_t>(train.size()),
                                    static_cast<std::int64_t>(test.size())};
  card.seed = o.seed;
  card.training = model::TrainingCard{o.epochs,   o.batch_size,   o.lr,      o.optimizer,
                                      o.momentum, o.weight_decay, o.loss_weights, o.flip,
                                      o.threads,  train_seconds};
  for (int k = 0; k < kExits; ++k) {
    card.exits[k].accuracy = ev.accuracy[k];
    card.exits[k].confidence = model::summarize(ev.confidence[k]);
    card.exits[k].entropy = model::summarize(ev.entropy[k]);
    log::info("exit{}: top-1 {:.4f} on {} test images (opencv dnn), {:.2f} MFLOP, mean "
              "confidence {:.3f}",
              k + 1, ev.accuracy[k], test.size(), static_cast<double>(card.exits[k].flops) / 1e6,
              card.exits[k].confidence->mean);
  }
  log::info("training took {} ({:.1f} s)", format_duration(train_seconds), train_seconds);
  write_outputs(paths, bytes, card);
  return 0;
}

int run(const BenchOptions& o) {
  const model::ModelCard card = model::read_model_card(o.card);
  const std::string onnx_file = model::onnx_path(card, o.card);
  const std::string bytes = read_file(onnx_file);
  if (sha256_hex(bytes) != card.onnx_sha256) {
    throw ModelError("sha256 differs from the card's onnx_sha256: regenerate the card with "
                     "edgent-train",
                     onnx_file);
  }
  onnx::ModelProto proto;
  if (!proto.ParseFromString(bytes)) {
    throw ModelError("not an ONNX model (protobuf parse failed)", onnx_file);
  }
  const Shape input{card.input_shape[1], card.input_shape[2], card.input_shape[3]};
  if (card.exits.size() != kExits) {
    throw ModelError(fmt::format("{} exits: --bench needs a 5-exit branchy-alexnet card",
                                 card.exits.size()),
                     o.card, "exits");
  }
  at::set_num_threads(1);
  cv::setNumThreads(1);
  torch::manual_seed(1);
  BranchyNet net(branchy_alexnet(input, static_cast<int>(card.classes.size())), input);
  load_onnx_weights(*net, proto, onnx_file);
  net->eval();
  cv::dnn::Net cvnet = load_opencv(bytes);
  const torch::Tensor x = torch::randn({1, input.c, input.h, input.w});
  const torch::Tensor xc = x.contiguous();
  torch::NoGradGuard no_grad;

  auto median_ms = [&](auto&& fn) {
    for (int i = 0; i < o.warmup; ++i) {
      fn();
    }
    std::vector<double> ms;
    for (int i = 0; i < o.reps; ++i) {
      const auto t = Clock::now();
      fn();
      ms.push_back(seconds_since(t) * 1e3);
    }
    return stats::median(std::move(ms));
  };

  fmt::print("# {}: median ms/image over {} runs, batch 1, one thread; opencv {}\n", card.name,
             o.reps, CV_VERSION);
  fmt::print("# opencv_full_ms: forward(exit<k>) on the whole 5-exit model (OpenCV 4.6 runs "
             "every node whatever output is asked for); opencv_ms and libtorch_ms: only the "
             "exit's path (opencv on a pruned copy of the model)\n");
  fmt::print("{:<6} {:>10} {:>12} {:>12} {:>15} {:>8}\n", "exit", "mflop", "libtorch_ms",
             "opencv_ms", "opencv_full_ms", "ratio");
  for (int k = 1; k <= kExits; ++k) {
    const double t_torch = median_ms([&] { (void)net->forward_exit(x, k); });
    const std::string name = fmt::format("exit{}", k);
    const cv::Mat blob(std::vector<int>{1, static_cast<int>(input.c), static_cast<int>(input.h),
                                        static_cast<int>(input.w)},
                       CV_32F, const_cast<float*>(xc.data_ptr<float>()));
    const double t_full = median_ms([&] {
      cvnet.setInput(blob);
      (void)cvnet.forward(name);
    });
    cv::dnn::Net pruned = load_opencv(serialize(export_onnx(*net, k)));
    const double t_cv = median_ms([&] {
      pruned.setInput(blob);
      (void)pruned.forward(name);
    });
    fmt::print("{:<6} {:>10.2f} {:>12.3f} {:>12.3f} {:>15.3f} {:>8.2f}\n", name,
               static_cast<double>(card.exits[k - 1].flops) / 1e6, t_torch, t_cv, t_full,
               t_cv / t_torch);
  }
  return 0;
}

} // namespace edgent::train
