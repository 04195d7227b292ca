#pragma once

#include "model/onnx_graph.hpp"
#include "model/segment_runner.hpp"
#include "net/http_server.hpp"

#include <memory>
#include <vector>

namespace edgent::runtime {

/// The edge side of co-inference: runs the segment a request names on OpenCV DNN.
///
/// A request body is one tensor-wire message: the tensor at cut `cut` of exit `exit`. The edge
/// runs units (cut, to] of that exit, where `to` is the `X-Edgent-Run-To` header (default: the
/// exit's last unit, i.e. the device-first order; a smaller value serves the edge-first order),
/// and answers with the tensor at cut `to` in the codec of `X-Edgent-Reply-Codec` (default
/// fp32), with the request id, exit and cut `to` in its header.
class EdgeHandler : public net::InferHandler {
public:
  /// One segment runner (with its own net cache) per server worker; @p threads is OpenCV's
  /// process-wide thread count (0 = OpenCV's default).
  EdgeHandler(std::shared_ptr<const model::OnnxGraph> graph, unsigned workers, int threads);

  /// Throws DataError (400) for a malformed message, a tensor whose dims are not exactly the
  /// cut's shape (checked on the header, before the payload is decoded) or one holding NaN or
  /// infinity; ConfigError (422) for an unknown exit, a cut that is not a cut point, or a bad
  /// codec; HttpError 422 when the model's output overflows (non-finite) or does not fit an
  /// fp16 reply.
  net::InferReply infer(std::string_view body, const net::RequestInfo& info) override;
  /// {sha256, file, input {name, shape}, exits [{exit, output, units [{name, type}], cuts}]}.
  nlohmann::json model_info() const override;

private:
  std::shared_ptr<const model::OnnxGraph> m_graph;
  std::vector<std::unique_ptr<model::SegmentRunner>> m_runners;
};

} // namespace edgent::runtime
