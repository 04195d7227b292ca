// The committed default model (models/, produced by `make model`) is what every later stage
// starts from: its card must validate, match its ONNX file and meet the targets.

#include "core/file_io.hpp"
#include "model/model_card.hpp"

#include <gtest/gtest.h>
#include <opencv2/dnn.hpp>

#include <string>

namespace edgent::model {
namespace {

const std::string kCard = std::string(EDGENT_SOURCE_DIR) + "/models/branchy-alexnet-fmnist.json";

TEST(DefaultModel, CardMatchesItsOnnxFileAndMeetsTheTargets) {
  const ModelCard card = read_model_card(kCard);
  const std::string onnx = onnx_path(card, kCard);
  EXPECT_EQ(sha256_file(onnx), card.onnx_sha256);
  EXPECT_FALSE(card.arch_only);
  ASSERT_EQ(card.exits.size(), 5u);
  ASSERT_TRUE(card.dataset.has_value());
  EXPECT_EQ(card.dataset->test_samples, 10000);
  EXPECT_GE(*card.exits[4].accuracy, 0.91);
  for (std::size_t k = 1; k < card.exits.size(); ++k) {
    EXPECT_GE(*card.exits[k].accuracy, *card.exits[k - 1].accuracy - 0.01) << "exit" << k + 1;
    EXPECT_GT(card.exits[k].flops, card.exits[k - 1].flops);
  }
  EXPECT_GE(card.exits[4].flops, 50'000'000);
  EXPECT_LE(card.exits[4].flops, 200'000'000);
}

TEST(DefaultModel, OpenCvLoadsItWithFiveOutputs) {
  const ModelCard card = read_model_card(kCard);
  cv::dnn::Net net = cv::dnn::readNetFromONNX(onnx_path(card, kCard));
  cv::Mat input(std::vector<int>{1, 1, 28, 28}, CV_32F, cv::Scalar(0.0f));
  net.setInput(input, card.input_name);
  std::vector<cv::Mat> outs;
  net.forward(outs, std::vector<std::string>{"exit1", "exit2", "exit3", "exit4", "exit5"});
  ASSERT_EQ(outs.size(), 5u);
  for (const auto& o : outs) {
    EXPECT_EQ(o.total(), card.classes.size());
  }
}

} // namespace
} // namespace edgent::model
