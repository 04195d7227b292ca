#pragma once

// edgent-train's entry points. No torch here: cmd/edgent-train/main.cpp includes this only.

#include "core/progress.hpp"
#include "data/dataset.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace edgent::train {

/// Everything edgent-train is told on the command line.
struct TrainOptions {
  std::string data_dir = data::kFashionMnistDir;  ///< dataset directory
  std::string dataset = "fashion-mnist";          ///< fashion-mnist | cifar10
  int epochs = 5;
  int batch_size = 128;
  double lr = 1e-3;                 ///< peak learning rate (cosine decay to 0 over the run)
  std::string optimizer = "adam";   ///< adam | sgd
  double momentum = 0.9;            ///< sgd only
  double weight_decay = 0.0;
  std::vector<double> loss_weights{0.5, 0.5, 0.5, 0.5, 1.0};  ///< one per exit, >= 0
  bool flip = false;                ///< random horizontal flips while training
  std::int64_t seed = 1;
  int threads = 1;                  ///< torch and OpenCV intra-op threads (1: OpenMP spins badly on a shared machine)
  std::size_t train_limit = 0;      ///< first N training images only (0 = all)
  std::size_t test_limit = 0;       ///< first N test images only (0 = all)
  bool arch_only = false;           ///< export random weights, no data, accuracy null
  std::string input;                ///< CxHxW; empty = the dataset's (arch-only: 3x224x224)
  std::string output = "models";    ///< directory, or the card path (<name>.json)
  std::string name;                 ///< model name; empty = derived from dataset or input
  int check_samples = 64;           ///< images for the torch-vs-OpenCV agreement check
  double tolerance = 1e-4;          ///< max |logit difference| allowed by that check
  Progress::Mode progress = Progress::Mode::lines;
};

/// Throws UsageError for nonsense hyper-parameters (checked while parsing, before any I/O).
void validate(const TrainOptions& options);

/// Trains (or, with arch_only, initialises) the branchy network, exports it to ONNX, checks
/// the export against libtorch with OpenCV DNN, measures per-exit accuracy with OpenCV DNN
/// and writes <name>.onnx and the edgent.model/1 card <name>.json. Returns the exit code.
int run(const TrainOptions& options);

/// Options of `edgent-train --bench CARD`.
struct BenchOptions {
  std::string card;   ///< edgent.model/1 of a branchy-alexnet model
  int warmup = 5;
  int reps = 50;      ///< timed runs per exit and engine
};

/// Prints, per exit, the median milliseconds per image of libtorch (weights loaded from the
/// ONNX file) and of OpenCV DNN, both on one thread. Returns the exit code.
int run(const BenchOptions& options);

} // namespace edgent::train
