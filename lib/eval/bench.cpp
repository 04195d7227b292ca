#include "eval/bench.hpp"

#include "core/stats.hpp"

#include "net/tensor_mat.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <chrono>
#include <ostream>

namespace edgent::eval {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

/// stats::median() of @p v, 0 when empty.
double median(std::vector<double> v) {
  return v.empty() ? 0.0 : stats::median(std::move(v));
}

} // namespace

BenchResult run_bench(model::SegmentRunner& runner, const cv::Mat& input,
                      const BenchOptions& options) {
  BenchResult result;
  const int reps = std::max(1, options.reps);
  std::vector<cv::Mat> tensors;  // every cut tensor, for the codec figures
  for (const auto& chain : runner.partition().exits) {
    const int exit = chain.exit;
    const int n = chain.size();
    // Activations at every cut point, and the nets loaded before any timing.
    std::vector<cv::Mat> at(static_cast<std::size_t>(n) + 1);
    at[0] = input;
    int prev = 0;
    for (const int cut : chain.cut_points()) {
      if (cut > 0) {
        at[static_cast<std::size_t>(cut)] = runner.run(exit, prev, cut, at[static_cast<std::size_t>(prev)]);
        prev = cut;
      }
      runner.prepare(exit, 0, n);
      if (cut > 0 && cut < n) {
        runner.prepare(exit, 0, cut);
        runner.prepare(exit, cut, n);
      }
    }
    for (const int cut : chain.cut_points()) {
      const cv::Mat& t = at[static_cast<std::size_t>(cut)];
      tensors.push_back(t);
      WireFigure w;
      w.exit = exit;
      w.cut = cut;
      for (int i = 0; i < t.dims; ++i) {
        w.shape.push_back(t.size[i]);
      }
      w.zero_fraction = 1.0 - static_cast<double>(cv::countNonZero(t.reshape(1, 1))) /
                                  static_cast<double>(t.total());
      for (const auto codec : net::all_codecs()) {
        w.bytes.push_back(net::encode_tensor(net::to_wire(t), codec, options.zstd_level).size());
      }
      result.wire.push_back(std::move(w));
      if (cut == 0 || cut == n) {
        continue;
      }
      // Rounds of short bursts: each net runs kBurst times in a row (as a device runs only
      // the head and an edge only the tail, each with its own weights warm in cache), the
      // first run of a burst re-warms and is not timed. Rounds alternate whole and split, so
      // drift in machine load hits both alike; the ratio is taken per round.
      constexpr int kBurst = 4;
      const auto burst = [&](int from, int to, const cv::Mat& in) {
        std::vector<double> t;
        for (int b = 0; b < kBurst; ++b) {
          const auto t0 = Clock::now();
          runner.run(exit, from, to, in);
          if (b > 0) {
            t.push_back(ms_since(t0));
          }
        }
        return median(std::move(t));
      };
      const cv::Mat mid = runner.run(exit, 0, cut, input);
      std::vector<double> whole, head, tail, split, ratio;
      for (int r = 0; r < reps + 1; ++r) {
        const double w_ms = burst(0, n, input);
        const double h_ms = burst(0, cut, input);
        const double t_ms = burst(cut, n, mid);
        if (r >= 1) {
          whole.push_back(w_ms);
          head.push_back(h_ms);
          tail.push_back(t_ms);
          split.push_back(h_ms + t_ms);
          ratio.push_back((h_ms + t_ms) / w_ms);
        }
      }
      SplitFigure f;
      f.exit = exit;
      f.cut = cut;
      f.whole_ms = median(whole);
      f.head_ms = median(head);
      f.tail_ms = median(tail);
      f.split_ms = median(split);
      f.ratio = median(ratio);
      result.split.push_back(f);
    }
  }
  for (const auto codec : net::all_codecs()) {
    result.codec_names.push_back(net::codec_name(codec));
    CodecFigure c;
    c.codec = net::codec_name(codec);
    std::vector<net::WireTensor> wires;
    for (const auto& t : tensors) {
      wires.push_back(net::to_wire(t));
      c.raw_bytes += 4.0 * static_cast<double>(t.total());
    }
    std::vector<std::string> messages(wires.size());
    std::vector<double> enc, dec;
    for (int r = 0; r < reps; ++r) {
      auto t0 = Clock::now();
      for (std::size_t i = 0; i < wires.size(); ++i) {
        messages[i] = net::encode_tensor(wires[i], codec, options.zstd_level);
      }
      enc.push_back(ms_since(t0));
      t0 = Clock::now();
      std::size_t sink = 0;
      for (const auto& m : messages) {
        sink += net::decode_tensor(m).values.size();
      }
      dec.push_back(ms_since(t0));
      if (sink == 0) {
        enc.back() = 0;  // keeps the decode from being optimised away
      }
    }
    for (const auto& m : messages) {
      c.wire_bytes += static_cast<double>(m.size());
    }
    c.encode_mbps = c.raw_bytes / 1e6 / (median(enc) / 1e3);
    c.decode_mbps = c.raw_bytes / 1e6 / (median(dec) / 1e3);
    result.codecs.push_back(c);
  }
  return result;
}

