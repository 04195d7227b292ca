#include "eval/cascade_eval.hpp"

#include "core/artifact.hpp"
#include "core/error.hpp"
#include "model/reference_models.hpp"

#include <gtest/gtest.h>

#include <random>

namespace edgent::eval {
namespace {

/// Three exits, four images: exit 1 is right on images 0 and 1, exit 2 on 0..2, exit 3 on all.
ExitScores hand_scores() {
  ExitScores s;
  s.exits = 3;
  s.labels = {0, 1, 2, 3};
  s.predicted = {{0, 0, 0}, {1, 1, 1}, {9, 2, 2}, {9, 9, 3}};
  s.confidence = {{0.95, 0.99, 0.999}, {0.85, 0.9, 0.95}, {0.6, 0.97, 0.99}, {0.4, 0.5, 0.7}};
  return s;
}

TEST(CascadeEval, ThresholdZeroLeavesAtTheFirstExitAndOneAtTheLast) {
  const ExitScores s = hand_scores();
  const model::CascadeRecord zero = score_cascade(s, model::Cascade{{1, 3}, {0.0}});
  EXPECT_DOUBLE_EQ(zero.accuracy, 0.5);
  EXPECT_EQ(zero.leave, (std::vector<double>{1.0, 0.0}));
  const model::CascadeRecord one = score_cascade(s, model::Cascade{{1, 2, 3}, {1.0, 1.0}});
  EXPECT_DOUBLE_EQ(one.accuracy, 1.0);
  EXPECT_EQ(one.leave, (std::vector<double>{0.0, 0.0, 1.0}));
}

TEST(CascadeEval, EachInputLeavesAtItsFirstConfidentExit) {
  const ExitScores s = hand_scores();
  // Image 0 leaves at exit 1 (0.95 > 0.9), image 1 at exit 3 (0.85, 0.9 not > 0.9), image 2
  // at exit 2 (0.97), image 3 at exit 3.
  const model::CascadeRecord r = score_cascade(s, model::Cascade{{1, 2, 3}, {0.9, 0.9}});
  EXPECT_EQ(r.leave, (std::vector<double>{0.25, 0.25, 0.5}));
  EXPECT_DOUBLE_EQ(r.accuracy, 1.0);
  EXPECT_THROW(score_cascade(s, model::Cascade{{1, 4}, {0.5}}), ConfigError);
  EXPECT_THROW(score_cascade(s, model::Cascade{{1, 3}, {1.5}}), ConfigError);
}

TEST(CascadeEval, TheGridScoresEveryExitSetAtEveryThresholdAndRoundTrips) {
  auto graph = model::OnnxGraph::from_bytes(model::branchy_alexnet(1).serialize(), "m.onnx");
  model::SegmentRunner runner(graph, 1);
  LabelledSet set;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(0.0f, 1.0f);
  for (int i = 0; i < 4; ++i) {
    cv::Mat m(runner.cut_shape(1, 0), CV_32F);
    for (std::size_t k = 0; k < m.total(); ++k) {
      m.ptr<float>()[k] = dist(rng);
    }
    set.images.push_back(m);
    set.labels.push_back(i);
  }
  const ExitScores s = exit_scores(runner, set);
  ASSERT_EQ(s.exits, 5);
  // The shared-trunk pass gives every exit's own answer.
  for (std::size_t i = 0; i < set.images.size(); ++i) {
    for (int e = 1; e <= 5; ++e) {
      EXPECT_EQ(s.predicted[i][e - 1], argmax(runner.run_exit(e, set.images[i])));
    }
  }
  const std::vector<double> grid{0.0, 0.5, 1.0};
  const auto entries = cascade_grid(runner.partition(), s, grid);
  // 5 single exits + 26 sets of two or more exits at three thresholds.
  EXPECT_EQ(entries.size(), 5u + 26u * 3u);
  model::CascadeTable table;
  table.model_sha256 = graph->sha256();
  table.samples = 4;
  table.thresholds = grid;
  table.entries = entries;
  nlohmann::json doc = model::to_json(table);
  doc["schema"] = "edgent.cascade/1";
  const model::CascadeTable back =
      model::read_cascade_table(parse_artifact(doc.dump(), "c.json", "cascade"));
  ASSERT_EQ(back.entries.size(), entries.size());
  EXPECT_EQ(back.entries[7].cascade.exits, entries[7].cascade.exits);
  EXPECT_EQ(back.entries[7].leave, entries[7].leave);
  doc["entries"][0]["thresholds"] = {0.5};
  EXPECT_THROW(model::read_cascade_table(parse_artifact(doc.dump(), "c.json", "cascade")),
               SchemaError);
  doc["entries"][0]["thresholds"] = nlohmann::json::array();
  doc["entries"][0]["leave"] = {0.5};
  EXPECT_THROW(model::read_cascade_table(parse_artifact(doc.dump(), "c.json", "cascade")),
               SchemaError);
}

} // namespace
} // namespace edgent::eval
