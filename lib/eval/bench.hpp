#pragma once

#include "model/segment_runner.hpp"
#include "net/tensor_wire.hpp"

#include <opencv2/core.hpp>

#include <iosfwd>
#include <string>
#include <vector>

namespace edgent::eval {

/// Split overhead at one (exit, cut): median times over the repetitions.
struct SplitFigure {
  int exit = 0;
  int cut = 0;
  double whole_ms = 0;   ///< median over rounds of the exit's whole chain (one net, 0..n)
  double head_ms = 0;    ///< median over rounds of segment (0, cut]
  double tail_ms = 0;    ///< median over rounds of segment (cut, n]
  double split_ms = 0;   ///< median over rounds of head + tail
  double ratio = 0;      ///< median over rounds of (head + tail) / whole (target <= 1.05)
};

/// Encode and decode throughput of one codec over all cut tensors of all exits.
struct CodecFigure {
  std::string codec;
  double raw_bytes = 0;     ///< float32 bytes encoded per pass
  double wire_bytes = 0;    ///< message bytes per pass
  double encode_mbps = 0;   ///< float32 MB (1e6 bytes) encoded per second
  double decode_mbps = 0;   ///< float32 MB decoded per second
};

/// Bytes on the wire for the tensor at one (exit, cut), per codec (message incl. header).
struct WireFigure {
  int exit = 0;
  int cut = 0;
  std::vector<int> shape;
  double zero_fraction = 0;         ///< share of exact zeros in the tensor
  std::vector<std::size_t> bytes;   ///< in the order of BenchResult::codecs
};

struct BenchResult {
  std::vector<SplitFigure> split;
  std::vector<CodecFigure> codecs;
  std::vector<std::string> codec_names;
  std::vector<WireFigure> wire;
};

struct BenchOptions {
  int reps = 20;    ///< timed rounds per figure (after 1 warm-up round); each net runs 4 times a round
  int zstd_level = 1;
};

/// Measures split overhead at every inner cut point of every exit, codec throughput and
/// bytes on the wire on the activations @p input produces. Times are wall-clock.
BenchResult run_bench(model::SegmentRunner& runner, const cv::Mat& input,
                      const BenchOptions& options);

/// Prints @p result as three plain-text tables.
void print_bench(const BenchResult& result, std::ostream& out);

} // namespace edgent::eval
