// The ONNX fuzz target's seed models, built with OnnxBuilder: small valid graphs (a chain, two
// exits on one trunk, a residual block) and broken ones (a cycle, a dangling input, an
// unknown shape, a huge dim), each checked through check_onnx_bytes. With
// EDGENT_WRITE_FUZZ_CORPUS=DIR set, the test also writes them to DIR (the corpus-making step:
// EDGENT_WRITE_FUZZ_CORPUS=tests/fuzz/corpus/onnx build/tests/test_fuzz --gtest_filter='OnnxCorpus.*').
#include "support/onnx_fuzz_check.hpp"

#include "model/onnx_builder.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

namespace edgent::fuzz {
namespace {

using model::OnnxBuilder;

std::vector<float> values(std::size_t n) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    v[i] = 0.01f * static_cast<float>(i % 17) - 0.08f;
  }
  return v;
}

/// input [1,1,8,8] → conv(1→2, k3) → relu → pool → lrn → flatten → fc(32→4) → dropout → softmax.
OnnxBuilder tiny_chain() {
  OnnxBuilder b("tiny_chain");
  b.input("input", {1, 1, 8, 8});
  auto t = b.relu(b.conv("input", "conv1", values(18), values(2), 1, 2, 3, 1, 1), "relu1");
  t = b.max_pool(t, "pool1", 2, 2);
  t = b.lrn(t, "lrn1", 3);
  t = b.flatten(t, "flat");
  t = b.gemm(t, "fc1", values(32 * 4), values(4), 32, 4);
  t = b.dropout(t, "drop");
  b.softmax(t, "exit1");
  b.output("exit1", {1, 4});
  return b;
}

/// Two exits on a shared trunk: exit 1 after one conv, exit 2 after a second.
OnnxBuilder tiny_branchy() {
  OnnxBuilder b("tiny_branchy");
  b.input("input", {1, 1, 8, 8});
  const auto s1 = b.max_pool(b.relu(b.conv("input", "conv1", values(18), values(2), 1, 2, 3, 1, 1),
                                    "relu1"),
                             "pool1", 2, 2);
  b.gemm(b.flatten(s1, "b1_flat"), "exit1", values(32 * 3), values(3), 32, 3);
  auto t = b.relu(b.conv(s1, "conv2", values(36), values(2), 2, 2, 3, 1, 1), "relu2");
  t = b.avg_pool(t, "pool2", 2, 2);
  b.gemm(b.flatten(t, "b2_flat"), "exit2", values(8 * 3), values(3), 8, 3);
  b.output("exit1", {1, 3});
  b.output("exit2", {1, 3});
  return b;
}

/// A residual block (conv, relu, conv, add with the skip) then an exit: no cut inside.
OnnxBuilder tiny_residual() {
  OnnxBuilder b("tiny_residual");
  b.input("input", {1, 2, 4, 4});
  const auto a = b.relu(b.conv("input", "conv1", values(36), values(2), 2, 2, 3, 1, 1), "relu1");
  const auto c = b.conv(a, "conv2", values(36), values(2), 2, 2, 3, 1, 1);
  const auto s = b.relu(b.add(c, "input", "sum"), "relu2");
  b.gemm(b.flatten(s, "flat"), "exit1", values(32 * 2), values(2), 32, 2);
  b.output("exit1", {1, 2});
  return b;
}

std::map<std::string, std::string> seed_models() {
  std::map<std::string, std::string> out;
  out["chain.onnx"] = tiny_chain().serialize();
  out["branchy.onnx"] = tiny_branchy().serialize();
  out["residual.onnx"] = tiny_residual().serialize();
  {
    OnnxBuilder b = tiny_chain();  // relu1 also reads the softmax output: a cycle
    b.model().mutable_graph()->mutable_node(1)->add_input("exit1");
    out["cycle.onnx"] = b.serialize();
  }
  {
    OnnxBuilder b = tiny_chain();
    b.model().mutable_graph()->mutable_node(2)->set_input(0, "nowhere");
    out["dangling.onnx"] = b.serialize();
  }
  {
    OnnxBuilder b("unknown_shape");
    b.input("input", {1, 1, 8, 8});
    b.node("NoSuchOp", {"input"}, {"mystery"});
    b.relu("mystery", "exit1");
    b.output("exit1");
    out["unknown_shape.onnx"] = b.serialize();
  }
  {
    OnnxBuilder b("huge");
    b.input("input", {1, 1, 1 << 20, 1 << 20});
    b.relu(b.conv("input", "conv1", values(18), values(2), 1, 2, 3, 1, 1), "exit1");
    b.output("exit1");
    out["huge_dims.onnx"] = b.serialize();
  }
  return out;
}

TEST(OnnxCorpus, SeedModelsAreSmallAndAnalysedOrRefused) {
  const auto seeds = seed_models();
  for (const auto& [name, bytes] : seeds) {
    EXPECT_LT(bytes.size(), 8192u) << name;
  }
  EXPECT_TRUE(check_onnx_bytes(seeds.at("chain.onnx")));
  EXPECT_TRUE(check_onnx_bytes(seeds.at("branchy.onnx")));
  EXPECT_TRUE(check_onnx_bytes(seeds.at("residual.onnx")));
  EXPECT_FALSE(check_onnx_bytes(seeds.at("cycle.onnx")));
  EXPECT_FALSE(check_onnx_bytes(seeds.at("dangling.onnx")));
  EXPECT_FALSE(check_onnx_bytes(seeds.at("unknown_shape.onnx")));
  (void)check_onnx_bytes(seeds.at("huge_dims.onnx"));  // either way, without a crash
  if (const char* dir = std::getenv("EDGENT_WRITE_FUZZ_CORPUS")) {
    std::filesystem::create_directories(dir);
    for (const auto& [name, bytes] : seeds) {
      std::ofstream(std::filesystem::path(dir) / name, std::ios::binary) << bytes;
    }
  }
}

} // namespace
} // namespace edgent::fuzz
