#include "model/onnx_builder.hpp"

#include "core/error.hpp"

#include <gtest/gtest.h>
#include <opencv2/dnn.hpp>

#include <numeric>
#include <vector>

namespace edgent::model {
namespace {

std::vector<float> iota_values(std::size_t n, float scale) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    v[i] = scale * static_cast<float>(static_cast<int>(i % 7) - 3);
  }
  return v;
}

OnnxBuilder small_net() {
  OnnxBuilder b("small");
  b.input("input", {1, 1, 8, 8});
  const auto w = iota_values(4 * 1 * 3 * 3, 0.1f);
  const auto bias = iota_values(4, 0.01f);
  auto t = b.conv("input", "c1", w, bias, 1, 4, 3, 1, 1);
  t = b.relu(t, "r1");
  t = b.max_pool(t, "p1", 2, 2);
  t = b.flatten(t, "f1");
  const auto fw = iota_values(10 * 64, 0.01f);
  const auto fb = iota_values(10, 0.1f);
  t = b.gemm(t, "exit1", fw, fb, 64, 10);
  b.output("exit1", {1, 10});
  return b;
}

TEST(OnnxBuilder, PassesCheckerAndLoadsInOpenCv) {
  OnnxBuilder b = small_net();
  EXPECT_NO_THROW(b.check());
  const std::string bytes = b.serialize();
  cv::dnn::Net net = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
  cv::Mat input(std::vector<int>{1, 1, 8, 8}, CV_32F, cv::Scalar(1.0f));
  net.setInput(input);
  cv::Mat out = net.forward("exit1");
  ASSERT_EQ(out.total(), 10u);
}

TEST(OnnxBuilder, ComputesWhatTheLayersSay) {
  // 1x1 conv with weight 2 and bias 1, then ReLU: y = max(0, 2x + 1).
  OnnxBuilder b("affine");
  b.input("input", {1, 1, 2, 2});
  const std::vector<float> w{2.0f};
  const std::vector<float> bias{1.0f};
  b.relu(b.conv("input", "c", w, bias, 1, 1, 1, 1, 0), "y");
  b.output("y", {1, 1, 2, 2});
  b.check();
  const std::string bytes = b.serialize();
  cv::dnn::Net net = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
  cv::Mat input(std::vector<int>{1, 1, 2, 2}, CV_32F);
  const float xs[] = {-3.0f, -0.25f, 0.0f, 2.0f};
  std::copy(std::begin(xs), std::end(xs), input.ptr<float>());
  net.setInput(input);
  cv::Mat out = net.forward("y");
  const float* y = out.ptr<float>();
  EXPECT_FLOAT_EQ(y[0], 0.0f);
  EXPECT_FLOAT_EQ(y[1], 0.5f);
  EXPECT_FLOAT_EQ(y[2], 1.0f);
  EXPECT_FLOAT_EQ(y[3], 5.0f);
}

TEST(OnnxBuilder, CheckerRejectsDanglingInput) {
  OnnxBuilder b("broken");
  b.input("input", {1, 4});
  b.relu("no_such_tensor", "y");
  b.output("y");
  EXPECT_THROW(b.check(), ModelError);
}

TEST(OnnxBuilder, InitializerSizeMismatchIsAProgrammingError) {
  OnnxBuilder b("bad");
  const std::vector<float> three(3, 0.0f);
  EXPECT_THROW(b.initializer("w", {2, 2}, three), std::logic_error);
}

} // namespace
} // namespace edgent::model
