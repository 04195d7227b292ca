#include "model/segment_runner.hpp"

#include "core/error.hpp"
#include "model/reference_models.hpp"

#include <gtest/gtest.h>
#include <opencv2/dnn.hpp>

#include <random>
#include <thread>
#include <tuple>

namespace edgent::model {
namespace {

cv::Mat random_input(const std::vector<int>& shape, std::uint32_t seed) {
  cv::Mat m(static_cast<int>(shape.size()), shape.data(), CV_32F);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (std::size_t i = 0; i < m.total(); ++i) {
    m.ptr<float>()[i] = dist(rng);
  }
  return m;
}

double max_abs_diff(const cv::Mat& a, const cv::Mat& b) {
  EXPECT_EQ(a.total(), b.total());
  return cv::norm(a.reshape(1, 1), b.reshape(1, 1), cv::NORM_INF);
}

/// Whole-model reference: the original model in OpenCV, forwarded to the exit output.
cv::Mat whole_model(const OnnxBuilder& b, const std::string& output, const cv::Mat& input) {
  const std::string bytes = b.serialize();
  cv::dnn::Net net = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
  net.setInput(input);
  return net.forward(output).clone();
}

void check_every_cut(const OnnxBuilder& b) {
  SegmentRunner runner(OnnxGraph::from_bytes(b.serialize(), "m.onnx"), 1);
  const cv::Mat input = random_input(runner.cut_shape(1, 0), 42);
  for (const ExitChain& chain : runner.partition().exits) {
    const cv::Mat expected = whole_model(b, chain.output, input);
    ASSERT_GT(cv::norm(expected.reshape(1, 1), cv::NORM_INF), 1e-3);  // not a dead net
    const cv::Mat whole = runner.run_exit(chain.exit, input);
    EXPECT_LE(max_abs_diff(whole, expected), 1e-5) << "exit " << chain.exit;
    for (const int cut : chain.cut_points()) {
      cv::Mat mid = input;
      if (cut > 0) {
        mid = runner.run(chain.exit, 0, cut, input);
      }
      cv::Mat out = mid;
      if (cut < chain.size()) {
        out = runner.run(chain.exit, cut, chain.size(), mid);
      }
      EXPECT_LE(max_abs_diff(out, expected), 1e-5) << "exit " << chain.exit << " cut " << cut;
    }
    // One segment per pair of consecutive cut points (single units on a chain, as the
    // profiler times them) composes to the whole exit too.
    const std::vector<int> cuts = chain.cut_points();
    cv::Mat x = input;
    for (std::size_t i = 1; i < cuts.size(); ++i) {
      x = runner.run(chain.exit, cuts[i - 1], cuts[i], x);
    }
    EXPECT_LE(max_abs_diff(x, expected), 1e-5) << "exit " << chain.exit << " unit by unit";
  }
}

TEST(SegmentRunner, ChainHeadThenTailEqualsWholeModel) { check_every_cut(chain_model(11)); }
TEST(SegmentRunner, BranchyHeadThenTailEqualsWholeModel) { check_every_cut(branchy_alexnet(5)); }
TEST(SegmentRunner, ResidualHeadThenTailEqualsWholeModel) { check_every_cut(residual_model(9)); }
TEST(SegmentRunner, ResnetExitsHeadThenTailEqualsWholeModel) {
  check_every_cut(resnet_exits_model(9));
}
TEST(SegmentRunner, InceptionExitsHeadThenTailEqualsWholeModel) {
  check_every_cut(inception_exits_model(9));
}

TEST(SegmentRunner, CachesSegmentsSharedBetweenExits) {
  SegmentRunner runner(OnnxGraph::from_bytes(branchy_alexnet(5).serialize(), "m.onnx"));
  // Cut 3 (after lrn1) is the same tensor for every exit: one trunk net serves them all.
  for (int exit = 1; exit <= 5; ++exit) {
    runner.prepare(exit, 0, 3);
  }
  EXPECT_EQ(runner.cached(), 1u);
  runner.prepare(1, 3, 6);
  EXPECT_EQ(runner.cached(), 2u);
  // Running them, by any exit, loads nothing more.
  const cv::Mat input = random_input(runner.cut_shape(1, 0), 3);
  for (int exit = 1; exit <= 5; ++exit) {
    runner.run(exit, 0, 3, input);
  }
  EXPECT_EQ(runner.cached(), 2u);
  EXPECT_GT(runner.segment_bytes(1, 0, 3), 0u);
}

TEST(SegmentRunner, ConcurrentRunsGiveTheSerialResults) {
  SegmentRunner runner(OnnxGraph::from_bytes(branchy_alexnet(5).serialize(), "m.onnx"), 1);
  const cv::Mat input = random_input(runner.cut_shape(1, 0), 7);
  std::vector<cv::Mat> expected;
  for (int exit = 1; exit <= 5; ++exit) {
    expected.push_back(runner.run_exit(exit, input));
  }
  std::vector<double> worst(8, 0.0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        const int exit = 1 + (t + i) % 5;
        const int cut = exit == 1 ? 3 : 4;  // shared trunk segments, separate tails
        const cv::Mat out = runner.run(exit, cut, runner.chain(exit).size(),
                                       runner.run(exit, 0, cut, input));
        worst[static_cast<std::size_t>(t)] =
            std::max(worst[static_cast<std::size_t>(t)],
                     max_abs_diff(out, expected[static_cast<std::size_t>(exit - 1)]));
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  for (const double w : worst) {
    EXPECT_LE(w, 1e-5);
  }
}

TEST(SegmentRunner, RejectsBadCutsAndInputs) {
  SegmentRunner runner(OnnxGraph::from_bytes(residual_model(1).serialize(), "m.onnx"));
  const cv::Mat input = random_input(runner.cut_shape(1, 0), 1);
  EXPECT_THROW(runner.run(1, 0, 2, input), ConfigError);  // inside the residual block
  EXPECT_THROW(runner.run(1, 2, 2, input), ConfigError);
  EXPECT_THROW(runner.run(3, 0, 1, input), ConfigError);
  // Once a segment has run (and is found by its numbers), bad numbers are still refused.
  runner.run(1, 0, 1, input);
  for (const auto& [exit, from, to] : std::vector<std::tuple<int, int, int>>{
           {1, -1, 1}, {-1, 0, 1}, {0, 0, 1}, {1, 0, -1}, {1, 1, 0}, {1, 0, 1 << 21}, {1 << 21, 0, 1}}) {
    EXPECT_THROW(runner.run(exit, from, to, input), ConfigError) << exit << " " << from << " " << to;
  }
  const cv::Mat wrong = random_input({1, 3, 8, 8}, 1);
  EXPECT_THROW(runner.run(1, 0, 1, wrong), DataError);
  cv::Mat ints(std::vector<int>{1, 3, 16, 16}, CV_32S, cv::Scalar(0));
  EXPECT_THROW(runner.run(1, 0, 1, ints), DataError);
}

} // namespace
} // namespace edgent::model
