#pragma once

#include "core/artifact.hpp"
#include "core/progress.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace edgent::eval {

/// What edgent-eval does (filled by its main, no I/O while parsing).
struct EvalOptions {
  std::string model;                ///< model card (edgent.model/1): ONNX and normalisation
  std::string onnx;                 ///< bare ONNX instead of a card (normalisation below);
                                    ///< both empty with --bench = built-in branchy AlexNet
  std::string data;                 ///< Fashion-MNIST directory (t10k-*-ubyte[.gz])
  std::size_t limit = 1000;         ///< test samples to use, 0 = all
  double scale = 1.0 / 255.0;       ///< with --onnx: x = (pixel * scale - mean) / std
  std::vector<double> mean{0.0};
  std::vector<double> std{1.0};
  std::vector<std::string> codecs;  ///< empty = all six
  int threads = 1;                  ///< OpenCV threads (process-wide), 0 = OpenCV default
  std::string output = "accuracy.json";
  /// With --onnx: write the model card (edgent.model/1) of the bare ONNX here; with --data
  /// the accuracy table is measured too and the card carries each exit's fp32 accuracy.
  std::string card_output;
  std::string name;                 ///< the card's name; empty = the ONNX file's stem
  bool cascades = false;            ///< write the edgent.cascade/1 table instead
  std::vector<double> thresholds;   ///< cascade threshold grid; empty = default_threshold_grid()
  bool bench = false;               ///< print benchmark figures instead of the accuracy table
  int reps = 20;                    ///< benchmark repetitions
  Progress::Mode progress = Progress::Mode::lines;
};

/// What measure_accuracy_table() measures.
struct AccuracyRequest {
  std::string model;                ///< model card, or a bare ONNX (model::load_model_card)
  std::string data;                 ///< Fashion-MNIST directory (t10k-*-ubyte[.gz])
  std::size_t limit = 1000;         ///< test samples to use, 0 = all
  std::vector<std::string> codecs;  ///< empty = all six
  int threads = 1;                  ///< OpenCV threads (process-wide), 0 = OpenCV default
  Progress::Mode progress = Progress::Mode::lines;
};

/// The accuracy table edgent-eval --model M --data D writes (edgent.accuracy/1, with
/// "schema"), measured in memory for a tool that needs one: the card's ONNX, normalisation
/// and dataset (a bare ONNX: pixel / 255, Fashion-MNIST). Its file names the data directory
/// for messages. Throws as edgent-eval does (DataError for an empty or unreadable test set,
/// ConfigError for a shape the images do not fit).
Artifact measure_accuracy_table(const AccuracyRequest& request);

/// measure_accuracy_table of @p model on @p data (at most @p limit images, 0 = all; the
/// @p codecs), one OpenCV thread, no progress: the plan::AccuracyMeasure edgent-plan and
/// edgent-mapbuild give --data.
Artifact measure_accuracy_quietly(const std::string& model, const std::string& data,
                                  std::size_t limit, const std::vector<std::string>& codecs);

/// Runs edgent-eval: writes the edgent.accuracy/1 table (with cascades the edgent.cascade/1
/// table instead), with card_output also (or, without data, only) the model card of a bare
/// ONNX, or with bench prints split overhead, codec throughput and bytes on the wire to
/// stdout. Returns the exit code.
int run(const EvalOptions& options);

} // namespace edgent::eval
