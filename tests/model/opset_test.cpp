// Analysis and split execution across the opsets the importer accepts, with the fusions
// OpenCV performs (Conv+BatchNorm+Relu, MatMul+Add+Relu).
#include "model/partition.hpp"
#include "model/segment_runner.hpp"

#include "core/error.hpp"
#include "model/onnx_builder.hpp"

#include <gtest/gtest.h>
#include <opencv2/dnn.hpp>

#include <random>

namespace edgent::model {
namespace {

std::vector<float> values(std::size_t n, std::mt19937& rng, float lo, float hi) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) {
    x = dist(rng);
  }
  return v;
}

OnnxBuilder fused_model(std::int64_t opset) {
  std::mt19937 rng(static_cast<std::uint32_t>(opset));
  OnnxBuilder b("fused", opset);
  b.input("input", {1, 2, 8, 8});
  b.conv("input", "conv", values(4 * 2 * 9, rng, -0.4f, 0.4f), {}, 2, 4, 3, 1, 1);
  b.initializer("bn.scale", {4}, values(4, rng, 0.5f, 1.5f));
  b.initializer("bn.bias", {4}, values(4, rng, -0.1f, 0.1f));
  b.initializer("bn.mean", {4}, values(4, rng, -0.1f, 0.1f));
  b.initializer("bn.var", {4}, values(4, rng, 0.5f, 1.5f));
  b.node("BatchNormalization", {"conv", "bn.scale", "bn.bias", "bn.mean", "bn.var"}, {"bn"});
  b.relu("bn", "relu");
  b.max_pool("relu", "pool", 2, 2);  // [1,4,4,4]
  b.flatten("pool", "flat");
  b.initializer("mm.w", {64, 16}, values(64 * 16, rng, -0.2f, 0.2f));
  b.initializer("mm.b", {16}, values(16, rng, -0.1f, 0.1f));
  b.node("MatMul", {"flat", "mm.w"}, {"mm"});
  b.node("Add", {"mm", "mm.b"}, {"mm_add"});
  b.relu("mm_add", "mm_relu");
  b.gemm("mm_relu", "logits", values(10 * 16, rng, -0.3f, 0.3f), values(10, rng, -0.1f, 0.1f), 16, 10);
  b.softmax("logits", "exit1");
  b.output("exit1", {1, 10});
  return b;
}

class Opsets : public ::testing::TestWithParam<std::int64_t> {};

TEST_P(Opsets, AnalysesAndSplitsEqualWhole) {
  const OnnxBuilder b = fused_model(GetParam());
  const auto g = OnnxGraph::from_bytes(b.serialize(), "fused.onnx");
  EXPECT_EQ(g->opset(), GetParam());
  SegmentRunner runner(g, 1);
  const ExitChain& c = runner.chain(1);
  ASSERT_EQ(c.size(), 5);
  EXPECT_EQ(c.units[0].ops, (std::vector<std::string>{"Conv", "BatchNormalization", "Relu"}));
  EXPECT_EQ(c.units[0].type, UnitType::conv);
  EXPECT_EQ(c.units[0].params, 4 * 2 * 9 + 4 * 4);
  EXPECT_EQ(c.units[2].ops, (std::vector<std::string>{"Flatten", "MatMul", "Add", "Relu"}));
  EXPECT_EQ(c.units[2].type, UnitType::fc);
  EXPECT_EQ(c.units[3].type, UnitType::fc);
  EXPECT_EQ(c.units[4].type, UnitType::softmax);

  std::mt19937 rng(1);
  cv::Mat input(std::vector<int>{1, 2, 8, 8}, CV_32F);
  for (std::size_t i = 0; i < input.total(); ++i) {
    input.ptr<float>()[i] = std::uniform_real_distribution<float>(-1, 1)(rng);
  }
  const std::string bytes = b.serialize();
  cv::dnn::Net whole = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
  whole.setInput(input);
  const cv::Mat expected = whole.forward("exit1").clone();
  for (const int cut : c.cut_points()) {
    const cv::Mat mid = cut == 0 ? input : runner.run(1, 0, cut, input);
    const cv::Mat out = cut == c.size() ? mid : runner.run(1, cut, c.size(), mid);
    EXPECT_LE(cv::norm(out.reshape(1, 1), expected.reshape(1, 1), cv::NORM_INF), 1e-5)
        << "cut " << cut;
  }
}

