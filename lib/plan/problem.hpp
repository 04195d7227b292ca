#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

/// The planner's abstract input: per-unit predicted latencies, transfer sizes and accuracies
/// of a branchy model, independent of how they were obtained (fits, profiles, hand-written).
namespace edgent::plan {

/// Which side runs the units before the cut (see lib/schema/ARTIFACTS.md).
enum class Order {
  device_first, ///< device runs 1..cut, uploads the tensor at cut, edge runs the rest
  edge_first    ///< device uploads the input, edge runs 1..cut, device runs the rest
};

/// "device-first" / "edge-first".
const char* order_name(Order order);
/// Parses an order name; throws UsageError for anything else.
Order parse_order(const std::string& name);

/// Time one side spends on a codec, ms: intercept + slope × the tensor's fp32 bytes.
struct CodecTime {
  double encode_ms = 0;
  double encode_ms_per_byte = 0;
  double decode_ms = 0;
  double decode_ms_per_byte = 0;
  /// Encoding the model's input as the side's first work of a request, cold start included
  /// (measured); 0 = not measured: the side's request_ms plus encode() instead.
  double encode_first_ms = 0;
  double encode(double fp32_bytes) const { return encode_ms + encode_ms_per_byte * fp32_bytes; }
  double decode(double fp32_bytes) const { return decode_ms + decode_ms_per_byte * fp32_bytes; }
};

/// A tensor codec and the size of its encoding relative to the raw fp32 tensor.
struct Codec {
  Codec(std::string codec_name = {}, double size_ratio = 1)
      : name(std::move(codec_name)), ratio(size_ratio) {}
  std::string name; ///< "fp32", "fp16", "int8", optionally "+zstd"
  double ratio = 1; ///< encoded bytes / fp32 bytes (> 0)
  CodecTime device; ///< on the device (zero when not measured)
  CodecTime edge;   ///< on the edge
};

/// The known codec names, and their default size ratios (fp16 0.5, int8 0.25; "+zstd" is an
/// assumed further factor 0.8, to be replaced by a measured size table when one exists).
std::vector<Codec> default_codecs();
/// The default ratio of a known codec name; throws UsageError for an unknown name.
double default_codec_ratio(const std::string& name);

/// One exit's execution-unit chain with its costs.
struct ExitCosts {
  int exit = 0;                   ///< 1-based exit number
  std::vector<double> device_ms;  ///< per unit 1..n (index 0 = unit 1), predicted device ms
  std::vector<double> edge_ms;    ///< per unit, predicted edge compute ms
  std::vector<double> fp32_bytes; ///< n+1 entries: raw fp32 bytes of the tensor at cut c (0 = input)
  std::vector<int> cuts;          ///< valid cuts, ascending, each in 0..n
  /// Optional per unit: bytes of weights the unit reads (for the request overhead); empty = 0.
  std::vector<double> param_bytes;
  /// Optional per unit: its name, shared by the exits whose chains run it (where a cascade's
  /// exits branch off one another); empty = unknown (no cascades).
  std::vector<std::string> unit_names;
  /// Optional: the request overhead of the whole chain run as a request on that side, as
  /// measured for this exit; it replaces the fit's line (PlanProblem) for a device-only plan
  /// (device) and an edge-only one (edge).
  std::optional<double> device_chain_request_ms;
  std::optional<double> edge_chain_request_ms;
  std::optional<double> accuracy; ///< exit accuracy in [0, 1]; empty = unknown
  /// Optional lossy accuracy per (cut, codec): index cut * codecs + codec; empty = use `accuracy`.
  std::vector<std::optional<double>> codec_accuracy;
  /// Optional measured encoded bytes per (cut, codec), same indexing; empty = fp32 bytes × ratio.
  std::vector<std::optional<double>> encoded_bytes;

