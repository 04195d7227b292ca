#pragma once

#include "net/tensor_wire.hpp"

#include <opencv2/core.hpp>

#include <cstdint>
#include <string>

namespace edgent::net {

/// A WireTensor holding a copy of float32 blob @p mat (its dims become the wire dims).
/// Throws DataError for a non-float32 Mat or more than kMaxDims dims.
WireTensor to_wire(const cv::Mat& mat, std::uint64_t request_id = 0, std::uint16_t exit = 0,
                   std::uint16_t cut = 0);

/// encode_tensor(to_wire(@p mat, ...), @p codec) without the copy into a WireTensor: the
/// message is written from the blob's own memory. Throws DataError as to_wire() does.
std::string encode_mat(const cv::Mat& mat, std::uint64_t request_id, std::uint16_t exit,
                       std::uint16_t cut, CodecSpec codec);

/// A float32 blob with the tensor's dims holding a copy of its values.
cv::Mat to_mat(const WireTensor& tensor);

/// encode_tensor then decode_tensor: what the receiver of @p mat sees with @p codec.
cv::Mat round_trip(const cv::Mat& mat, CodecSpec codec);

} // namespace edgent::net