INSTANTIATE_TEST_SUITE_P(Partition, Opsets, ::testing::Values(7, 9, 11, 13, 18));

TEST(Opsets, OutOfRangeOpsetsAreRefused) {
  for (const std::int64_t opset : {6, 19}) {
    OnnxBuilder b("x", opset);
    b.input("input", {1, 4});
    b.relu("input", "y");
    b.output("y");
    EXPECT_THROW(OnnxGraph::from_bytes(b.serialize(), "x.onnx"), ModelError) << opset;
  }
}

} // namespace
} // namespace edgent::model

namespace edgent::model {
namespace {

TEST(OnnxGraphGuards, ZeroStrideOrKernelIsAModelErrorNotASigfpeInShapeInference) {
  // Found by tests/fuzz onnx_fuzz: libonnx's convPoolShapeInference divides by the stride.
  for (const char* attr : {"strides", "kernel_shape", "dilations"}) {
    OnnxBuilder b("zero");
    b.input("input", {1, 1, 8, 8});
    b.node("MaxPool", {"input"}, {"exit1"});
    b.output("exit1");
    auto* node = b.model().mutable_graph()->mutable_node(0);
    for (const char* a : {"kernel_shape", "strides", "dilations"}) {
      auto* p = node->add_attribute();
      p->set_name(a);
      p->set_type(onnx::AttributeProto::INTS);
      p->add_ints(std::string(a) == attr ? 0 : 2);
      p->add_ints(2);
    }
    try {
      (void)OnnxGraph::from_bytes(b.serialize(), "z.onnx");
      ADD_FAILURE() << attr << " 0 accepted";
    } catch (const ModelError& e) {
      EXPECT_NE(e.message().find(std::string("attribute ") + attr + " of MaxPool must be positive"),
                std::string::npos)
          << e.message();
    }
  }
}

TEST(OnnxGraphGuards, ConvWithoutKernelShapeTakesItFromItsWeightOrIsRefused) {
  // Found by tests/fuzz onnx_fuzz: libonnx read the kernel from a rank-4 weight and indexed
  // a rank-2 input's dims with it (SEGV).
  const std::vector<float> w(2 * 1 * 3 * 3, 0.1f);
  const std::vector<float> bias(2, 0.0f);
  const auto conv_model = [&](std::vector<std::int64_t> input_shape) {
    OnnxBuilder b("conv");
    b.input("input", input_shape);
    b.conv("input", "exit1", w, bias, 1, 2, 3, 1, 1);
    b.output("exit1");
    auto* node = b.model().mutable_graph()->mutable_node(0);
    auto* attrs = node->mutable_attribute();
    for (int i = 0; i < attrs->size(); ++i) {
      if ((*attrs)[i].name() == "kernel_shape") {
        attrs->DeleteSubrange(i, 1);
        break;
      }
    }
    return b.serialize();
  };
  const auto ok = OnnxGraph::from_bytes(conv_model({1, 1, 8, 8}), "ok.onnx");
  EXPECT_EQ(*ok->shape("exit1"), (std::vector<std::int64_t>{1, 2, 8, 8}));
  // Inference leaves the output shape unknown (libonnx refuses the kernel size quietly), so the
  // analysis refuses the model.
  EXPECT_THROW(analyse(*OnnxGraph::from_bytes(conv_model({1, 1048576}), "bad.onnx")), ModelError);
}

TEST(OnnxGraphGuards, TensorsTooLargeForAByteCountAreAModelError) {
  // Found by tests/fuzz onnx_fuzz (UBSan): output elements x 4 overflowed int64.
  OnnxBuilder b("huge");
  b.input("input", {1, 1, std::int64_t{1} << 31, std::int64_t{1} << 31});
  b.relu("input", "exit1");
  b.output("exit1");
  const auto g = OnnxGraph::from_bytes(b.serialize(), "huge.onnx");
  try {
    (void)analyse(*g);
    ADD_FAILURE() << "analysed";
  } catch (const ModelError& e) {
    EXPECT_NE(e.message().find("more than 2^59 elements"), std::string::npos) << e.message();
  }
}

} // namespace
} // namespace edgent::model
