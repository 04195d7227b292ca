#include "train/branchy_net.hpp"

#include "core/error.hpp"
#include "model/onnx_builder.hpp"

#include <gtest/gtest.h>
#include <opencv2/dnn.hpp>

namespace edgent::train {
namespace {

std::string bytes_of(const onnx::ModelProto& m) {
  std::string s;
  EXPECT_TRUE(m.SerializeToString(&s));
  return s;
}

TEST(Export, PassesTheCheckerWithFiveNamedOutputs) {
  torch::manual_seed(3);
  const Shape in{1, 28, 28};
  BranchyNet net(branchy_alexnet(in), in);
  net->eval();
  const onnx::ModelProto m = export_onnx(*net);
  EXPECT_NO_THROW(model::check_onnx(m));
  EXPECT_EQ(m.opset_import(0).version(), 11);
  ASSERT_EQ(m.graph().input_size(), 1);
  EXPECT_EQ(m.graph().input(0).name(), "input");
  ASSERT_EQ(m.graph().output_size(), 5);
  for (int k = 0; k < 5; ++k) {
    EXPECT_EQ(m.graph().output(k).name(), "exit" + std::to_string(k + 1));
  }
}

TEST(Export, OpenCvAgreesWithLibtorchOnEveryExit) {
  torch::manual_seed(5);
  const Shape in{1, 28, 28};
  BranchyNet net(branchy_alexnet(in), in);
  net->eval();
  const std::string bytes = bytes_of(export_onnx(*net));
  cv::dnn::Net cv = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
  torch::NoGradGuard no_grad;
  for (int i = 0; i < 3; ++i) {
    const torch::Tensor x = torch::randn({1, 1, 28, 28}) * 2;
    const auto ref = net->forward(x);
    cv::Mat blob(std::vector<int>{1, 1, 28, 28}, CV_32F, x.data_ptr<float>());
    cv.setInput(blob);
    std::vector<cv::Mat> outs;
    cv.forward(outs, std::vector<std::string>{"exit1", "exit2", "exit3", "exit4", "exit5"});
    ASSERT_EQ(outs.size(), 5u);
    for (int k = 0; k < 5; ++k) {
      const torch::Tensor got = torch::from_blob(outs[k].ptr<float>(), {1, 10});
      EXPECT_LE((got - ref[k]).abs().max().item<float>(), 1e-4f) << "exit" << k + 1;
      // forward_exit runs only the exit's path and gives the same logits.
      EXPECT_TRUE(torch::allclose(net->forward_exit(x, k + 1), ref[k], 1e-5, 1e-6));
    }
  }
}

TEST(Export, SingleExitModelHoldsOnlyThatPath) {
  torch::manual_seed(9);
  const Shape in{1, 28, 28};
  BranchyNet net(branchy_alexnet(in), in);
  net->eval();
  const onnx::ModelProto m = export_onnx(*net, 2);
  ASSERT_EQ(m.graph().output_size(), 1);
  EXPECT_EQ(m.graph().output(0).name(), "exit2");
  for (const auto& node : m.graph().node()) {
    EXPECT_EQ(node.name().find("b1_"), std::string::npos) << node.name();
    EXPECT_EQ(node.name().find("conv3"), std::string::npos) << node.name();
  }
  const std::string bytes = bytes_of(m);
  cv::dnn::Net cv = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::randn({1, 1, 28, 28});
  cv.setInput(cv::Mat(std::vector<int>{1, 1, 28, 28}, CV_32F, x.data_ptr<float>()));
  cv::Mat out = cv.forward("exit2");
  const torch::Tensor got = torch::from_blob(out.ptr<float>(), {1, 10});
  EXPECT_LE((got - net->forward_exit(x, 2)).abs().max().item<float>(), 1e-4f);
  EXPECT_THROW(export_onnx(*net, 6), std::out_of_range);
}

TEST(Export, WeightsReloadFromTheOnnxFile) {
  torch::manual_seed(7);
  const Shape in{1, 28, 28};
  BranchyNet a(branchy_alexnet(in), in);
  BranchyNet b(branchy_alexnet(in), in);  // different random weights
  a->eval();
  b->eval();
  const onnx::ModelProto m = export_onnx(*a);
  const torch::Tensor x = torch::randn({2, 1, 28, 28});
  torch::NoGradGuard no_grad;
  EXPECT_FALSE(torch::allclose(a->forward(x)[4], b->forward(x)[4]));
  load_onnx_weights(*b, m, "a.onnx");
  EXPECT_TRUE(torch::equal(a->forward(x)[4], b->forward(x)[4]));
  // A model of another architecture is refused, naming the file.
  BranchyNet big(branchy_alexnet(Shape{1, 32, 32}), Shape{1, 32, 32});
  EXPECT_THROW(load_onnx_weights(*big, m, "a.onnx"), ModelError);
}

} // namespace
} // namespace edgent::train