  /// Number of units n.
  int units() const { return static_cast<int>(device_ms.size()); }
};

/// Everything one planning decision needs apart from the network.
struct PlanProblem {
  std::vector<Codec> codecs;   ///< codecs allowed, in preference order
  /// fp32, which carries what is sent without a choice of codec: the logits back to the
  /// device, the input up in the edge-first order (its ratio is 1; the times as in codecs).
  Codec fp32{"fp32", 1.0};
  std::vector<ExitCosts> exits; ///< ascending exit number; the last is the main exit
  /// What each unit's time includes for running as a net of its own (profiled one net per
  /// unit), per boundary between two units: net_ms plus net_ms_per_byte times the fp32 bytes
  /// of the tensor at that cut. A segment runs as one net and costs the sum of its units less
  /// the boundaries inside it, never less than 0. From the fits' or profiles' net overhead.
  double device_net_ms = 0;
  double edge_net_ms = 0;
  double device_net_ms_per_byte = 0;
  double edge_net_ms_per_byte = 0;
  /// What a request costs a side after an idle gap (as the runtime runs them) beyond the
  /// profile's busy rotation: request_ms once on each side that does any work, plus
  /// request_ms_per_param_byte times the weight bytes of the segment it runs. From the fits'
  /// request overhead (regress::RequestOverhead); zero when not measured.
  double device_request_ms = 0;
  double edge_request_ms = 0;
  double device_request_ms_per_param_byte = 0;
  double edge_request_ms_per_param_byte = 0;
  /// What each net of a request beyond its first costs a side after the gap, beyond the warm
  /// boundary (device_net_ms, ...): a cascade runs segments and branches as several nets.
  double device_request_net_ms = 0;
  double edge_request_net_ms = 0;
  /// True when every exit has a known accuracy; otherwise accuracy is reported as unknown and
  /// the objective becomes "deepest exit that fits, then lowest latency".
  bool accuracy_known() const;
};

/// Network conditions.
struct Network {
  double up_kbps = 0;        ///< device→edge bandwidth (kbit/s, 1 kbit = 1000 bit); 0 = no link
  double down_kbps = 0;      ///< edge→device bandwidth (kbit/s)
  double rtt_ms = 0;         ///< round-trip time; one round trip per offloaded inference
  double edge_queue_ms = 0;  ///< expected queueing at the edge before its compute starts
  /// Bytes each offloaded transfer carries besides the tensor payload (protocol headers).
  double up_overhead_bytes = 0;
  double down_overhead_bytes = 0;
  /// Fixed time each offloaded transfer costs besides half the RTT and its bytes (the edge's
  /// handling of a request, as a measured network profile shows), ms.
  double up_fixed_ms = 0;
  double down_fixed_ms = 0;
  /// How much longer the device's work takes now than its fit predicts (1 = as profiled):
  /// the device's compute and codec times are multiplied by it. The runtime measures it
  /// online (runtime::DeviceSpeed), as it measures the edge's queue.
  double device_scale = 1.0;
};

/// What edgent-infer's POST /v1/infer adds to an upload besides the encoded payload: the
/// HTTP/1.1 request line and headers (221 B measured, sha256 header included) and the 80-byte
/// tensor wire header; rounded up.
inline constexpr double kOffloadUpOverheadBytes = 310;
/// What edgent-serve's reply adds to a download: the HTTP/1.1 status line and headers (150 B
/// measured) and the 80-byte tensor wire header.
inline constexpr double kOffloadDownOverheadBytes = 230;

/// A network as edgent-serve and edgent-infer use it: the given rates, RTT and queueing, plus
/// the offload protocol's per-transfer overhead bytes.
Network offload_network(double up_kbps, double down_kbps, double rtt_ms, double edge_queue_ms = 0);

/// Checks a problem for consistency (sizes, non-negative finite values, valid cuts, codec
/// ratios); throws ConfigError naming @p what.
void validate(const PlanProblem& problem, const std::string& what = "problem");

} // namespace edgent::plan