void print_bench(const BenchResult& r, std::ostream& out) {
  fmt::print(out, "# split overhead: per round, each of whole, head and tail runs a burst of 4 (first\n"
                 "# untimed); medians over rounds; ratio = median over rounds of (head + tail) / whole\n");
  fmt::print(out, "{:>4} {:>4} {:>10} {:>10} {:>10} {:>10} {:>7}\n", "exit", "cut", "whole_ms",
             "head_ms", "tail_ms", "split_ms", "ratio");
  std::vector<double> ratios;
  for (const auto& f : r.split) {
    fmt::print(out, "{:>4} {:>4} {:>10.3f} {:>10.3f} {:>10.3f} {:>10.3f} {:>7.3f}\n", f.exit,
               f.cut, f.whole_ms, f.head_ms, f.tail_ms, f.split_ms, f.ratio);
    ratios.push_back(f.ratio);
  }
  if (!ratios.empty()) {
    std::sort(ratios.begin(), ratios.end());
    fmt::print(out, "# ratio over {} cuts: median {:.3f}, max {:.3f} (target <= 1.05)\n",
               ratios.size(), median(ratios), ratios.back());
  }
  fmt::print(out, "\n# codec throughput over all cut tensors (MB = 1e6 float32 bytes)\n");
  fmt::print(out, "{:<10} {:>12} {:>12} {:>8} {:>12} {:>12}\n", "codec", "raw_bytes",
             "wire_bytes", "ratio", "encode_MB/s", "decode_MB/s");
  for (const auto& c : r.codecs) {
    fmt::print(out, "{:<10} {:>12.0f} {:>12.0f} {:>8.3f} {:>12.1f} {:>12.1f}\n", c.codec,
               c.raw_bytes, c.wire_bytes, c.wire_bytes / c.raw_bytes, c.encode_mbps,
               c.decode_mbps);
  }
  fmt::print(out, "\n# bytes on the wire per cut (message incl. 80-byte header)\n");
  fmt::print(out, "{:>4} {:>4} {:<16} {:>6}", "exit", "cut", "shape", "zeros");
  for (const auto& name : r.codec_names) {
    fmt::print(out, " {:>10}", name);
  }
  fmt::print(out, "\n");
  for (const auto& w : r.wire) {
    fmt::print(out, "{:>4} {:>4} {:<16} {:>6.2f}", w.exit, w.cut, fmt::format("{}", fmt::join(w.shape, "x")),
               w.zero_fraction);
    for (const auto b : w.bytes) {
      fmt::print(out, " {:>10}", b);
    }
    fmt::print(out, "\n");
  }
}

} // namespace edgent::eval
