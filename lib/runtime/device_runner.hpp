#pragma once

#include "emulate/dilation.hpp"
#include "model/onnx_graph.hpp"
#include "model/segment_runner.hpp"
#include "plan/plan_json.hpp"
#include "runtime/edge_link.hpp"

#include <opencv2/core.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace edgent::runtime {

/// What one co-inference took, as measured on the device, all in ms.
struct MeasuredBreakdown {
  double device_ms = 0;       ///< device compute (head, tail, or the fallback's chain), as
                              ///< the emulated device takes it (TimeDilation)
  double device_cpu_ms = 0;   ///< CPU time of that compute on this machine
  double codec_ms = 0;        ///< encoding the upload and decoding the reply on the device
                              ///< (dilated like the compute)
  double up_ms = 0;           ///< request sent until the edge started queueing: first byte
                              ///< time minus edge queue and compute (includes half the RTT)
  double down_ms = 0;         ///< first response byte to the whole response read
  double network_ms = 0;      ///< up + down: the request's time minus the edge's
  double edge_queue_ms = 0;   ///< edge-reported wait for a worker
  double edge_compute_ms = 0; ///< edge-reported segment time (decode, run, encode)
  double total_ms = 0;        ///< wall clock from the request's start to the logits
};

/// The outcome of one request.
struct RunResult {
  cv::Mat logits;               ///< the exit's output, float32 [1, classes]
  int exit = 0;                 ///< exit that produced the logits (the fallback's when it ran)
  double confidence = 0;        ///< the logits' top softmax probability
  bool offloaded = false;       ///< the edge ran a segment successfully
  bool fallback = false;        ///< the edge failed and the device finished the request
  std::string fallback_reason;  ///< why (HTTP outcome, status, error body), empty otherwise
  bool edge_busy = false;       ///< the fallback's reason is the edge's 503 (over a cap)
  MeasuredBreakdown measured;
  std::size_t bytes_up = 0;     ///< bytes written to the edge, headers included (0 = no offload)
  std::size_t bytes_down = 0;   ///< bytes read from the edge
};

/// Runs requests on the device under a plan {exit, cut, order, codec} (lib/schema/ARTIFACTS.md),
/// offloading the other part to the edge through an EdgeLink:
///  - device-first, cut c < n: the device runs (0, c], uploads the tensor at c with the codec,
///    the edge runs (c, n] and answers the fp32 logits (cut 0 = edge-only);
///  - device-first, cut n: device-only, no network;
///  - edge-first, 0 < c < n: the fp32 input goes up, the edge runs (0, c] (X-Edgent-Run-To c)
///    and answers the tensor at c in the codec, the device runs (c, n].
/// A plan with a confidence cascade (device-first) runs the cascade's part (0, c] on the
/// device (model::run_cascade_part) and answers there at the first confident exit; otherwise
/// the tensor at c goes up with the cascade (X-Edgent-Cascade) and the edge answers at the
/// first confident exit after the cut or at the last (the reply names that exit, at its last
/// cut); when the edge fails, the device runs the rest of the cascade itself.
/// When the edge fails (EdgeReply::fallback), or answers with a tensor other than the one asked
/// for (request id, exit, cut, the cut's exact shape, finite values: "bad reply: ..."), the device
/// finishes the request at the deepest exit whose device latency fits the time left before the
/// deadline (the shallowest when none fits).
/// Not thread-safe.
class DeviceRunner {
public:
  /// @p link may be null when every plan is device-only. @p cv_threads is OpenCV's process-wide
  /// thread count (0 = OpenCV's default). Every device run (segments, codec) is held to
  /// @p dilation's factor times its CPU time.
  DeviceRunner(std::shared_ptr<const model::OnnxGraph> graph, EdgeLink* link, int cv_threads,
               emulate::TimeDilation dilation = emulate::TimeDilation());

  /// Device latency of each exit's whole chain (index 0 = exit 1), ms, used to pick the fallback
  /// exit. Throws ConfigError when the size is not the number of exits.
  void set_exit_latency(std::vector<double> exit_ms);
  const std::vector<double>& exit_latency() const { return m_exit_ms; }
  /// Times each exit's whole chain on @p input (median of @p reps warm runs, dilated), ms.
  std::vector<double> measure_exit_latency(const cv::Mat& input, int reps);

  /// Checks that @p plan fits the model: a known exit, a cut point, a known codec ("none" only
  /// for device-only), edge-first only at interior cuts. Throws ConfigError naming @p where.
  void check_plan(const plan::PlanRecord& plan, const std::string& where) const;
  /// Loads the device's segment nets of @p plan (and every exit's chain for fallbacks), and
  /// runs each net it loads once: OpenCV sets a net up on its first forward pass, which would
  /// otherwise fall on a request.
  void prepare(const plan::PlanRecord& plan);

  /// Runs request @p id on @p input (a float32 blob of the model's input shape) under @p plan.
  /// @p start is when the request counts as started (its scheduled time in open loop) and
  /// @p deadline_ms the latency budget from @p start (for the fallback exit).
  RunResult run(std::uint64_t id, const cv::Mat& input, const plan::PlanRecord& plan,
                std::chrono::steady_clock::time_point start, double deadline_ms);

  /// Whether requests can be offloaded (there is an edge link).
  bool has_link() const { return m_link != nullptr; }
  model::SegmentRunner& segments() { return m_segments; }
  const model::SegmentRunner& segments() const { return m_segments; }
  int exits() const { return static_cast<int>(m_segments.partition().exits.size()); }

private:
  RunResult run_fixed(std::uint64_t id, const cv::Mat& input, const plan::PlanRecord& plan,
                      std::chrono::steady_clock::time_point start, double deadline_ms);
  RunResult run_cascade(std::uint64_t id, const cv::Mat& input, const plan::PlanRecord& plan,
                        std::chrono::steady_clock::time_point start);
  /// Loads segment (from, to] of @p exit's chain, and runs it once (on zeros) when it is new.
  void load(int exit, int from, int to);
  /// Copies what @p reply measured into @p r.
  static void record_reply(RunResult& r, const EdgeReply& reply);
  void finish_on_device(RunResult& r, const cv::Mat& input, const plan::PlanRecord& plan,
                        const cv::Mat* head, std::chrono::steady_clock::time_point start,
                        double deadline_ms);

  std::shared_ptr<const model::OnnxGraph> m_graph;
  EdgeLink* m_link;
  model::SegmentRunner m_segments;
  std::vector<double> m_exit_ms;
  emulate::TimeDilation m_dilation;
};

/// Index of the largest value of a [1, N] (or any) float32 Mat.
int argmax(const cv::Mat& logits);

} // namespace edgent::runtime
