#include "model/accuracy_json.hpp"

#include "core/json_view.hpp"

// edgent.accuracy/1 (lib/schema/accuracy.1.json), written by edgent-eval:
//   model_sha256          hex SHA-256 of the ONNX file
//   samples               number of test images measured
//   wire_bytes_samples    images whose encoded sizes were averaged (min(samples, 1000));
//                         absent in tables from before it
//   entries [{exit, cut, codec, accuracy|null, wire_bytes|null}]
//     accuracy = top-1 fraction in [0, 1]; wire_bytes = mean message bytes (80-byte header
//     included) over the first wire_bytes_samples images; both null when samples is 0

namespace edgent::model {

nlohmann::json to_json(const AccuracyTable& table) {
  nlohmann::json doc;
  doc["model_sha256"] = table.model_sha256;
  doc["samples"] = table.samples;
  doc["wire_bytes_samples"] = table.wire_bytes_samples;
  nlohmann::json list = nlohmann::json::array();
  for (const AccuracyRecord& e : table.entries) {
    list.push_back({{"exit", e.exit}, {"cut", e.cut}, {"codec", e.codec},
                    {"accuracy", json_or_null(e.accuracy)}, {"wire_bytes", json_or_null(e.wire_bytes)}});
  }
  doc["entries"] = std::move(list);
  return doc;
}

AccuracyTable read_accuracy(const Artifact& artifact) {
  const JsonView root = artifact.root();
  AccuracyTable t;
  t.model_sha256 = root.at("model_sha256").string();
  if (const auto samples = root.find("samples")) {
    t.samples = static_cast<std::size_t>(samples->integer(0, std::int64_t{1} << 40));
  }
  if (const auto n = root.find("wire_bytes_samples")) {
    t.wire_bytes_samples = static_cast<std::size_t>(n->integer(0, std::int64_t{1} << 40));
  }
  for (const JsonView& entry : root.at("entries").elements()) {
    AccuracyRecord r;
    r.exit = static_cast<int>(entry.at("exit").integer(1, 1000));
    r.codec = entry.at("codec").string();
    r.cut = static_cast<int>(entry.at("cut").integer(0, 1000000));
    r.accuracy = entry.at("accuracy").optional_number();
    if (r.accuracy && !(*r.accuracy >= 0 && *r.accuracy <= 1)) {
      entry.at("accuracy").fail("must be in [0, 1] or null");
    }
    if (const auto bytes = entry.find("wire_bytes"); bytes && !bytes->is_null()) {
      r.wire_bytes = bytes->number(0, 1e12);
    }
    t.entries.push_back(std::move(r));
  }
  return t;
}

} // namespace edgent::model
