#include "data/inputs.hpp"

#include "core/error.hpp"

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <unistd.h>

namespace edgent::data {
namespace {

using testing::TempDir;

void write_floats(const std::string& path, const std::vector<float>& values) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(values.data()),
            static_cast<std::streamsize>(values.size() * sizeof(float)));
}

/// A grey @p side x @p side PNG whose every pixel is @p value.
void write_grey_png(const std::string& path, int side, int value) {
  cv::Mat img(side, side, CV_8UC1, cv::Scalar(value));
  ASSERT_TRUE(cv::imwrite(path, img));
}

TEST(Inputs, RangeStartsAtTheOffsetAndStopsAtTheCountOrTheEnd) {
  EXPECT_EQ(input_range_end({0, 0}, 10, "x"), 10u);
  EXPECT_EQ(input_range_end({2, 3}, 10, "x"), 5u);
  EXPECT_EQ(input_range_end({8, 5}, 10, "x"), 10u);
  EXPECT_THROW(input_range_end({10, 0}, 10, "x"), DataError);
}

TEST(Inputs, TensorsAreCutIntoBlobsOfTheShape) {
  const TempDir dir("inputs");
  const std::string path = dir.file("t.bin");
  std::vector<float> values(3 * 4);
  for (std::size_t i = 0; i < values.size(); ++i) {
    values[i] = static_cast<float>(i);
  }
  write_floats(path, values);
  const std::vector<int> shape{1, 1, 2, 2};
  const Inputs all = load_tensor_inputs(path, shape, {});
  ASSERT_EQ(all.blobs.size(), 3u);
  EXPECT_EQ(all.labels, (std::vector<int>{-1, -1, -1}));
  EXPECT_EQ(all.blobs[2].dims, 4);
  EXPECT_FLOAT_EQ(all.blobs[2].ptr<float>()[3], 11);
  const Inputs one = load_tensor_inputs(path, shape, {1, 1});
  ASSERT_EQ(one.blobs.size(), 1u);
  EXPECT_FLOAT_EQ(one.blobs[0].ptr<float>()[0], 4);
}

TEST(Inputs, TensorsRefuseAPartialTensorAndNonFiniteValues) {
  const TempDir dir("inputs");
  const std::vector<int> shape{1, 1, 2, 2};
  write_floats(dir.file("short.bin"), {1, 2, 3, 4, 5});
  EXPECT_THROW(load_tensor_inputs(dir.file("short.bin"), shape, {}), DataError);
  write_floats(dir.file("nan.bin"), {1, 2, 3, std::numeric_limits<float>::quiet_NaN()});
  try {
    load_tensor_inputs(dir.file("nan.bin"), shape, {});
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("tensor 0 holds a non-finite value"), std::string::npos)
        << e.what();
  }
  write_floats(dir.file("one.bin"), {1, 2, 3, 4});
  EXPECT_THROW(load_tensor_inputs(dir.file("one.bin"), shape, {1, 0}), DataError)
      << "the offset is past the one tensor";
}

TEST(Inputs, ImagesAreResizedAndNormalisedInNameOrder) {
  const TempDir dir("inputs");
  write_grey_png(dir.file("b.png"), 8, 255);
  write_grey_png(dir.file("a.png"), 8, 0);
  { std::ofstream(dir.file("notes.txt")) << "not an image\n"; }
  const Normalization norm{1.0 / 255.0, {0.5}, {0.5}};
  const std::vector<int> shape{1, 1, 4, 4};
  const Inputs in = load_image_inputs(dir.path().string(), shape, norm, {}, "card.json");
  ASSERT_EQ(in.blobs.size(), 2u);
  EXPECT_EQ(in.labels, (std::vector<int>{-1, -1}));
  EXPECT_EQ(in.blobs[0].size[2], 4);
  EXPECT_EQ(in.blobs[0].size[3], 4);
  EXPECT_FLOAT_EQ(in.blobs[0].ptr<float>()[5], -1.0F) << "a.png: black, (0 - 0.5) / 0.5";
  EXPECT_FLOAT_EQ(in.blobs[1].ptr<float>()[15], 1.0F) << "b.png: white, (1 - 0.5) / 0.5";
}

TEST(Inputs, AnImageListIsRelativeToItsDirectoryAndSkipsComments) {
  const TempDir dir("inputs");
  std::filesystem::create_directories(dir.file("img"));
  write_grey_png(dir.file("img/x.png"), 4, 10);
  write_grey_png(dir.file("img/y.png"), 4, 20);
  { std::ofstream(dir.file("list.txt")) << "# two images\nimg/y.png\n\nimg/x.png  \n"; }
  const std::vector<std::string> paths = image_paths(dir.file("list.txt"));
  ASSERT_EQ(paths.size(), 2u);
  EXPECT_EQ(paths[0], dir.file("img/y.png"));
  EXPECT_EQ(paths[1], dir.file("img/x.png"));
  { std::ofstream(dir.file("empty.txt")) << "# nothing\n"; }
  EXPECT_THROW(image_paths(dir.file("empty.txt")), DataError);
  EXPECT_THROW(image_paths(dir.file("img/..")), DataError) << "a directory without images";
}

TEST(Inputs, ImagesNeedOneOrThreeChannels) {
  const TempDir dir("inputs");
  write_grey_png(dir.file("a.png"), 4, 0);
  const Normalization norm{1.0 / 255.0, {0, 0}, {1, 1}};
  try {
    load_image_inputs(dir.path().string(), {1, 2, 4, 4}, norm, {}, "card.json");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.file(), "card.json");
    EXPECT_EQ(e.key(), "input.shape");
  }
}

TEST(Inputs, TheDatasetMustMatchTheShape) {
  if (!std::filesystem::exists(std::string(kFashionMnistDir) + "/t10k-labels-idx1-ubyte.gz")) {
    GTEST_SKIP() << "no Fashion-MNIST in " << kFashionMnistDir;
  }
  const Normalization norm = default_normalization("fashion-mnist");
  const Inputs in = load_dataset_inputs(kFashionMnistDir, {1, 1, 28, 28}, norm, {5, 3});
  ASSERT_EQ(in.blobs.size(), 3u);
  ASSERT_EQ(in.labels.size(), 3u);
  for (const int label : in.labels) {
    EXPECT_GE(label, 0);
    EXPECT_LT(label, 10);
  }
  EXPECT_THROW(load_dataset_inputs(kFashionMnistDir, {1, 3, 32, 32}, norm, {}), ConfigError);
}

} // namespace
} // namespace edgent::data
