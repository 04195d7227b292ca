#pragma once

#include "core/json_view.hpp"

#include <nlohmann/json.hpp>

#include <span>
#include <string>
#include <string_view>

namespace edgent {

/// One kind of JSON artifact: its schema name, the versions readers accept, and the tool
/// that writes (and so regenerates) it.
struct ArtifactKind {
  std::string_view name;  ///< e.g. "profile", as in "edgent.profile/1"
  int oldest;             ///< oldest version readers still accept
  int current;            ///< version writers emit
  std::string_view tool;  ///< e.g. "edgent-profile"
};

/// Every artifact kind the suite knows.
std::span<const ArtifactKind> artifact_kinds();
/// The kind named @p name; throws std::logic_error for an unknown name (a programming error).
const ArtifactKind& artifact_kind(std::string_view name);

/// `edgent.<kind>/<current>`.
std::string schema_id(const ArtifactKind& kind);

/// The generator block `{tool, version, git}`. With EDGENT_PIN_GENERATOR set in the
/// environment, version and git are "pinned" so that golden files stay stable.
nlohmann::json generator_json(const std::string& tool);

/// Stamps @p doc with "schema" and "generator" and writes it atomically to @p path
/// ("-" = standard output), pretty-printed with a trailing newline.
void write_artifact(const std::string& path, nlohmann::json doc, std::string_view kind,
                    const std::string& tool);

/// A parsed, kind- and version-checked artifact.
struct Artifact {
  nlohmann::json doc;
  std::string file;  ///< name for messages ("<stdin>" for "-")
  int version = 0;
  /// A view of the whole document for validated access.
  JsonView root() const { return JsonView(doc, file); }
};

/// Parses @p text as an artifact of @p kind. Throws SchemaError naming @p file and the key
/// for invalid JSON, a missing or malformed "schema", another kind, or an unsupported version
/// (saying which tool regenerates a stale file).
Artifact parse_artifact(std::string_view text, const std::string& file, std::string_view kind);

/// Reads and checks an artifact file ("-" = standard input).
Artifact read_artifact(const std::string& path, std::string_view kind);

} // namespace edgent
