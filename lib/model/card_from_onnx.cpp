#include "model/card_from_onnx.hpp"

#include "core/error.hpp"
#include "model/partition.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

namespace edgent::model {

namespace {

/// One value per channel: @p values as given, or its one value repeated.
std::vector<double> per_channel(const std::vector<double>& values, std::int64_t channels,
                                const char* key) {
  if (values.size() == 1) {
    return std::vector<double>(static_cast<std::size_t>(channels), values.front());
  }
  if (values.size() != static_cast<std::size_t>(channels)) {
    throw ConfigError(fmt::format("has {} values, the input has {} channels (give one value "
                                  "per channel, or one for all)",
                                  values.size(), channels),
                      {}, key);
  }
  return values;
}

} // namespace

ModelCard card_from_onnx(const OnnxGraph& graph, const std::string& onnx_ref,
                         const std::string& name, const CardNormalization& norm) {
  ModelCard card;
  card.name = name;
  card.onnx = onnx_ref;
  card.onnx_sha256 = graph.sha256();
  card.onnx_bytes = static_cast<std::int64_t>(graph.model_bytes());
  card.input_name = graph.input_name();
  card.input_shape = graph.require_shape(graph.input_name());
  if (card.input_shape.size() != 4 || card.input_shape[0] != 1) {
    throw ModelError(fmt::format("the input '{}' has {} dims: a card describes one image input "
                                 "[1, C, H, W]",
                                 graph.input_name(), card.input_shape.size()),
                     graph.file());
  }
  card.norm_scale = norm.scale;
  card.norm_mean = per_channel(norm.mean, card.input_shape[1], "--mean");
  card.norm_std = per_channel(norm.std, card.input_shape[1], "--std");
  if (std::any_of(card.norm_std.begin(), card.norm_std.end(), [](double s) { return !(s > 0); })) {
    throw ConfigError("must be > 0", {}, "--std");
  }
  card.arch_only = false;  // the weights are whatever the file holds; accuracies are measured
  card.seed = 0;

  const Partition partition = analyse(graph);
  std::map<std::string, std::size_t> unit_index;  // unit name -> index in card.units
  for (const ExitChain& chain : partition.exits) {
    ExitCard e;
    e.exit = chain.exit;
    e.output = chain.output;
    double flops = 0;
    for (const Unit& u : chain.units) {
      flops += u.flops;
      e.params += u.params;
      const auto [it, added] = unit_index.emplace(u.name, card.units.size());
      if (added) {
        UnitCard uc;
        uc.name = u.name;
        uc.type = std::string(unit_type_name(u.type));
        uc.output = u.output;
        uc.flops = static_cast<std::int64_t>(std::llround(u.flops));
        uc.params = u.params;
        uc.output_shape = graph.require_shape(u.output);
        card.units.push_back(std::move(uc));
      }
      card.units[it->second].exits.push_back(chain.exit);
    }
    e.flops = static_cast<std::int64_t>(std::llround(flops));
    card.exits.push_back(std::move(e));
  }
  if (card.exits.empty()) {
    throw ModelError("the model has no graph outputs", graph.file());
  }
  const std::int64_t classes = element_count(graph.require_shape(card.exits.front().output));
  for (std::int64_t c = 0; c < classes; ++c) {
    card.classes.push_back(std::to_string(c));
  }
  return card;
}

std::string onnx_reference(const std::string& onnx_file, const std::string& card_path) {
  namespace fs = std::filesystem;
  const fs::path onnx = fs::absolute(onnx_file).lexically_normal();
  if (card_path == "-") {
    return onnx.string();
  }
  const fs::path dir = fs::absolute(card_path).parent_path().lexically_normal();
  const fs::path rel = onnx.lexically_relative(dir);
  return rel.empty() ? onnx.string() : rel.string();
}

bool is_bare_onnx(const std::string& path) {
  if (path == "-") {
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw IoError("cannot open", path);
  }
  return in.peek() != '{';
}

ModelCard load_model_card(const std::string& model_or_card) {
  if (!is_bare_onnx(model_or_card)) {
    return read_model_card(model_or_card);
  }
  const auto graph = OnnxGraph::from_file(model_or_card);
  return card_from_onnx(*graph, onnx_reference(model_or_card, model_or_card),
                        std::filesystem::path(model_or_card).stem().string(), CardNormalization{});
}

Artifact load_model_artifact(const std::string& model_or_card) {
  if (!is_bare_onnx(model_or_card)) {
    return read_artifact(model_or_card, "model");
  }
  Artifact art;
  art.doc = to_json(load_model_card(model_or_card));
  art.doc["schema"] = schema_id(artifact_kind("model"));
  art.file = model_or_card;
  art.version = artifact_kind("model").current;
  return art;
}

} // namespace edgent::model
