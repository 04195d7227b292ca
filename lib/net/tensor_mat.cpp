#include "net/tensor_mat.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <cstring>

namespace edgent::net {

namespace {

/// Checks that @p mat is a float32 blob of 1..kMaxDims dims; its dims on the wire.
std::vector<std::uint32_t> wire_dims(const cv::Mat& mat) {
  if (mat.type() != CV_32F) {
    throw DataError(fmt::format("tensor of OpenCV type {} is not float32", mat.type()), {},
                    "tensor");
  }
  if (mat.dims < 1 || static_cast<std::size_t>(mat.dims) > kMaxDims) {
    throw DataError(fmt::format("tensor has {} dims (1..{} supported)", mat.dims, kMaxDims), {},
                    "tensor");
  }
  std::vector<std::uint32_t> dims;
  for (int i = 0; i < mat.dims; ++i) {
    dims.push_back(static_cast<std::uint32_t>(mat.size[i]));
  }
  return dims;
}

} // namespace

WireTensor to_wire(const cv::Mat& mat, std::uint64_t request_id, std::uint16_t exit,
                   std::uint16_t cut) {
  WireTensor t;
  t.dims = wire_dims(mat);
  t.request_id = request_id;
  t.exit = exit;
  t.cut = cut;
  const cv::Mat c = mat.isContinuous() ? mat : mat.clone();
  t.values.assign(c.ptr<float>(), c.ptr<float>() + c.total());
  return t;
}

std::string encode_mat(const cv::Mat& mat, std::uint64_t request_id, std::uint16_t exit,
                       std::uint16_t cut, CodecSpec codec) {
  const std::vector<std::uint32_t> dims = wire_dims(mat);
  const cv::Mat c = mat.isContinuous() ? mat : mat.clone();
  return encode_tensor(WireView{request_id, exit, cut, dims,
                                std::span<const float>(c.ptr<float>(), c.total())},
                       codec);
}

cv::Mat to_mat(const WireTensor& tensor) {
  std::vector<int> dims(tensor.dims.begin(), tensor.dims.end());
  cv::Mat m(static_cast<int>(dims.size()), dims.data(), CV_32F);
  if (m.total() != tensor.values.size()) {
    throw DataError("tensor dims do not match its values", {}, "tensor");
  }
  std::memcpy(m.ptr<float>(), tensor.values.data(), 4 * tensor.values.size());
  return m;
}

cv::Mat round_trip(const cv::Mat& mat, CodecSpec codec) {
  return to_mat(decode_tensor(encode_tensor(to_wire(mat), codec)));
}

} // namespace edgent::net
