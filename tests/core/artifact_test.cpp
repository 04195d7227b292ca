#include "core/artifact.hpp"

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace edgent {
namespace {

namespace fs = std::filesystem;

class ArtifactTest : public ::testing::Test {
protected:

  std::string path(const std::string& name) const { return (m_dir / name).string(); }

  void write_text(const std::string& name, const std::string& text) const {
    std::ofstream(path(name)) << text;
  }

  edgent::testing::TempDir m_tmp{"artifact"};
  fs::path m_dir = m_tmp.path();
};

/// The SchemaError message for reading @p text as a @p kind artifact named "x.json".
std::string schema_error(const std::string& text, std::string_view kind) {
  try {
    parse_artifact(text, "x.json", kind);
  } catch (const SchemaError& e) {
    return e.message();
  }
  return "<no error>";
}

TEST_F(ArtifactTest, RoundTripKeepsContentAndStampsSchemaAndGenerator) {
  nlohmann::json doc{{"role", "device"}, {"values", {1.5, 2.5}}};
  write_artifact(path("p.json"), doc, "profile", "edgent-profile");
  const Artifact art = read_artifact(path("p.json"), "profile");
  EXPECT_EQ(art.version, 1);
  EXPECT_EQ(art.doc.at("schema"), "edgent.profile/1");
  EXPECT_EQ(art.doc.at("generator").at("tool"), "edgent-profile");
  EXPECT_TRUE(art.doc.at("generator").contains("version"));
  EXPECT_TRUE(art.doc.at("generator").contains("git"));
  EXPECT_EQ(art.root().at("role").string(), "device");
  EXPECT_DOUBLE_EQ(art.root().at("values").at(1).number(), 2.5);
}

TEST_F(ArtifactTest, TruncatedFileNamesFileAndOffset) {
  write_artifact(path("p.json"), nlohmann::json{{"role", "edge"}}, "profile", "edgent-profile");
  std::string text = read_file(path("p.json"));
  text.resize(text.size() / 2);
  write_text("cut.json", text);
  try {
    read_artifact(path("cut.json"), "profile");
    FAIL() << "truncated artifact was accepted";
  } catch (const SchemaError& e) {
    EXPECT_EQ(e.file(), path("cut.json"));
    EXPECT_NE(e.message().find("invalid JSON at byte"), std::string::npos) << e.message();
    EXPECT_EQ(e.exit_code(), ExitCode::usage);
  }
}

TEST_F(ArtifactTest, EmptyFileIsAClearError) {
  EXPECT_NE(schema_error("", "plan").find("empty file"), std::string::npos);
}

TEST(ArtifactSchema, WrongKindNamesBothKindsAndTheWriter) {
  const std::string msg = schema_error(R"({"schema": "edgent.fit/1"})", "profile");
  EXPECT_EQ(msg, "x.json: schema: expected an edgent.profile artifact (written by edgent-profile), "
                 "got edgent.fit");
}

TEST(ArtifactSchema, NewerVersionSaysUpgrade) {
  const std::string msg = schema_error(R"({"schema": "edgent.plan/9"})", "plan");
  EXPECT_NE(msg.find("x.json: schema: version 9 is newer"), std::string::npos) << msg;
  EXPECT_NE(msg.find("edgent-plan"), std::string::npos) << msg;
}

TEST(ArtifactSchema, OlderVersionSaysWhichToolRegenerates) {
  const std::string msg = schema_error(R"({"schema": "edgent.fit/0"})", "fit");
  EXPECT_EQ(msg, "x.json: schema: version 0 is too old (oldest read: 1): regenerate it with edgent-fit");
}

TEST(ArtifactSchema, MissingOrMalformedSchema) {
  EXPECT_EQ(schema_error(R"({"role": "x"})", "profile"), "x.json: schema: missing required key");
  EXPECT_EQ(schema_error(R"({"schema": 3})", "profile"),
            "x.json: schema: must be a string, got number");
  EXPECT_NE(schema_error(R"({"schema": "profile/1"})", "profile").find("not of the form"),
            std::string::npos);
  EXPECT_NE(schema_error(R"({"schema": "edgent.profile/one"})", "profile").find("no valid version"),
            std::string::npos);
  EXPECT_NE(schema_error(R"([1, 2])", "profile").find("must be a JSON object"), std::string::npos);
}

TEST(ArtifactSchema, MissingKeyAndWrongTypeNameTheKeyPath) {
  const Artifact art = parse_artifact(
      R"({"schema": "edgent.profile/1", "layers": [{"latency_ms": 1.0}, {"latency_ms": "fast"}]})",
      "p.json", "profile");
  const JsonView layers = art.root().at("layers");
  EXPECT_DOUBLE_EQ(layers.at(0).at("latency_ms").number(), 1.0);
  try {
    layers.at(1).at("latency_ms").number();
    FAIL();
  } catch (const SchemaError& e) {
    EXPECT_EQ(e.message(), "p.json: layers[1].latency_ms: must be a number, got string");
  }
  try {
    layers.at(0).at("median_ms");
    FAIL();
  } catch (const SchemaError& e) {
    EXPECT_EQ(e.message(), "p.json: layers[0].median_ms: missing required key");
  }
}

TEST(ArtifactKinds, EveryKindNamesItsTool) {
  for (const ArtifactKind& kind : artifact_kinds()) {
    EXPECT_EQ(kind.tool.rfind("edgent-", 0), 0u) << kind.name;
    EXPECT_LE(kind.oldest, kind.current) << kind.name;
  }
  EXPECT_THROW(artifact_kind("no-such-kind"), std::logic_error);
}

} // namespace
} // namespace edgent
