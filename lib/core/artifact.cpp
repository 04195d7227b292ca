#include "core/artifact.hpp"

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/parse_number.hpp"
#include "core/version.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdlib>
#include <stdexcept>

// Every artifact's top level:
//   {
//     "schema": "edgent.<kind>/<version>",
//     "generator": { "tool": "edgent-<tool>", "version": "0.1.0", "git": "<hash>" },
//     ... kind-specific keys ...
//   }

namespace edgent {

namespace {

constexpr std::array kKinds{
    ArtifactKind{"model", 1, 1, "edgent-train"},
    ArtifactKind{"accuracy", 1, 1, "edgent-eval"},
    ArtifactKind{"profile", 1, 1, "edgent-profile"},
    ArtifactKind{"fit", 1, 1, "edgent-fit"},
    ArtifactKind{"plan", 1, 1, "edgent-plan"},
    ArtifactKind{"sweep", 1, 1, "edgent-plan"},
    ArtifactKind{"configmap", 1, 1, "edgent-mapbuild"},
    ArtifactKind{"evaluation", 1, 1, "edgent-mapbuild"},
    ArtifactKind{"run", 1, 1, "edgent-infer"},
    ArtifactKind{"cascade", 1, 1, "edgent-eval"},
};

constexpr std::string_view kPrefix = "edgent.";

} // namespace

std::span<const ArtifactKind> artifact_kinds() { return kKinds; }

const ArtifactKind& artifact_kind(std::string_view name) {
  for (const auto& kind : kKinds) {
    if (kind.name == name) {
      return kind;
    }
  }
  throw std::logic_error("unknown artifact kind: " + std::string(name));
}

std::string schema_id(const ArtifactKind& kind) {
  return fmt::format("{}{}/{}", kPrefix, kind.name, kind.current);
}

nlohmann::json generator_json(const std::string& tool) {
  const bool pinned = std::getenv("EDGENT_PIN_GENERATOR") != nullptr;
  return nlohmann::json{{"tool", tool},
                        {"version", pinned ? "pinned" : version()},
                        {"git", pinned ? "pinned" : git_hash()}};
}

void write_artifact(const std::string& path, nlohmann::json doc, std::string_view kind,
                    const std::string& tool) {
  const ArtifactKind& k = artifact_kind(kind);
  if (!doc.is_object()) {
    throw std::logic_error("an artifact must be a JSON object");
  }
  doc["schema"] = schema_id(k);
  doc["generator"] = generator_json(tool);
  try {
    write_file_atomic(path, doc.dump(2) + "\n");
  } catch (Error& e) {
    e.set_file_if_empty(display_name(path, /*output=*/true));
    throw;
  }
}

Artifact parse_artifact(std::string_view text, const std::string& file, std::string_view kind) {
  const ArtifactKind& want = artifact_kind(kind);
  Artifact art;
  art.file = file;
  art.doc = parse_json(text, file);
  const JsonView root = art.root();
  if (!art.doc.is_object()) {
    root.fail(fmt::format("must be a JSON object (an edgent.{} artifact), got {}", want.name,
                          art.doc.type_name()));
  }
  const std::string schema = root.at("schema").string();
  // "edgent.<kind>/<version>"
  const auto slash = schema.rfind('/');
  if (schema.rfind(kPrefix, 0) != 0 || slash == std::string::npos || slash <= kPrefix.size()) {
    throw SchemaError(fmt::format("'{}' is not of the form edgent.<kind>/<version>", schema), file,
                      "schema");
  }
  const std::string got_kind = schema.substr(kPrefix.size(), slash - kPrefix.size());
  const auto parsed = parse_integer(std::string_view(schema).substr(slash + 1),
                                    std::numeric_limits<int>::min(), std::numeric_limits<int>::max());
  if (!parsed) {
    throw SchemaError(fmt::format("'{}' has no valid version number", schema), file, "schema");
  }
  const int got_version = static_cast<int>(*parsed);
  if (got_kind != want.name) {
    throw SchemaError(fmt::format("expected an edgent.{} artifact (written by {}), got edgent.{}",
                                  want.name, want.tool, got_kind),
                      file, "schema");
  }
  if (got_version > want.current) {
    throw SchemaError(fmt::format("version {} is newer than this edgent reads (up to {}): "
                                  "upgrade edgent or regenerate the file with {} {}",
                                  got_version, want.current, want.tool, version()),
                      file, "schema");
  }
  if (got_version < want.oldest) {
    throw SchemaError(fmt::format("version {} is too old (oldest read: {}): regenerate it with {}",
                                  got_version, want.oldest, want.tool),
                      file, "schema");
  }
  art.version = got_version;
  return art;
}

Artifact read_artifact(const std::string& path, std::string_view kind) {
  const std::string name = display_name(path);
  return parse_artifact(read_file(path), name, kind);
}

} // namespace edgent
