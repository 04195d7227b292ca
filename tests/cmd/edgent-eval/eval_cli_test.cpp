// edgent-eval run as a binary: the artifact it writes, and its exit codes.
#include "core/artifact.hpp"
#include "core/file_io.hpp"
#include "model/reference_models.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <random>

namespace edgent {
namespace {

namespace fs = std::filesystem;

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

int run(const std::string& args) { return testing::run_tool("edgent-eval", args).code; }

TEST(EdgentEvalCli, WritesTheAccuracyTable) {
  const testing::TempDir dir("eval-cli");
  write_file_atomic((dir.path() / "m.onnx").string(), model::chain_model(4).serialize());
  std::mt19937 rng(1);
  std::string pixels(6 * 28 * 28, '\0');
  for (auto& p : pixels) {
    p = static_cast<char>(rng() & 0xff);
  }
  write_gz(dir.path() / "t10k-images-idx3-ubyte.gz",
           be32(0x803) + be32(6) + be32(28) + be32(28) + pixels);
  write_gz(dir.path() / "t10k-labels-idx1-ubyte.gz",
           be32(0x801) + be32(6) + std::string("\x01\x02\x03\x04\x05\x06", 6));
  const std::string common = "--quiet --onnx " + (dir.path() / "m.onnx").string() + " --data " +
                             dir.path().string();
  const std::string out = (dir.path() / "acc.json").string();
  ASSERT_EQ(run(common + " --limit 4 --codecs fp32,int8+zstd -o " + out), 0);
  const Artifact a = read_artifact(out, "accuracy");
  EXPECT_EQ(a.doc["samples"], 4);
  EXPECT_EQ(a.doc["model_sha256"], sha256_file((dir.path() / "m.onnx").string()));
  EXPECT_EQ(a.doc["entries"].size(), 10u * 2u);  // chain of 9 units: cuts 0..9, two codecs
  EXPECT_EQ(a.doc["entries"][1]["codec"], "int8+zstd");
  // Exit codes: unknown codec 2, missing data directory 1, missing options 2, a card
  // together with --onnx or with explicit normalisation 2.
  EXPECT_EQ(run(common + " --codecs int4 -o " + out), 2);
  EXPECT_EQ(run("--onnx " + (dir.path() / "m.onnx").string() + " --data " +
                (dir.path() / "none").string() + " -o " + out),
            1);
  EXPECT_EQ(run("-o " + out), 2);
  EXPECT_EQ(run(common + " --model card.json -o " + out), 2);
  EXPECT_EQ(run("--model card.json --mean 0.5 --data " + dir.path().string() + " -o " + out), 2);
  // An empty test set is refused rather than written as a table of nulls.
  fs::create_directories(dir.path() / "empty");
  write_gz(dir.path() / "empty" / "t10k-images-idx3-ubyte.gz", be32(0x803) + be32(0) + be32(28) + be32(28));
  write_gz(dir.path() / "empty" / "t10k-labels-idx1-ubyte.gz", be32(0x801) + be32(0));
  EXPECT_EQ(run("--onnx " + (dir.path() / "m.onnx").string() + " --data " +
                (dir.path() / "empty").string() + " -o " + (dir.path() / "e.json").string()),
            1);
  EXPECT_FALSE(fs::exists(dir.path() / "e.json"));
}

TEST(EdgentEvalCli, TakesTheNormalisationFromTheCard) {
  const std::string card = std::string(EDGENT_SOURCE_DIR) + "/models/branchy-alexnet-fmnist.json";
  const std::string data = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(data)) {
    GTEST_SKIP() << "no Fashion-MNIST at " << data;
  }
  const testing::TempDir dir("eval-cli");
  const std::string out = (dir.path() / "acc.json").string();
  ASSERT_EQ(run("--quiet --model " + card + " --data " + data + " --limit 20 --codecs fp32 -o " + out),
            0);
  const Artifact a = read_artifact(out, "accuracy");
  EXPECT_EQ(a.doc["samples"], 20);
  // With the card's normalisation the trained model gets most of 20 test images right at
  // its last exit's output.
  double last = -1;
  int cut_max = -1;
  for (const auto& e : a.doc["entries"]) {
    if (e["exit"] == 5 && e["cut"].get<int>() > cut_max) {
      cut_max = e["cut"].get<int>();
      last = e["accuracy"].get<double>();
    }
  }
  EXPECT_GE(last, 0.7);
}

} // namespace
} // namespace edgent
