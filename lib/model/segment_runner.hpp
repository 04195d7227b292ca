#pragma once

#include "model/onnx_graph.hpp"
#include "model/partition.hpp"

#include <opencv2/core.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace edgent::model {

/// Runs segments (from-cut, to-cut] of a model's exit chains with OpenCV DNN. Each segment is
/// extracted into an in-memory ONNX model and loaded once per process on first use (segments
/// shared between exits, such as the trunk, are loaded once). run() is safe to call from
/// several threads; calls on the same segment are serialised.
class SegmentRunner {
public:
  /// @p threads is OpenCV's thread count, a process-wide setting (cv::setNumThreads) applied
  /// when the runner is made and before each net is loaded: it bounds the threads of every
  /// net in the process, not of one net. 0 keeps OpenCV's default (all cores).
  SegmentRunner(std::shared_ptr<const OnnxGraph> graph, int threads = 0);
  ~SegmentRunner();
  SegmentRunner(const SegmentRunner&) = delete;
  SegmentRunner& operator=(const SegmentRunner&) = delete;

  const OnnxGraph& graph() const { return *m_graph; }
  const Partition& partition() const { return m_partition; }
  /// The chain of exit @p exit (1-based). Throws ConfigError when out of range.
  const ExitChain& chain(int exit) const { return m_partition.exit(exit); }
  /// Shape of the tensor at cut @p cut of exit @p exit (batch 1).
  std::vector<int> cut_shape(int exit, int cut) const;

  /// Runs units (from, to] of exit @p exit on @p input, a float32 blob with the shape of the
  /// tensor at cut @p from (any Mat with the same element count is reshaped). Returns the
  /// tensor at cut @p to as a float32 blob with its ONNX shape. Throws ConfigError for a bad
  /// exit or cut, DataError for a wrong input size, ModelError when OpenCV fails.
  cv::Mat run(int exit, int from, int to, const cv::Mat& input);
  /// The whole chain of exit @p exit: run(exit, 0, n).
  cv::Mat run_exit(int exit, const cv::Mat& input);
  /// Extracts and loads segment (from, to] of exit @p exit now (to keep loading out of timings).
  void prepare(int exit, int from, int to);
  /// Number of loaded segment nets.
  std::size_t cached() const;
  /// Serialized size in bytes of every loaded segment net (their weights, mostly).
  std::size_t cached_bytes() const;
  /// Serialized size in bytes of segment (from, to] of exit @p exit (what loading it reads).
  std::size_t segment_bytes(int exit, int from, int to);

private:
  struct Entry;
  Entry& entry(int exit, int from, int to);

  std::shared_ptr<const OnnxGraph> m_graph;
  Partition m_partition;
  int m_threads;
  mutable std::mutex m_mutex;
  /// The loaded nets, one per distinct pair of cut tensors.
  std::map<std::pair<std::string, std::string>, std::unique_ptr<Entry>> m_cache;
  /// The same nets by (exit, from, to), what run() looks up: an integer hash, no tensor names
  /// copied or compared and no graph lookups per run. A model's unit net then costs what a
  /// one-layer net of the same layer costs, as the profile's sweep measures it (with the
  /// names, 0.3-0.4 µs more per run in a cold cache: 7 % of a small ReLU's time).
  std::unordered_map<std::uint64_t, Entry*> m_by_segment;
};

} // namespace edgent::model
