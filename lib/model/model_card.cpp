#include "model/model_card.hpp"

#include "core/artifact.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/json_view.hpp"
#include "core/stats.hpp"
#include "model/onnx_graph.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>

// edgent.model/1, written by edgent-train:
//   {
//     "schema": "edgent.model/1", "generator": {...},
//     "name": "branchy-alexnet-fmnist",
//     "onnx": "branchy-alexnet-fmnist.onnx", "onnx_sha256": "<hex>", "onnx_bytes": 1234,
//     "input": {"name": "input", "shape": [1, 1, 28, 28], "dtype": "float32", "layout": "NCHW"},
//     "normalization": {"scale": 0.00392, "mean": [0.286], "std": [0.353]},
//     "classes": ["t-shirt/top", ...],
//     "arch_only": false,
//     "dataset": {"name", "path", "train_samples", "test_samples"} | null,
//     "seed": 1,
//     "training": {"epochs", "batch_size", "lr", "optimizer", "momentum", "weight_decay",
//                  "loss_weights": [..], "flip", "threads", "seconds"} | null,
//     "exits": [{"exit": 1, "output": "exit1", "accuracy": 0.87 | null, "flops", "params",
//                "confidence": {"mean", "p10", "p50", "p90"} | null,
//                "entropy": {"mean", "p10", "p50", "p90"} | null,
//                "chain": [{"name", "type", "features": {..}, "flops", "output_bytes",
//                           "params"}],     // hand-written cards only (planner extension)
//                "cuts": [0, 2, ...]}],      // with a chain only; default every cut
//     "units": [{"name": "conv1", "type": "conv", "output": "conv1", "flops", "params",
//                "exits": [1, 2, 3, 4, 5], "output_shape": [1, 32, 28, 28]}]
//   }

