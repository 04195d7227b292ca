#pragma once

#include "model/features.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace edgent::model {

class OnnxGraph;

/// Mean and percentiles of a per-image quantity over the test set.
struct Distribution {
  double mean = 0;
  double p10 = 0;
  double p50 = 0;
  double p90 = 0;
};

/// Summarises @p values (sorts a copy; empty input gives zeros).
Distribution summarize(std::vector<double> values);

/// One execution unit of a hand-written exit chain (`exits[].chain`, the planner's extension
/// for models described without an ONNX file: test fixtures, what-if studies).
struct ChainUnitCard {
  std::string name;                   ///< empty when not given
  std::string type;                   ///< conv, relu, lrn, pool, dropout, flatten, fc, ...
  Features features;                  ///< as written (Edgent features, maybe "flops")
  std::optional<double> flops;        ///< required when features has no "flops"
  double output_bytes = 0;            ///< the unit's output tensor, fp32 bytes
  std::optional<double> params;       ///< weights the unit reads; empty = not given
};

/// One exit of a model: graph output `exit<k>` and what it costs and achieves.
struct ExitCard {
  int exit = 0;                          ///< 1-based
  std::string output;                    ///< ONNX output name, "exit<k>"
  std::optional<double> accuracy;        ///< top-1 in [0,1]; nullopt for random weights
  std::int64_t flops = 0;                ///< path to this exit, multiply-add = 2
  std::int64_t params = 0;               ///< parameters on the path to this exit
  std::optional<Distribution> confidence;  ///< max softmax probability per test image
  std::optional<Distribution> entropy;     ///< softmax entropy per test image, nats
  /// Hand-written execution units 1..n of the exit's chain; empty = analyse the ONNX file.
  std::vector<ChainUnitCard> chain;
  /// With a chain: its valid cut indices, ascending; empty = not given (every cut 0..n).
  std::vector<int> cuts;
};

/// One execution unit (ONNX node) of the model.
struct UnitCard {
  std::string name;           ///< layer name, e.g. "conv1"
  std::string type;           ///< conv, relu, lrn, pool, dropout, flatten, fc
  std::string output;         ///< ONNX tensor it writes
  std::int64_t flops = 0;     ///< multiply-add = 2
  std::int64_t params = 0;
  std::vector<int> exits;     ///< exits whose path runs it
  std::vector<std::int64_t> output_shape;  ///< [1, C, H, W] or [1, N]
};

/// Where the weights came from.
struct DatasetCard {
  std::string name;           ///< "fashion-mnist", "cifar10"
  std::string path;
  std::int64_t train_samples = 0;
  std::int64_t test_samples = 0;  ///< images the accuracies were measured on
};

/// How the weights were trained.
struct TrainingCard {
  int epochs = 0;
  int batch_size = 0;
  double lr = 0;
  std::string optimizer;          ///< "adam" or "sgd"
  double momentum = 0;
  double weight_decay = 0;
  std::vector<double> loss_weights;  ///< one per exit
  bool flip = false;              ///< random horizontal flips while training
  int threads = 0;
  double seconds = 0;             ///< wall time of the training loop
};

/// The edgent.model/1 artifact (layout in lib/schema/ARTIFACTS.md).
struct ModelCard {
  std::string name;
  std::string onnx;               ///< path relative to the card's directory
  std::string onnx_sha256;
  std::int64_t onnx_bytes = 0;
  std::string input_name = "input";
  std::vector<std::int64_t> input_shape;  ///< [1, C, H, W]
  std::string dtype = "float32";
  std::string layout = "NCHW";
  double norm_scale = 1.0 / 255.0;        ///< x = (pixel * scale - mean[c]) / std[c]
  std::vector<double> norm_mean;
  std::vector<double> norm_std;
  std::vector<std::string> classes;
  bool arch_only = false;                 ///< random weights: every accuracy is null
  std::optional<DatasetCard> dataset;
  std::int64_t seed = 0;
  std::optional<TrainingCard> training;
  std::vector<ExitCard> exits;
  std::vector<UnitCard> units;
};

/// The card as JSON, without "schema"/"generator" (write_model_card adds them).
nlohmann::json to_json(const ModelCard& card);

/// Parses and validates a card document; throws SchemaError naming @p file and the key.
ModelCard model_card_from_json(const nlohmann::json& doc, const std::string& file);

/// Reads and validates an edgent.model/1 file.
ModelCard read_model_card(const std::string& path);

/// Writes @p card atomically as edgent.model/1 stamped with @p tool.
void write_model_card(const std::string& path, const ModelCard& card, const std::string& tool);

/// The ONNX file of a card read from @p card_path (its `onnx` resolved against the card's
/// directory).
std::string onnx_path(const ModelCard& card, const std::string& card_path);

/// Throws ConfigError naming @p card_path, the key and both values when the card does not
/// describe @p graph: onnx_sha256 and onnx_bytes against the file it was read from,
/// input.shape against the graph input, and `exits` (their count) and exits[i].output against
/// the graph outputs in order. The one check every tool makes when it loads a card with its
/// ONNX: a card describes one exact model.
void check_card_matches_onnx(const ModelCard& card, const std::string& card_path,
                             const OnnxGraph& graph);

/// onnx_path(), after reading the file and checking it with check_card_matches_onnx().
std::string verified_onnx_path(const ModelCard& card, const std::string& card_path);

/// The ONNX file a tool's `--model` names: the file itself when it is ONNX, or the `onnx` of
/// the model card it is (read, validated, and its ONNX checked against onnx_sha256). "-" reads
/// a card from standard input. Throws IoError when unreadable, ConfigError for a sha256
/// mismatch between card and ONNX or an empty standard input, UsageError for ONNX bytes on standard input.
std::string resolve_model_onnx(const std::string& model_or_card);

} // namespace edgent::model
