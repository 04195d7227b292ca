#include "eval/accuracy.hpp"

#include "core/artifact.hpp"
#include "core/error.hpp"
#include "eval/bench.hpp"
#include "eval/idx_gz.hpp"
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
  }
  const auto doc = accuracy_json("abc", 8, entries);
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

// --- IDX reading --------------------------------------------------------------------------

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("edgent_eval_test_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

void write_gz(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

TEST(IdxGz, ReadsImagesAndLabelsAndNormalises) {
  const std::string img = temp_path("img.gz");
  const std::string lab = temp_path("lab.gz");
  std::string pixels;
  for (int i = 0; i < 3 * 2 * 2; ++i) {
    pixels.push_back(static_cast<char>(i * 20));
  }
  write_gz(img, be32(0x803) + be32(3) + be32(2) + be32(2) + pixels);
  write_gz(lab, be32(0x801) + be32(3) + std::string("\x01\x09\x00", 3));
  const IdxImages images = read_idx_images(img, 2);
  EXPECT_EQ(images.count, 2u);
  EXPECT_EQ(images.rows, 2);
  EXPECT_EQ(images.pixels.size(), 8u);
  EXPECT_EQ(images.pixels[5], 100);
  const auto labels = read_idx_labels(lab);
  EXPECT_EQ(labels, (std::vector<int>{1, 9, 0}));
  Normalization norm;
  norm.mean = {0.5};
  norm.std = {0.25};
  const LabelledSet set = make_labelled_set(images, read_idx_labels(lab, 2), {1, 1, 2, 2}, norm);
  ASSERT_EQ(set.images.size(), 2u);
  EXPECT_FLOAT_EQ(set.images[1].ptr<float>()[1], static_cast<float>((100 / 255.0 - 0.5) / 0.25));
  EXPECT_THROW(make_labelled_set(images, labels, {1, 1, 2, 2}, norm), DataError);  // 2 vs 3
  EXPECT_THROW(make_labelled_set(images, read_idx_labels(lab, 2), {1, 1, 3, 3}, norm), ConfigError);
  norm.mean = {0.1, 0.2};
  EXPECT_THROW(make_labelled_set(images, read_idx_labels(lab, 2), {1, 3, 2, 2}, norm), ConfigError);
  // Wrong magic, short file, missing file.
  EXPECT_THROW(read_idx_images(lab), DataError);
  write_gz(img, be32(0x803) + be32(5) + be32(2) + be32(2) + pixels);
  EXPECT_THROW(read_idx_images(img), DataError);
  EXPECT_THROW(read_idx_images(temp_path("missing.gz")), IoError);
  std::filesystem::remove(img);
  std::filesystem::remove(lab);
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
