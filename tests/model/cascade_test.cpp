#include "model/cascade.hpp"

#include "core/error.hpp"
#include "model/model_card.hpp"
#include "model/segment_runner.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace edgent::model {
namespace {

const std::string kCard = std::string(EDGENT_SOURCE_DIR) + "/models/branchy-alexnet-fmnist.json";

std::shared_ptr<const OnnxGraph> default_graph() {
  const ModelCard card = read_model_card(kCard);
  return OnnxGraph::from_file(onnx_path(card, kCard));
}

/// Inputs of the model's shape with values of an image's range (a few seeds, so that the exits
/// are confident on some and not on others).
std::vector<cv::Mat> inputs(int count) {
  std::vector<cv::Mat> out;
  for (int i = 0; i < count; ++i) {
    cv::Mat m(std::vector<int>{1, 1, 28, 28}, CV_32F);
    std::mt19937 rng(static_cast<std::uint32_t>(100 + i));
    std::uniform_real_distribution<float> dist(-0.8f, 2.0f);
    for (std::size_t k = 0; k < m.total(); ++k) {
      m.ptr<float>()[k] = (k % 28 < static_cast<std::size_t>(6 + 3 * i)) ? dist(rng) : -0.8f;
    }
    out.push_back(m);
  }
  return out;
}

double max_abs_diff(const cv::Mat& a, const cv::Mat& b) {
  EXPECT_EQ(a.total(), b.total());
  return cv::norm(a.reshape(1, 1), b.reshape(1, 1), cv::NORM_INF);
}

TEST(Cascade, TopProbabilityIsTheSoftmaxMaximum) {
  const cv::Mat logits = (cv::Mat_<float>(1, 3) << 1.0f, 2.0f, 3.0f);
  const double e = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(top_probability(logits), std::exp(3.0) / e, 1e-12);
  const cv::Mat flat = (cv::Mat_<float>(1, 4) << 0.0f, 0.0f, 0.0f, 0.0f);
  EXPECT_DOUBLE_EQ(top_probability(flat), 0.25);
  EXPECT_TRUE(confident(0.25, 0.0));
  EXPECT_FALSE(confident(1.0, 1.0));
}

TEST(Cascade, ParsesAndPrintsTheCommandLineForm) {
  const Cascade c = parse_cascade("1:0.9,3:0.75,5");
  EXPECT_EQ(c.exits, (std::vector<int>{1, 3, 5}));
  EXPECT_EQ(c.thresholds, (std::vector<double>{0.9, 0.75}));
  EXPECT_EQ(cascade_to_string(c), "1:0.9,3:0.75,5");
  EXPECT_TRUE(parse_cascade("5").fixed());
}

TEST(Cascade, ThresholdsOutsideTheUnitIntervalOrNanAreUsageErrors) {
  for (const char* bad : {"1:1.5,5", "1:-0.1,5", "1:nan,5", "1:NaN,5", "1:inf,5", "1:x,5", "1,5",
                          "1:0.5", "5,1:0.5", "3:0.5,1", "", "1:0.5,,5", "0:0.5,5"}) {
    try {
      parse_cascade(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const UsageError& e) {
      EXPECT_EQ(e.exit_code(), ExitCode::usage) << bad;
    }
  }
  Cascade c{{1, 5}, {std::numeric_limits<double>::quiet_NaN()}};
  EXPECT_THROW(check_cascade(c, "plan.json"), ConfigError);
  c.thresholds = {1.0000001};
  EXPECT_THROW(check_cascade(c, "plan.json"), ConfigError);
  c.thresholds = {1.0};
  EXPECT_NO_THROW(check_cascade(c, "plan.json"));
}

TEST(Cascade, LayoutFindsWhereEachBranchLeavesTheFinalChain) {
  SegmentRunner runner(default_graph(), 1);
  const CascadeLayout layout = cascade_layout(runner.partition(), Cascade{{1, 2, 3, 4, 5},
                                                                          {0.5, 0.5, 0.5, 0.5}});
  ASSERT_EQ(layout.branch.size(), 5u);
  EXPECT_EQ(layout.final_size, runner.chain(5).size());
  for (std::size_t i = 0; i + 1 < layout.branch.size(); ++i) {
    const int b = layout.branch[i];
    EXPECT_GT(b, 0);
    EXPECT_LT(b, runner.chain(static_cast<int>(i) + 1).size());
    EXPECT_EQ(runner.chain(static_cast<int>(i) + 1).cut_tensor[static_cast<std::size_t>(b)],
              runner.chain(5).cut_tensor[static_cast<std::size_t>(b)]);
    if (i > 0) {
      EXPECT_GT(b, layout.branch[i - 1]);
    }
  }
  EXPECT_THROW(cascade_layout(runner.partition(), Cascade{{1, 6}, {0.5}}), ConfigError);
}

TEST(Cascade, ThresholdOneIsTheFixedExitPlanAtEveryCut) {
  SegmentRunner runner(default_graph(), 1);
  const Cascade cascade{{1, 2, 4, 5}, {1.0, 1.0, 1.0}};
  for (const cv::Mat& in : inputs(3)) {
    for (const int cut : runner.chain(5).cut_points()) {
      cv::Mat fixed = in;
      if (cut > 0) {
        fixed = runner.run(5, 0, cut, in);
      }
      if (cut < runner.chain(5).size()) {
        fixed = runner.run(5, cut, runner.chain(5).size(), fixed);
      }
      const CascadeResult r = run_cascade(runner, cascade, cut, in);
      EXPECT_EQ(r.exit, 5) << "cut " << cut;
      EXPECT_EQ(r.before_cut, cut == runner.chain(5).size());
      EXPECT_EQ(max_abs_diff(r.logits, fixed), 0.0) << "cut " << cut;
    }
  }
}

TEST(Cascade, ThresholdZeroAlwaysLeavesAtTheFirstExit) {
  SegmentRunner runner(default_graph(), 1);
  const Cascade cascade{{2, 3, 5}, {0.0, 0.0}};
  const int branch = cascade_layout(runner.partition(), cascade).branch.front();
  for (const cv::Mat& in : inputs(3)) {
    const cv::Mat fixed = runner.run_exit(2, in);
    for (const int cut : runner.chain(5).cut_points()) {
      const CascadeResult r = run_cascade(runner, cascade, cut, in);
      EXPECT_EQ(r.exit, 2) << "cut " << cut;
      EXPECT_EQ(r.before_cut, branch <= cut && cut > 0) << "cut " << cut;
      EXPECT_LE(max_abs_diff(r.logits, fixed), 1e-5) << "cut " << cut;
    }
  }
}

TEST(Cascade, EveryCutGivesTheSameAnswerAsTheFirstConfidentExit) {
  SegmentRunner runner(default_graph(), 1);
  const Cascade cascade{{1, 3, 5}, {0.9, 0.8}};
  int left_early = 0;
  int left_late = 0;
  for (const cv::Mat& in : inputs(6)) {
    // The reference: every exit's whole chain, then the first confident one.
    int want = 5;
    for (std::size_t i = 0; i < cascade.thresholds.size(); ++i) {
      if (confident(top_probability(runner.run_exit(cascade.exits[i], in)),
                    cascade.thresholds[i])) {
        want = cascade.exits[i];
        break;
      }
    }
    (want == 5 ? left_late : left_early) += 1;
    const cv::Mat expected = runner.run_exit(want, in);
    for (const int cut : runner.chain(5).cut_points()) {
      const CascadeResult r = run_cascade(runner, cascade, cut, in);
      EXPECT_EQ(r.exit, want) << "cut " << cut;
      EXPECT_LE(max_abs_diff(r.logits, expected), 1e-5) << "cut " << cut;
    }
  }
  // The inputs exercise both outcomes.
  EXPECT_GT(left_early, 0);
  EXPECT_GT(left_late, 0);
}

} // namespace
} // namespace edgent::model
