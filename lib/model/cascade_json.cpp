#include "model/cascade_json.hpp"

#include "core/error.hpp"
#include "core/json_view.hpp"

#include <fmt/format.h>

#include <cmath>

// edgent.cascade/1 (lib/schema/cascade.1.json), written by edgent-eval --cascades:
//   model_sha256   hex SHA-256 of the ONNX file
//   samples        number of test images measured
//   confidence     "top-probability": an input leaves at an exit when its top softmax
//                  probability there exceeds the exit's threshold
//   thresholds     [tau, ...] the grid the entries use
//   entries [{exits [e, ...], thresholds [tau per non-final exit], accuracy,
//             leave [fraction per exit of exits]}]

namespace edgent::model {

nlohmann::json to_json(const CascadeTable& table) {
  nlohmann::json doc;
  doc["model_sha256"] = table.model_sha256;
  doc["samples"] = table.samples;
  doc["confidence"] = table.confidence;
  doc["thresholds"] = table.thresholds;
  nlohmann::json list = nlohmann::json::array();
  for (const CascadeRecord& e : table.entries) {
    list.push_back({{"exits", e.cascade.exits},
                    {"thresholds", e.cascade.thresholds},
                    {"accuracy", e.accuracy},
                    {"leave", e.leave}});
  }
  doc["entries"] = std::move(list);
  return doc;
}

CascadeTable read_cascade_table(const Artifact& artifact) {
  const JsonView root = artifact.root();
  CascadeTable t;
  t.model_sha256 = root.at("model_sha256").string();
  t.samples = static_cast<std::size_t>(root.at("samples").integer(1, std::int64_t{1} << 40));
  t.confidence = root.at("confidence").string();
  if (t.confidence != kConfidenceMeasure) {
    root.at("confidence").fail(fmt::format("must be \"{}\"", kConfidenceMeasure));
  }
  for (const JsonView& tau : root.at("thresholds").elements()) {
    t.thresholds.push_back(tau.number(0, 1));
  }
  std::size_t index = 0;
  for (const JsonView& entry : root.at("entries").elements()) {
    CascadeRecord r;
    for (const JsonView& e : entry.at("exits").elements()) {
      r.cascade.exits.push_back(static_cast<int>(e.integer(1, 1000)));
    }
    for (const JsonView& tau : entry.at("thresholds").elements()) {
      r.cascade.thresholds.push_back(tau.number(0, 1));
    }
    try {
      check_cascade(r.cascade, artifact.file);
    } catch (const ConfigError& e) {
      throw SchemaError(e.detail(), artifact.file, fmt::format("entries[{}].{}", index, e.key()));
    }
    r.accuracy = entry.at("accuracy").number(0, 1);
    double sum = 0;
    for (const JsonView& f : entry.at("leave").elements()) {
      r.leave.push_back(f.number(0, 1));
      sum += r.leave.back();
    }
    if (r.leave.size() != r.cascade.exits.size()) {
      entry.at("leave").fail(fmt::format("must hold one fraction per exit ({})",
                                         r.cascade.exits.size()));
    }
    if (std::abs(sum - 1.0) > 1e-6) {
      entry.at("leave").fail(fmt::format("fractions must sum to 1, got {}", sum));
    }
    t.entries.push_back(std::move(r));
    ++index;
  }
  return t;
}

} // namespace edgent::model
