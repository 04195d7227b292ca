#include "net/tensor_mat.hpp"

#include "core/error.hpp"

#include <gtest/gtest.h>

#include <random>

namespace edgent::net {
namespace {

cv::Mat blob(std::vector<int> dims, std::uint32_t seed) {
  cv::Mat m(static_cast<int>(dims.size()), dims.data(), CV_32F);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-4.0f, 4.0f);
  for (std::size_t i = 0; i < m.total(); ++i) {
    m.ptr<float>()[i] = dist(rng);
  }
  return m;
}

TEST(TensorMat, EncodeMatIsEncodeTensorOfToWire) {
  const cv::Mat m = blob({1, 8, 5, 5}, 1);
  for (const CodecSpec c : all_codecs()) {
    EXPECT_EQ(encode_mat(m, 42, 3, 2, c), encode_tensor(to_wire(m, 42, 3, 2), c))
        << codec_name(c);
  }
}

TEST(TensorMat, EncodeMatReadsANonContinuousBlob) {
  const cv::Mat whole = blob({6, 10}, 2);
  const cv::Mat part = whole(cv::Rect(2, 1, 5, 4));
  ASSERT_FALSE(part.isContinuous());
  const WireTensor back = decode_tensor(encode_mat(part, 1, 1, 0, parse_codec("fp32")));
  EXPECT_EQ(back.dims, (std::vector<std::uint32_t>{4, 5}));
  EXPECT_EQ(cv::norm(to_mat(back), part.clone(), cv::NORM_INF), 0.0);
}

TEST(TensorMat, EncodeMatRejectsWhatToWireRejects) {
  const cv::Mat ints(2, 2, CV_8U, cv::Scalar(1));
  EXPECT_THROW(encode_mat(ints, 1, 1, 0, parse_codec("fp32")), DataError);
  EXPECT_THROW(to_wire(ints), DataError);
}

} // namespace
} // namespace edgent::net
