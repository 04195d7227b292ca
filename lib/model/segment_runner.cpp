#include "model/segment_runner.hpp"

#include "core/error.hpp"

#include <opencv2/dnn.hpp>

#include <fmt/format.h>

namespace edgent::model {

struct SegmentRunner::Entry {
  std::mutex mutex;
  cv::dnn::Net net;
  std::vector<int> in_shape;
  std::size_t in_total = 1;
  std::vector<int> out_shape;
  std::size_t out_total = 1;
  std::string out_name;
  std::size_t bytes = 0;
};

SegmentRunner::SegmentRunner(std::shared_ptr<const OnnxGraph> graph, int threads)
    : m_graph(std::move(graph)), m_partition(analyse(*m_graph)), m_threads(threads) {
  if (m_threads > 0) {
    cv::setNumThreads(m_threads);
  }
}

SegmentRunner::~SegmentRunner() = default;

std::vector<int> SegmentRunner::cut_shape(int exit, int cut) const {
  const ExitChain& c = chain(exit);
  if (!c.is_cut_point(cut)) {
    throw ConfigError(fmt::format("exit {}: cut {} is not a cut point", exit, cut), {}, "cut");
  }
  const auto& dims = m_graph->require_shape(c.cut_tensor[static_cast<std::size_t>(cut)]);
  return {dims.begin(), dims.end()};
}

SegmentRunner::Entry& SegmentRunner::entry(int exit, int from, int to) {
  // (exit, from, to) packed 21 bits each; arguments out of that range are never indexed (the
  // checks below refuse them).
  constexpr int kBits = 21;
  const auto fits = [](int v) { return v >= 0 && v < (1 << kBits); };
  const bool indexable = fits(exit) && fits(from) && fits(to);
  const std::uint64_t index = (static_cast<std::uint64_t>(exit) << (2 * kBits)) |
                              (static_cast<std::uint64_t>(from) << kBits) |
                              static_cast<std::uint64_t>(to);
  if (indexable) {
    std::lock_guard<std::mutex> lock(m_mutex);
    const auto found = m_by_segment.find(index);
    if (found != m_by_segment.end()) {
      return *found->second;
    }
  }
  const ExitChain& c = chain(exit);
  check_segment(c, from, to);
  const auto key = std::make_pair(c.cut_tensor[static_cast<std::size_t>(from)],
                                  c.cut_tensor[static_cast<std::size_t>(to)]);
  std::lock_guard<std::mutex> lock(m_mutex);
  auto it = m_cache.find(key);
  if (it != m_cache.end()) {
    if (indexable) {
      m_by_segment.emplace(index, it->second.get());
    }
    return *it->second;
  }
  auto e = std::make_unique<Entry>();
  const onnx::ModelProto segment = extract_segment(*m_graph, c, from, to);
  std::string bytes;
  if (!segment.SerializeToString(&bytes)) {
    throw ModelError("cannot serialise a segment", m_graph->file());
  }
  e->bytes = bytes.size();
  if (m_threads > 0) {
    cv::setNumThreads(m_threads);
  }
  try {
    e->net = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
  } catch (const cv::Exception& ex) {
    throw ModelError(fmt::format("opencv cannot load segment ({}, {}] of exit {}: {}", from, to,
                                 exit, ex.what()),
                     m_graph->file());
  }
  e->in_shape = cut_shape(exit, from);
  e->in_total = static_cast<std::size_t>(element_count(m_graph->require_shape(key.first)));
  e->out_shape = cut_shape(exit, to);
  e->out_total = static_cast<std::size_t>(element_count(m_graph->require_shape(key.second)));
  e->out_name = key.second;
  auto [pos, inserted] = m_cache.emplace(key, std::move(e));
  if (indexable) {
    m_by_segment.emplace(index, pos->second.get());
  }
  return *pos->second;
}

void SegmentRunner::prepare(int exit, int from, int to) { entry(exit, from, to); }

std::size_t SegmentRunner::segment_bytes(int exit, int from, int to) {
  return entry(exit, from, to).bytes;
}

std::size_t SegmentRunner::cached() const {
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_cache.size();
}

std::size_t SegmentRunner::cached_bytes() const {
  std::lock_guard<std::mutex> lock(m_mutex);
  std::size_t total = 0;
  for (const auto& [key, e] : m_cache) {
    total += e->bytes;
  }
  return total;
}

cv::Mat SegmentRunner::run(int exit, int from, int to, const cv::Mat& input) {
  Entry& e = entry(exit, from, to);
  const std::size_t expected = e.in_total;
  if (input.type() != CV_32F || input.total() != expected) {
    throw DataError(fmt::format("exit {} cut {}: input has {} values of type {}, expected {} "
                                "float32 values",
                                exit, from, input.total(), input.type(), expected),
                    {}, "input");
  }
  cv::Mat blob = input.isContinuous() ? input : input.clone();
  blob = blob.reshape(1, static_cast<int>(e.in_shape.size()), e.in_shape.data());
  cv::Mat out;
  std::lock_guard<std::mutex> lock(e.mutex);
  try {
    e.net.setInput(blob);
    out = e.net.forward();
  } catch (const cv::Exception& ex) {
    throw ModelError(fmt::format("opencv failed on segment ({}, {}] of exit {}: {}", from, to,
                                 exit, ex.what()),
                     m_graph->file());
  }
  if (out.total() != e.out_total || out.type() != CV_32F) {
    throw ModelError(fmt::format("segment ({}, {}] of exit {} produced {} values, expected {}",
                                 from, to, exit, out.total(), e.out_total),
                     m_graph->file());
  }
  // The net's output buffer is reused by the next forward: hand out a copy.
  return out.reshape(1, static_cast<int>(e.out_shape.size()), e.out_shape.data()).clone();
}

cv::Mat SegmentRunner::run_exit(int exit, const cv::Mat& input) {
  return run(exit, 0, chain(exit).size(), input);
}

} // namespace edgent::model
