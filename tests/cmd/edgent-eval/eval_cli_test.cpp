// edgent-eval run as a binary: the artifact it writes, and its exit codes.
#include "core/artifact.hpp"
#include "core/file_io.hpp"
#include "model/reference_models.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <sys/wait.h>

namespace edgent {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  TempDir() : path(fs::temp_directory_path() / ("edgent_eval_cli_" + std::to_string(::getpid()))) {
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path path;
};

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

void write_gz(const fs::path& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

int run(const std::string& args) {
  const std::string cmd = std::string(EDGENT_BIN_DIR) + "/edgent-eval " + args + " 2>/dev/null";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(EdgentEvalCli, WritesTheAccuracyTable) {
  TempDir dir;
  write_file_atomic((dir.path / "m.onnx").string(), model::chain_model(4).serialize());
  std::mt19937 rng(1);
  std::string pixels(6 * 28 * 28, '\0');
  for (auto& p : pixels) {
    p = static_cast<char>(rng() & 0xff);
  }
  write_gz(dir.path / "img.gz", be32(0x803) + be32(6) + be32(28) + be32(28) + pixels);
  write_gz(dir.path / "lab.gz", be32(0x801) + be32(6) + std::string("\x01\x02\x03\x04\x05\x06", 6));
  const std::string common = "--quiet --onnx " + (dir.path / "m.onnx").string() + " --idx-images " +
                             (dir.path / "img.gz").string() + " --idx-labels " +
                             (dir.path / "lab.gz").string();
  const std::string out = (dir.path / "acc.json").string();
  ASSERT_EQ(run(common + " --limit 4 --codecs fp32,int8+zstd -o " + out), 0);
  const Artifact a = read_artifact(out, "accuracy");
  EXPECT_EQ(a.doc["samples"], 4);
  EXPECT_EQ(a.doc["model_sha256"], sha256_file((dir.path / "m.onnx").string()));
  EXPECT_EQ(a.doc["entries"].size(), 10u * 2u);  // chain of 9 units: cuts 0..9, two codecs
  EXPECT_EQ(a.doc["entries"][1]["codec"], "int8+zstd");
  // Exit codes: unknown codec 2, missing data file 1, missing options 2.
  EXPECT_EQ(run(common + " --codecs int4 -o " + out), 2);
  EXPECT_EQ(run("--onnx " + (dir.path / "m.onnx").string() + " --idx-images " +
                (dir.path / "none.gz").string() + " --idx-labels x -o " + out),
            1);
  EXPECT_EQ(run("-o " + out), 2);
  // An empty test set is refused rather than written as a table of nulls.
  write_gz(dir.path / "empty.gz", be32(0x803) + be32(0) + be32(28) + be32(28));
  write_gz(dir.path / "empty_lab.gz", be32(0x801) + be32(0));
  EXPECT_EQ(run("--onnx " + (dir.path / "m.onnx").string() + " --idx-images " +
                (dir.path / "empty.gz").string() + " --idx-labels " +
                (dir.path / "empty_lab.gz").string() + " -o " + (dir.path / "e.json").string()),
            1);
  EXPECT_FALSE(fs::exists(dir.path / "e.json"));
}

} // namespace
} // namespace edgent
