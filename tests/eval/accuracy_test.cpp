#include "eval/accuracy.hpp"

#include "core/artifact.hpp"
#include "core/error.hpp"
#include "eval/bench.hpp"
#include "model/reference_models.hpp"
#include "net/tensor_mat.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <sstream>

namespace edgent::eval {
namespace {

cv::Mat random_blob(const std::vector<int>& shape, std::mt19937& rng) {
  cv::Mat m(static_cast<int>(shape.size()), shape.data(), CV_32F);
  std::uniform_real_distribution<float> dist(0.0f, 1.0f);
  for (std::size_t i = 0; i < m.total(); ++i) {
    m.ptr<float>()[i] = dist(rng);
  }
  return m;
}

/// Eight images: the first five labelled with the model's own answer, the rest wrongly.
LabelledSet half_right(model::SegmentRunner& runner, int exit) {
  std::mt19937 rng(3);
  LabelledSet set;
  for (int i = 0; i < 8; ++i) {
    cv::Mat img = random_blob(runner.cut_shape(1, 0), rng);
    const int predicted = argmax(runner.run_exit(exit, img));
    set.images.push_back(img);
    set.labels.push_back(i < 5 ? predicted : (predicted + 1) % 10);
  }
  return set;
}

TEST(Accuracy, EveryExitCutAndCodecIsMeasured) {
  model::SegmentRunner runner(
      model::OnnxGraph::from_bytes(model::residual_model(2).serialize(), "r.onnx"), 1);
  const LabelledSet set = half_right(runner, 2);
  AccuracyOptions options;
  std::size_t progress = 0;
  options.progress = [&](std::size_t done) { progress = done; };
  const auto entries = accuracy_table(runner, set, options);
  EXPECT_EQ(progress, 8u);
  const std::size_t cuts = runner.chain(1).cut_points().size() + runner.chain(2).cut_points().size();
  ASSERT_EQ(entries.size(), cuts * 6);
  for (const auto& e : entries) {
    EXPECT_EQ(e.samples, 8);
    EXPECT_TRUE(runner.chain(e.exit).is_cut_point(e.cut));
    if (e.exit == 2 && (e.codec == "fp32" || e.codec == "fp32+zstd")) {
      EXPECT_DOUBLE_EQ(e.accuracy, 5.0 / 8) << "cut " << e.cut;  // lossless: the model's answer
    }
    EXPECT_GE(e.accuracy, 0.0);
    EXPECT_LE(e.accuracy, 1.0);
    if (e.codec == "fp32") {
      // A raw tensor's message is the 80-byte header and 4 bytes per element, for every image.
      const auto shape = runner.cut_shape(e.exit, e.cut);
      double elements = 1;
      for (const int d : shape) {
        elements *= d;
      }
      EXPECT_DOUBLE_EQ(e.wire_bytes, 80 + 4 * elements) << "exit " << e.exit << " cut " << e.cut;
    } else {
      EXPECT_GT(e.wire_bytes, 80);
    }
  }
  const auto doc = accuracy_json("abc", 8, entries);
  EXPECT_EQ(doc["wire_bytes_samples"], 8);
  EXPECT_EQ(doc["entries"][0]["wire_bytes"], entries[0].wire_bytes);
  EXPECT_EQ(doc["samples"], 8);
  EXPECT_EQ(doc["entries"].size(), entries.size());
  EXPECT_EQ(doc["entries"][0]["codec"], "fp32");
  EXPECT_EQ(doc["entries"][0]["cut"], 0);
  EXPECT_NO_THROW(parse_artifact(
      [&] {
        nlohmann::json d = doc;
        d["schema"] = "edgent.accuracy/1";
        d["generator"] = {{"tool", "test"}, {"version", "0"}, {"git", "x"}};
        return d.dump();
      }(),
      "a.json", "accuracy"));
}

TEST(Accuracy, ZstdDecodesToTheBaseCodecsBytes) {
  // Why +zstd entries share their base codec's measurement.
  std::mt19937 rng(5);
  const cv::Mat t = random_blob({1, 8, 6, 6}, rng);
  for (const net::Codec base : {net::Codec::fp32, net::Codec::fp16, net::Codec::int8}) {
    const cv::Mat a = net::round_trip(t, {base, false});
    const cv::Mat b = net::round_trip(t, {base, true});
    EXPECT_EQ(std::memcmp(a.ptr(), b.ptr(), 4 * t.total()), 0);
  }
}

TEST(Accuracy, RejectsMismatchedLabels) {
  model::SegmentRunner runner(
      model::OnnxGraph::from_bytes(model::chain_model(2).serialize(), "c.onnx"), 1);
  LabelledSet set = half_right(runner, 1);
  set.labels.pop_back();
  EXPECT_THROW(accuracy_table(runner, set, {}), DataError);
  set.labels.push_back(-1);
  EXPECT_THROW(accuracy_table(runner, set, {}), DataError);
}

// --- labelled sets from lib/data -----------------------------------------------------------

data::Dataset grey_images() {
  data::Dataset d;
  d.name = "fashion-mnist";
  d.channels = 1;
  d.height = 2;
  d.width = 2;
  for (int i = 0; i < 2 * 2 * 2; ++i) {
    d.pixels.push_back(static_cast<std::uint8_t>(i * 20));
  }
  d.labels = {1, 9};
  return d;
}

TEST(LabelledSet, NormalisesAndRepeatsGreyOverChannels) {
  const data::Dataset d = grey_images();
  data::Normalization norm;
  norm.mean = {0.5};
  norm.std = {0.25};
  const LabelledSet set = make_labelled_set(d, norm, {1, 1, 2, 2});
  ASSERT_EQ(set.images.size(), 2u);
  EXPECT_EQ(set.labels, (std::vector<int>{1, 9}));
  EXPECT_FLOAT_EQ(set.images[1].ptr<float>()[1], static_cast<float>((100 / 255.0 - 0.5) / 0.25));
  norm.mean = {0.0, 0.5, 1.0};
  norm.std = {1.0, 1.0, 1.0};
  const LabelledSet rgb = make_labelled_set(d, norm, {1, 3, 2, 2});
  ASSERT_EQ(rgb.images.size(), 2u);
  EXPECT_FLOAT_EQ(rgb.images[1].ptr<float>()[1], static_cast<float>(100 / 255.0));
  EXPECT_FLOAT_EQ(rgb.images[1].ptr<float>()[4 + 1], static_cast<float>(100 / 255.0 - 0.5));
  EXPECT_FLOAT_EQ(rgb.images[1].ptr<float>()[8 + 1], static_cast<float>(100 / 255.0 - 1.0));
}

TEST(LabelledSet, RefusesShapesAndNormalisationThatDoNotFit) {
  const data::Dataset d = grey_images();
  data::Normalization norm;
  norm.mean = {0.5};
  norm.std = {0.25};
  EXPECT_THROW(make_labelled_set(d, norm, {1, 1, 3, 3}), ConfigError);
  EXPECT_THROW(make_labelled_set(d, norm, {1, 2, 2}), ConfigError);
  norm.mean = {0.1, 0.2};
  EXPECT_THROW(make_labelled_set(d, norm, {1, 3, 2, 2}), ConfigError);
  norm.mean = {0.1};
  norm.std = {0.0};
  EXPECT_THROW(make_labelled_set(d, norm, {1, 1, 2, 2}), ConfigError);
}

// --- benchmark smoke ------------------------------------------------------------------------

TEST(Bench, ProducesEveryFigure) {
  model::SegmentRunner runner(
      model::OnnxGraph::from_bytes(model::residual_model(2).serialize(), "r.onnx"), 1);
  std::mt19937 rng(1);
  BenchOptions options;
  options.reps = 1;
  const BenchResult r = run_bench(runner, random_blob(runner.cut_shape(1, 0), rng), options);
  // Inner cut points: exit 1 {1, 4, 5, 6}, exit 2 {1, 4, 5, 6, 9, 10}.
  EXPECT_EQ(r.split.size(), 10u);
  EXPECT_EQ(r.codecs.size(), 6u);
  EXPECT_EQ(r.wire.size(), 6u + 8u);
  for (const auto& f : r.split) {
    EXPECT_GT(f.whole_ms, 0);
    EXPECT_GT(f.ratio, 0);
  }
  EXPECT_EQ(r.wire[0].bytes[0], net::kHeaderBytes + 4 * 3 * 16 * 16);
  std::ostringstream out;
  print_bench(r, out);
  EXPECT_NE(out.str().find("int8+zstd"), std::string::npos);
}

} // namespace
} // namespace edgent::eval
