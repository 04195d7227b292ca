#include "model/partition.hpp"

#include "core/error.hpp"
#include "model/onnx_graph.hpp"
#include "model/reference_models.hpp"
#include "model/segment_runner.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace edgent::model {
namespace {

std::shared_ptr<const OnnxGraph> load(const OnnxBuilder& b) {
  return OnnxGraph::from_bytes(b.serialize(), b.model().graph().name() + ".onnx");
}

std::vector<std::string> types(const ExitChain& c) {
  std::vector<std::string> out;
  for (const auto& u : c.units) {
    out.emplace_back(unit_type_name(u.type));
  }
  return out;
}

TEST(OnnxGraph, InfersShapesAndIndexes) {
  const auto g = load(chain_model(1));
  EXPECT_EQ(g->input_name(), "input");
  ASSERT_EQ(g->outputs().size(), 1u);
  EXPECT_EQ(*g->shape("pool1"), (std::vector<std::int64_t>{1, 8, 14, 14}));
  EXPECT_EQ(*g->shape("flat"), (std::vector<std::int64_t>{1, 784}));
  EXPECT_EQ(g->producer("input"), -1);
  EXPECT_EQ(g->consumers("relu1").size(), 1u);
  EXPECT_TRUE(g->depends_on_input("conv2"));
  EXPECT_FALSE(g->depends_on_input("conv2.weight"));
}

TEST(OnnxGraph, RejectsGarbageAndUnsupportedOpsets) {
  EXPECT_THROW(OnnxGraph::from_bytes("this is not protobuf \xff\xff", "x.onnx"), ModelError);
  OnnxBuilder old("old", 6);
  old.input("input", {1, 4});
  old.relu("input", "y");
  old.output("y");
  EXPECT_THROW(load(old), ModelError);
  OnnxBuilder two("two");
  two.input("a", {1, 4});
  two.input("b", {1, 4});
  two.add("a", "b", "y");
  two.output("y");
  EXPECT_THROW(load(two), ModelError);
  OnnxBuilder dangling("dangling");
  dangling.input("input", {1, 4});
  dangling.relu("nowhere", "y");
  dangling.output("y");
  EXPECT_THROW(load(dangling), ModelError);
}

TEST(OnnxGraph, FixesSymbolicBatchToOne) {
  OnnxBuilder b("sym");
  b.input("input", {1, 4});
  b.model().mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()
      ->mutable_shape()->mutable_dim(0)->set_dim_param("N");
  b.relu("input", "y");
  b.output("y");
  const auto g = load(b);
  EXPECT_EQ(*g->shape("y"), (std::vector<std::int64_t>{1, 4}));
}

TEST(Partition, ChainGroupsFusedNodesAndCutsEverywhere) {
  const auto g = load(chain_model(1));
  const Partition p = analyse(*g);
  ASSERT_EQ(p.exits.size(), 1u);
  const ExitChain& c = p.exits[0];
  EXPECT_EQ(types(c), (std::vector<std::string>{"conv", "pool", "lrn", "conv", "pool", "fc",
                                                "dropout", "fc", "softmax"}));
  EXPECT_EQ(c.units[0].ops, (std::vector<std::string>{"Conv", "Relu"}));
  EXPECT_EQ(c.units[5].ops, (std::vector<std::string>{"Flatten", "Gemm", "Relu"}));
  for (int u = 0; u < c.size(); ++u) {
    EXPECT_EQ(c.units[static_cast<std::size_t>(u)].index, u + 1);
  }
  // Every boundary of a chain is a cut point.
  std::vector<int> all;
  for (int k = 0; k <= c.size(); ++k) {
    all.push_back(k);
  }
  EXPECT_EQ(c.cut_points(), all);
  EXPECT_EQ(c.cut_tensor[0], "input");
  EXPECT_EQ(c.cut_tensor[1], "relu1");
  EXPECT_EQ(c.cut_tensor[9], "exit1");
}

TEST(Partition, UnitFeaturesFlopsParamsAndBytes) {
  const auto g = load(chain_model(1));
  const Partition p = analyse(*g);
  const ExitChain& c = p.exits[0];
  const Unit& conv1 = c.units[0];
  EXPECT_EQ(conv1.name, "relu1");
  EXPECT_DOUBLE_EQ(conv1.features.at("in_size"), 28 * 28);
  EXPECT_DOUBLE_EQ(conv1.features.at("filter_term"), 25.0 * 8);  // (5/1)^2 * 8 filters
  EXPECT_DOUBLE_EQ(conv1.features.at("out_size"), 8 * 28 * 28);
  EXPECT_EQ(conv1.params, 8 * 25 + 8);
  // conv: 2 * out * (cin k k) + bias, relu: out.
  const double out = 8 * 28 * 28;
  EXPECT_DOUBLE_EQ(conv1.flops, 2 * out * 25 + out + out);
  EXPECT_EQ(conv1.output_bytes, 8 * 28 * 28 * 4);
  const Unit& pool1 = c.units[1];
  EXPECT_DOUBLE_EQ(pool1.features.at("in_size"), 8 * 28 * 28);
  EXPECT_DOUBLE_EQ(pool1.features.at("out_size"), 8 * 14 * 14);
  EXPECT_EQ(pool1.params, 0);
  const Unit& fc1 = c.units[5];
  EXPECT_DOUBLE_EQ(fc1.features.at("in_size"), 784);
  EXPECT_DOUBLE_EQ(fc1.features.at("out_size"), 64);
  EXPECT_EQ(fc1.params, 784 * 64 + 64);
  EXPECT_DOUBLE_EQ(fc1.features.at("flatten"), 1.0) << "fc1 holds the Flatten before it";
  const auto last_fc = std::find_if(c.units.rbegin(), c.units.rend(),
                                    [](const Unit& u) { return u.type == UnitType::fc; });
  ASSERT_NE(last_fc, c.units.rend());
  EXPECT_NE(last_fc->name, fc1.name);
  EXPECT_DOUBLE_EQ(last_fc->features.at("flatten"), 0.0) << "an fc after an fc flattens nothing";
  EXPECT_EQ(c.units[6].features.size(), 1u);  // dropout: in_size only
  EXPECT_GT(c.flops(0, c.size()), c.flops(0, 1));
}

TEST(Partition, BranchyExitsShareTheTrunk) {
  const auto g = load(branchy_alexnet(7));
  const Partition p = analyse(*g);
  ASSERT_EQ(p.exits.size(), 5u);
  const ExitChain& e1 = p.exit(1);
  const ExitChain& e5 = p.exit(5);
  // Exit 1: conv1, pool1, lrn1, then its branch conv, pool, fc.
  EXPECT_EQ(types(e1), (std::vector<std::string>{"conv", "pool", "lrn", "conv", "pool", "fc"}));
  EXPECT_EQ(e1.units[2].name, "lrn1");
  EXPECT_EQ(e5.units[2].name, "lrn1");
  EXPECT_EQ(e5.units[3].name, "relu2");
  EXPECT_EQ(e1.cut_points().size(), 7u);  // 0..6
  EXPECT_EQ(e5.cut_points().size(), static_cast<std::size_t>(e5.size()) + 1);
  EXPECT_THROW(p.exit(6), ConfigError);
  EXPECT_THROW(p.exit(0), ConfigError);
  // About 100 MFLOP to the last exit.
  EXPECT_GT(e5.flops(0, e5.size()), 80e6);
  EXPECT_LT(e5.flops(0, e5.size()), 150e6);
}

TEST(Partition, ResidualAndInceptionBlocksCutOnlyAtBoundaries) {
  const auto g = load(residual_model(3));
  const Partition p = analyse(*g);
  const ExitChain& e1 = p.exit(1);
  // stem, res_conv1+relu, res_conv2, add, relu, pool, fc.
  EXPECT_EQ(types(e1), (std::vector<std::string>{"conv", "conv", "conv", "eltwise", "relu",
                                                 "pool", "fc"}));
  EXPECT_EQ(e1.cut_points(), (std::vector<int>{0, 1, 4, 5, 6, 7}));
  EXPECT_FALSE(e1.is_cut_point(2));
  EXPECT_FALSE(e1.is_cut_point(3));
  EXPECT_THROW(extract_segment(*g, e1, 0, 2), ConfigError);
  EXPECT_THROW(extract_segment(*g, e1, 3, 7), ConfigError);
  const ExitChain& e2 = p.exit(2);
  // ... pool1 (6), inc_a (7), inc_b (8), concat (9), pool2 (10), fc (11).
  ASSERT_EQ(e2.size(), 11);
  EXPECT_TRUE(e2.is_cut_point(6));
  EXPECT_FALSE(e2.is_cut_point(7));
  EXPECT_FALSE(e2.is_cut_point(8));
  EXPECT_TRUE(e2.is_cut_point(9));
  EXPECT_EQ(e2.cut_tensor[9], "inc_out");
}

TEST(Partition, ExtractedSegmentIsAStandaloneValidModel) {
  const auto g = load(chain_model(1));
  const Partition p = analyse(*g);
  const ExitChain& c = p.exits[0];
  const onnx::ModelProto m = extract_segment(*g, c, 2, 6);
  EXPECT_NO_THROW(check_onnx(m));
  ASSERT_EQ(m.graph().input_size(), 1);
  EXPECT_EQ(m.graph().input(0).name(), "pool1");
  EXPECT_EQ(m.graph().input(0).type().tensor_type().shape().dim_size(), 4);
  EXPECT_EQ(m.graph().output(0).name(), "fc1_relu");
  // lrn, conv2+relu2, pool2, flatten+fc1+relu.
  EXPECT_EQ(m.graph().node_size(), 7);
  std::vector<std::string> inits;
  for (const auto& t : m.graph().initializer()) {
    inits.push_back(t.name());
  }
  std::sort(inits.begin(), inits.end());
  EXPECT_EQ(inits, (std::vector<std::string>{"conv2.bias", "conv2.weight", "fc1.bias",
                                             "fc1.weight"}));
  EXPECT_THROW(extract_segment(*g, c, 3, 3), ConfigError);
  EXPECT_THROW(extract_segment(*g, c, 4, 2), ConfigError);
  EXPECT_THROW(extract_segment(*g, c, -1, 2), ConfigError);
  EXPECT_THROW(extract_segment(*g, c, 0, 10), ConfigError);
}

TEST(Partition, ConstantSubgraphsTravelWithTheirSegment) {
  // Reshape with its target shape from a Constant node (a common exporter pattern).
  OnnxBuilder b("reshape", 13);
  b.input("input", {1, 2, 2, 2});
  onnx::TensorProto shape;
  shape.set_data_type(onnx::TensorProto::INT64);
  shape.add_dims(2);
  shape.add_int64_data(1);
  shape.add_int64_data(8);
  b.node("Constant", {}, {"shape"});
  auto* attr = b.model().mutable_graph()->mutable_node(0)->add_attribute();
  attr->set_name("value");
  attr->set_type(onnx::AttributeProto::TENSOR);
  *attr->mutable_t() = shape;
  b.relu("input", "r");
  b.node("Reshape", {"r", "shape"}, {"flat"});
  const std::vector<float> w(8 * 3, 0.5f);
  const std::vector<float> bias(3, 0.1f);
  b.gemm("flat", "exit1", w, bias, 8, 3);
  b.output("exit1", {1, 3});
  b.check();
  const auto g = load(b);
  const Partition p = analyse(*g);
  const ExitChain& c = p.exits[0];
  EXPECT_EQ(types(c), (std::vector<std::string>{"relu", "fc"}));
  const onnx::ModelProto m = extract_segment(*g, c, 1, 2);
  EXPECT_EQ(m.graph().node_size(), 3);  // Constant, Reshape, Gemm
  EXPECT_NO_THROW(check_onnx(m));
}
/// x.view(x.size(0), -1) as PyTorch exports it: Shape, Gather, Unsqueeze, Concat, Reshape, Gemm.
OnnxBuilder torch_flatten(std::int64_t opset) {
  OnnxBuilder b("torch_flatten", opset);
  b.input("input", {1, 4, 2, 2});
  b.relu("input", "r");
  b.node("Shape", {"r"}, {"shape"});
  onnx::TensorProto zero;
  zero.set_name("zero");
  zero.set_data_type(onnx::TensorProto::INT64);
  zero.add_int64_data(0);
  *b.model().mutable_graph()->add_initializer() = zero;
  onnx::TensorProto minus_one;
  minus_one.set_name("minus_one");
  minus_one.set_data_type(onnx::TensorProto::INT64);
  minus_one.add_dims(1);
  minus_one.add_int64_data(-1);
  *b.model().mutable_graph()->add_initializer() = minus_one;
  b.node("Gather", {"shape", "zero"}, {"batch"}, {OnnxAttr::i("axis", 0)});
  if (opset >= 13) {
    onnx::TensorProto axes;
    axes.set_name("axes");
    axes.set_data_type(onnx::TensorProto::INT64);
    axes.add_dims(1);
    axes.add_int64_data(0);
    *b.model().mutable_graph()->add_initializer() = axes;
    b.node("Unsqueeze", {"batch", "axes"}, {"batch1"});
  } else {
    b.node("Unsqueeze", {"batch"}, {"batch1"}, {OnnxAttr::ints("axes", {0})});
  }
  b.node("Concat", {"batch1", "minus_one"}, {"new_shape"}, {OnnxAttr::i("axis", 0)});
  b.node("Reshape", {"r", "new_shape"}, {"flat"});
  const std::vector<float> w(16 * 3, 0.25f);
  const std::vector<float> bias(3, 0.5f);
  b.gemm("flat", "exit1", w, bias, 16, 3);
  b.output("exit1", {1, 3});
  b.check();
  return b;
}

TEST(Partition, PyTorchStyleFlattenFoldsIntoTheFcUnit) {
  // Shape outputs are static; from opset 15 ONNX propagates them into the Reshape target.
  const auto g = load(torch_flatten(15));
  const Partition p = analyse(*g);
  const ExitChain& c = p.exits[0];
  EXPECT_EQ(types(c), (std::vector<std::string>{"relu", "fc"}));
  EXPECT_DOUBLE_EQ(c.units[1].features.at("flatten"), 1.0);
  EXPECT_EQ(c.cut_points(), (std::vector<int>{0, 1, 2}));
  const onnx::ModelProto tail = extract_segment(*g, c, 1, 2);
  EXPECT_EQ(tail.graph().node_size(), 6);  // the shape nodes travel with the Reshape
  EXPECT_NO_THROW(check_onnx(tail));
  // And OpenCV runs both halves: relu(x) summed with weight 0.25 plus 0.5.
  SegmentRunner runner(g, 1);
  cv::Mat x(std::vector<int>{1, 4, 2, 2}, CV_32F, cv::Scalar(1.0f));
  x.ptr<float>()[0] = -3.0f;
  const cv::Mat out = runner.run(1, 1, 2, runner.run(1, 0, 1, x));
  ASSERT_EQ(out.total(), 3u);
  EXPECT_NEAR(out.ptr<float>()[0], 15 * 0.25f + 0.5f, 1e-5);
}

TEST(Partition, UninferableShapesAreAClearModelError) {
  // Before opset 15 ONNX's shape inference cannot follow Shape into Reshape.
  try {
    analyse(*load(torch_flatten(11)));
    FAIL() << "expected a ModelError";
  } catch (const ModelError& e) {
    EXPECT_NE(e.message().find("'flat'"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("torch_flatten.onnx"), std::string::npos) << e.message();
  }
}

} // namespace
} // namespace edgent::model