namespace edgent::model {

namespace {

nlohmann::json distribution_json(const std::optional<Distribution>& d) {
  if (!d) {
    return nullptr;
  }
  return {{"mean", d->mean}, {"p10", d->p10}, {"p50", d->p50}, {"p90", d->p90}};
}

std::optional<Distribution> read_distribution(const JsonView& v) {
  if (v.is_null()) {
    return std::nullopt;
  }
  return Distribution{v.at("mean").number(), v.at("p10").number(), v.at("p50").number(),
                      v.at("p90").number()};
}

std::vector<double> numbers(const JsonView& v) {
  std::vector<double> out;
  for (const auto& e : v.elements()) {
    out.push_back(e.number());
  }
  return out;
}

std::vector<std::int64_t> integers(const JsonView& v, std::int64_t lo, std::int64_t hi) {
  std::vector<std::int64_t> out;
  for (const auto& e : v.elements()) {
    out.push_back(e.integer(lo, hi));
  }
  return out;
}

constexpr double kMaxBytes = 1e12;  // sizes above a terabyte are a broken card

/// The planner's extension of an exit: `chain` and optional `cuts`.
void read_chain(const JsonView& ex, ExitCard& out) {
  const JsonView chain_view = ex.at("chain");
  const auto chain = chain_view.elements();
  if (chain.empty()) {
    chain_view.fail("is empty");
  }
  if (chain.size() > 100000) {
    chain_view.fail("has too many units");
  }
  for (const JsonView& u : chain) {
    ChainUnitCard cu;
    if (const auto name = u.find("name")) {
      cu.name = name->string();
    }
    cu.type = u.at("type").nonempty_string();
    const JsonView features = u.at("features");
    for (const std::string& key : features.keys()) {
      cu.features[key] = features.at(key).number();
    }
    if (!cu.features.count("flops")) {
      cu.flops = u.at("flops").number(0, 1e18);
    } else if (const auto flops = u.find("flops")) {
      cu.flops = flops->number();
    }
    cu.output_bytes = u.at("output_bytes").number(0, kMaxBytes);
    if (const auto params = u.find("params")) {
      cu.params = params->number(0, kMaxBytes);
    }
    out.chain.push_back(std::move(cu));
  }
  const int n = static_cast<int>(chain.size());
  if (const auto cuts = ex.find("cuts")) {
    for (const JsonView& c : cuts->elements()) {
      const int cut = static_cast<int>(c.integer(0, n));
      if (!out.cuts.empty() && cut <= out.cuts.back()) {
        c.fail("cuts must be strictly ascending");
      }
      out.cuts.push_back(cut);
    }
  }
}

} // namespace

Distribution summarize(std::vector<double> values) {
  if (values.empty()) {
    return {};
  }
  return Distribution{stats::mean(values), stats::quantile(values, 0.1), stats::median(values),
                      stats::quantile(values, 0.9)};
}

nlohmann::json to_json(const ModelCard& card) {
  nlohmann::json doc;
  doc["name"] = card.name;
  doc["onnx"] = card.onnx;
  doc["onnx_sha256"] = card.onnx_sha256;
  doc["onnx_bytes"] = card.onnx_bytes;
  doc["input"] = {{"name", card.input_name},
                  {"shape", card.input_shape},
                  {"dtype", card.dtype},
                  {"layout", card.layout}};
  doc["normalization"] = {
      {"scale", card.norm_scale}, {"mean", card.norm_mean}, {"std", card.norm_std}};
  doc["classes"] = card.classes;
  doc["arch_only"] = card.arch_only;
  if (card.dataset) {
    const auto& d = *card.dataset;
    doc["dataset"] = {{"name", d.name},
                      {"path", d.path},
                      {"train_samples", d.train_samples},
                      {"test_samples", d.test_samples}};
  } else {
    doc["dataset"] = nullptr;
  }
  doc["seed"] = card.seed;
  if (card.training) {
    const auto& t = *card.training;
    doc["training"] = {{"epochs", t.epochs},
                       {"batch_size", t.batch_size},
                       {"lr", t.lr},
                       {"optimizer", t.optimizer},
                       {"momentum", t.momentum},
                       {"weight_decay", t.weight_decay},
                       {"loss_weights", t.loss_weights},
                       {"flip", t.flip},
                       {"threads", t.threads},
                       {"seconds", t.seconds}};
  } else {
    doc["training"] = nullptr;
  }
  doc["exits"] = nlohmann::json::array();
  for (const auto& e : card.exits) {
    doc["exits"].push_back({{"exit", e.exit},
                            {"output", e.output},
                            {"accuracy", e.accuracy ? nlohmann::json(*e.accuracy) : nullptr},
                            {"flops", e.flops},
                            {"params", e.params},
                            {"confidence", distribution_json(e.confidence)},
                            {"entropy", distribution_json(e.entropy)}});
    if (!e.chain.empty()) {
      nlohmann::json& exit = doc["exits"].back();
      exit["chain"] = nlohmann::json::array();
      for (const ChainUnitCard& u : e.chain) {
        nlohmann::json unit{{"type", u.type}, {"features", u.features},
                            {"output_bytes", u.output_bytes}};
        if (!u.name.empty()) {
          unit["name"] = u.name;
        }
        if (u.flops) {
          unit["flops"] = *u.flops;
        }
        if (u.params) {
          unit["params"] = *u.params;
        }
        exit["chain"].push_back(std::move(unit));
      }
      if (!e.cuts.empty()) {
        exit["cuts"] = e.cuts;
      }
    }
  }
  doc["units"] = nlohmann::json::array();
  for (const auto& u : card.units) {
    doc["units"].push_back({{"name", u.name},
                            {"type", u.type},
                            {"output", u.output},
                            {"flops", u.flops},
                            {"params", u.params},
                            {"exits", u.exits},
                            {"output_shape", u.output_shape}});
  }
  return doc;
}

ModelCard model_card_from_json(const nlohmann::json& doc, const std::string& file) {
  const JsonView root(doc, file);
  ModelCard c;
  c.name = root.at("name").nonempty_string();
  c.onnx = root.at("onnx").nonempty_string();
  c.onnx_sha256 = root.at("onnx_sha256").string();
  if (c.onnx_sha256.size() != 64 ||
      !std::all_of(c.onnx_sha256.begin(), c.onnx_sha256.end(),
                   [](char ch) { return std::isxdigit(static_cast<unsigned char>(ch)) != 0; })) {
    root.at("onnx_sha256").fail("must be 64 hex digits");
  }
  c.onnx_bytes = root.at("onnx_bytes").integer(1, std::int64_t{1} << 40);
  const JsonView input = root.at("input");
  c.input_name = input.at("name").nonempty_string();
  c.input_shape = integers(input.at("shape"), 1, 1 << 16);
  if (c.input_shape.size() != 4 || c.input_shape[0] != 1) {
    input.at("shape").fail("must be [1, C, H, W]");
  }
  c.dtype = input.at("dtype").string();
  if (c.dtype != "float32") {
    input.at("dtype").fail("must be \"float32\"");
  }
  c.layout = input.at("layout").string();
  if (c.layout != "NCHW") {
    input.at("layout").fail("must be \"NCHW\"");
  }
  const JsonView norm = root.at("normalization");
  c.norm_scale = norm.at("scale").number();
  c.norm_mean = numbers(norm.at("mean"));
  c.norm_std = numbers(norm.at("std"));
  const auto channels = static_cast<std::size_t>(c.input_shape[1]);
  if (c.norm_mean.size() != channels) {
    norm.at("mean").fail("must have one value per input channel");
  }
  if (c.norm_std.size() != channels ||
      std::any_of(c.norm_std.begin(), c.norm_std.end(), [](double s) { return !(s > 0); })) {
    norm.at("std").fail("must have one positive value per input channel");
  }
  for (const auto& e : root.at("classes").elements()) {
    c.classes.push_back(e.string());
  }
  c.arch_only = root.at("arch_only").boolean();
  if (const JsonView d = root.at("dataset"); !d.is_null()) {
    c.dataset = DatasetCard{d.at("name").nonempty_string(), d.at("path").string(),
                            d.at("train_samples").integer(0, std::int64_t{1} << 40),
                            d.at("test_samples").integer(0, std::int64_t{1} << 40)};
  }
  c.seed = root.at("seed").integer();
  if (const JsonView t = root.at("training"); !t.is_null()) {
    TrainingCard tc;
    tc.epochs = static_cast<int>(t.at("epochs").integer(0, 1'000'000));
    tc.batch_size = static_cast<int>(t.at("batch_size").integer(1, 1'000'000));
    tc.lr = t.at("lr").number();
    tc.optimizer = t.at("optimizer").string();
    tc.momentum = t.at("momentum").number();
    tc.weight_decay = t.at("weight_decay").number();
    tc.loss_weights = numbers(t.at("loss_weights"));
    tc.flip = t.at("flip").boolean();
    tc.threads = static_cast<int>(t.at("threads").integer(1, 4096));
    tc.seconds = t.at("seconds").number();
    c.training = tc;
  }
  const JsonView exits = root.at("exits");
  if (exits.size() == 0) {
    exits.fail("must list at least one exit");
  }
  for (const auto& e : exits.elements()) {
    ExitCard x;
    x.exit = static_cast<int>(e.at("exit").integer(1, 1000));
    if (x.exit != static_cast<int>(c.exits.size()) + 1) {
      e.at("exit").fail("exits must be numbered 1, 2, ... in order");
    }
    x.output = e.at("output").nonempty_string();
    x.accuracy = e.at("accuracy").optional_number();
    if (x.accuracy && (*x.accuracy < 0 || *x.accuracy > 1)) {
      e.at("accuracy").fail("must be in [0, 1] or null");
    }
    if (c.arch_only && x.accuracy) {
      e.at("accuracy").fail("must be null in an arch-only card (random weights)");
    }
    x.flops = e.at("flops").integer(0, std::int64_t{1} << 50);
    x.params = e.at("params").integer(0, std::int64_t{1} << 40);
    x.confidence = read_distribution(e.at("confidence"));
    x.entropy = read_distribution(e.at("entropy"));
    if (e.has("chain")) {
      read_chain(e, x);
    }
    c.exits.push_back(std::move(x));
  }
  for (const auto& u : root.at("units").elements()) {
    UnitCard x;
    x.name = u.at("name").nonempty_string();
    x.type = u.at("type").nonempty_string();
    x.output = u.at("output").nonempty_string();
    x.flops = u.at("flops").integer(0, std::int64_t{1} << 50);
    x.params = u.at("params").integer(0, std::int64_t{1} << 40);
    for (const auto& k : u.at("exits").elements()) {
      x.exits.push_back(static_cast<int>(k.integer(1, static_cast<std::int64_t>(c.exits.size()))));
    }
    x.output_shape = integers(u.at("output_shape"), 1, std::int64_t{1} << 32);
    c.units.push_back(std::move(x));
  }
  return c;
}

ModelCard read_model_card(const std::string& path) {
  const Artifact art = read_artifact(path, "model");
  return model_card_from_json(art.doc, art.file);
}

void write_model_card(const std::string& path, const ModelCard& card, const std::string& tool) {
  write_artifact(path, to_json(card), "model", tool);
}

std::string onnx_path(const ModelCard& card, const std::string& card_path) {
  const std::filesystem::path onnx(card.onnx);
  if (onnx.is_absolute() || card_path == "-") {
    return onnx.string();
  }
  return (std::filesystem::path(card_path).parent_path() / onnx).string();
}

void check_card_matches_onnx(const ModelCard& card, const std::string& card_path,
                             const OnnxGraph& graph) {
  const std::string card_file = display_name(card_path);
  const auto mismatch = [&](const std::string& key, const std::string& card_value,
                            const std::string& onnx_value) {
    throw ConfigError(fmt::format("the card says {}, {} has {}: the card describes another model; "
                                  "write it again with edgent-eval --write-card",
                                  card_value, graph.file(), onnx_value),
                      card_file, key);
  };
  if (graph.sha256() != card.onnx_sha256) {
    mismatch("onnx_sha256", card.onnx_sha256, graph.sha256());
  }
  if (static_cast<std::int64_t>(graph.model_bytes()) != card.onnx_bytes) {
    mismatch("onnx_bytes", fmt::format("{} bytes", card.onnx_bytes),
             fmt::format("{} bytes", graph.model_bytes()));
  }
  const std::vector<std::int64_t>* input = graph.shape(graph.input_name());
  if (input == nullptr || *input != card.input_shape) {
    mismatch("input.shape", fmt::format("[{}]", fmt::join(card.input_shape, ", ")),
             input == nullptr ? std::string("an input of unknown shape")
                              : fmt::format("input '{}' of shape [{}]", graph.input_name(),
                                            fmt::join(*input, ", ")));
  }
  const std::vector<std::string>& outputs = graph.outputs();
  if (card.exits.size() != outputs.size()) {
    mismatch("exits", fmt::format("{} exits", card.exits.size()),
             fmt::format("{} graph outputs", outputs.size()));
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    if (card.exits[i].output != outputs[i]) {
      mismatch(fmt::format("exits[{}].output", i), fmt::format("'{}'", card.exits[i].output),
               fmt::format("'{}' as graph output {} (exit {})", outputs[i], i + 1, i + 1));
    }
  }
}

std::string verified_onnx_path(const ModelCard& card, const std::string& card_path) {
  const std::string onnx = onnx_path(card, card_path);
  check_card_matches_onnx(card, card_path, *OnnxGraph::from_file(onnx));
  return onnx;
}

std::string resolve_model_onnx(const std::string& model_or_card) {
  if (model_or_card == "-") {
    // Standard input can be read once: it holds a card, whose ONNX file is then opened.
    const std::string text = read_file("-");
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) {
      throw ConfigError("standard input is empty: expected a model card (edgent.model/1)",
                        "<stdin>");
    }
    if (text[first] != '{') {
      throw UsageError("an ONNX model cannot be read from standard input: give its file, or a "
                       "model card on standard input",
                       "<stdin>");
    }
    const Artifact art = parse_artifact(text, "<stdin>", "model");
    return verified_onnx_path(model_card_from_json(art.doc, art.file), "-");
  }
  std::ifstream in(model_or_card, std::ios::binary);
  if (!in) {
    throw IoError("cannot open", model_or_card);
  }
  // A card is JSON (an object); ONNX protobuf never starts with '{'.
  if (in.peek() == '{') {
    return verified_onnx_path(read_model_card(model_or_card), model_or_card);
  }
  return model_or_card;
}

} // namespace edgent::model
