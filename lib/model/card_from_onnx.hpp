#pragma once

#include "core/artifact.hpp"
#include "model/model_card.hpp"
#include "model/onnx_graph.hpp"

#include <string>
#include <vector>

namespace edgent::model {

/// How pixels become the model's input, for a card written from a bare ONNX.
struct CardNormalization {
  double scale = 1.0 / 255.0;    ///< x = (pixel * scale - mean[c]) / std[c]
  std::vector<double> mean{0.0}; ///< one value per input channel, or one for all
  std::vector<double> std{1.0};  ///< as mean; every value > 0
};

/// The model card (edgent.model/1) of a bare ONNX model: name, file, sha256, bytes, input
/// shape and exits (graph outputs in order) from @p graph, units, FLOPs and parameters from
/// the model analysis. What the ONNX cannot tell gets a neutral value: every accuracy,
/// confidence and entropy null, dataset and training null, seed 0, arch_only false, classes
/// named "0".."n-1" after the first exit's output size. @p onnx_ref is how the card names the
/// file (relative to the card's directory). Throws ConfigError for a normalisation that does
/// not fit the input's channels, ModelError for a model the analysis refuses.
ModelCard card_from_onnx(const OnnxGraph& graph, const std::string& onnx_ref,
                         const std::string& name, const CardNormalization& norm);

/// How a card written to @p card_path names @p onnx_file: relative to the card's directory,
/// absolute when the card goes to standard output.
std::string onnx_reference(const std::string& onnx_file, const std::string& card_path);

/// Whether @p path names a bare ONNX file rather than a model card: a card is JSON (an
/// object) and ONNX protobuf never starts with '{'. "-" (standard input) is a card. Throws
/// IoError when the file cannot be opened.
bool is_bare_onnx(const std::string& path);

/// The model card a tool's `--model` names: the card itself (read_model_card, "-" = standard
/// input), or for a bare ONNX file the card card_from_onnx derives from it in memory, named
/// after the file's stem, with the default normalisation (pixel / 255) and every accuracy
/// null (an accuracy table supplies them). In both cases onnx_path(card, @p model_or_card)
/// is the ONNX file.
ModelCard load_model_card(const std::string& model_or_card);

/// load_model_card() as an edgent.model/1 artifact (with "schema"), for readers that take
/// artifacts; its file is @p model_or_card.
Artifact load_model_artifact(const std::string& model_or_card);

} // namespace edgent::model
