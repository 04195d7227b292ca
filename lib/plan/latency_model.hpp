#pragma once

#include "plan/problem.hpp"

#include <vector>

namespace edgent::plan {

/// Predicted latency of one plan, all in milliseconds.
/// total = device + codec + edge + up + down.
struct Breakdown {
  double device_ms = 0; ///< device compute
  double codec_ms = 0;  ///< the device's tensor wire codec: encoding uploads, decoding replies
  double edge_ms = 0;   ///< edge compute (its codec included) plus edge queueing (0 when
                        ///< nothing runs on the edge)
  double up_ms = 0;     ///< upload: half an RTT, the fixed cost, encoded bytes / uplink bandwidth
  double down_ms = 0;   ///< download: half an RTT, the fixed cost, bytes / downlink bandwidth
  double total_ms = 0;  ///< the sum; +infinity when a needed link has zero bandwidth
};

/// One candidate plan: an exit, a cut of its chain, an order and a codec.
/// Canonical forms (so that equivalent plans are counted once):
///  - device-only is device-first at cut n with codec index -1 (nothing is transferred);
///  - edge-only is device-first at cut 0 (the input is encoded with the codec);
///  - edge-first uses interior cuts 0 < cut < n only (edge-first cut 0 would be device-only
///    and cut n edge-only).
struct Choice {
  int exit_index = 0;  ///< index into PlanProblem::exits (not the 1-based exit number)
  int cut = 0;         ///< units run before the cut, 0..n
  Order order = Order::device_first;
  int codec = -1;      ///< index into PlanProblem::codecs; -1 = no transfer (device-only)
};

/// A cascade's exits as the planner sees them.
struct CascadeShape {
  std::vector<int> exit_index; ///< indices into PlanProblem::exits, ascending; the last is final
  /// Per exit: the cut of the final chain where the exit's branch leaves it (units shared);
  /// the final exit's is its chain's size.
  std::vector<int> branch;
};

/// What a cascade's input costs up to the exit it leaves at, without the network: the
/// cascade search computes these once per (cascade, cut, codec, exit) and applies each
/// request's network with cascade_breakdown.
struct CascadeTerms {
  double device_ms = 0;  ///< device compute as profiled (net.device_scale multiplies it)
  double codec_ms = 0;   ///< device encode/decode as profiled (net.device_scale multiplies it)
  double edge_ms = 0;    ///< edge compute and codec, without the queue
  double up_bytes = 0;   ///< the encoded tensor at the cut, without protocol overhead
  double down_bytes = 0; ///< the answering exit's fp32 logits
  bool crosses = false;  ///< the input crosses the link (else every other part is 0)
};

/// @p terms under @p net: the device's parts scaled by net.device_scale; an input that
/// crosses pays the edge's queue, the RTT, the fixed parts and the transfers.
Breakdown cascade_breakdown(const CascadeTerms& terms, const Network& net);

/// Per-exit prefix sums for O(1) latency evaluation.
struct PreparedExit {
  std::vector<double> device_prefix; ///< n+1 entries: device ms of units 1..c
  std::vector<double> edge_prefix;   ///< n+1 entries: edge ms of units 1..c
  /// n+1 entries: per-net cost of the boundaries at cuts 1..c (entry 0 = 0), which a segment
  /// run as one net does not pay between its units.
  std::vector<double> device_boundary_prefix;
  std::vector<double> edge_boundary_prefix;
  /// n+1 entries: weight bytes of units 1..c (for the request overhead).
  std::vector<double> param_prefix;
};

/// A problem with prefix sums computed once, for many decisions.
class LatencyModel {
public:
  /// Validates @p problem and computes prefix sums. The problem is copied.
  explicit LatencyModel(PlanProblem problem);

  const PlanProblem& problem() const { return m_problem; }

  /// Encoded bytes crossing the link for the tensor at @p cut of exit @p exit_index with @p codec.
  double tensor_bytes(int exit_index, int cut, int codec) const;

  /// The latency breakdown of @p choice under @p net.
  /// device-first, cut c < n: device runs 1..c, uploads tensor c (cut 0 = the input) encoded
  ///   with the codec, the edge runs c+1..n, the fp32 result (tensor n) is downloaded.
  /// edge-first, 0 < c < n: the fp32 input is uploaded, the edge runs 1..c, the tensor at c is
  ///   downloaded encoded with the codec, the device runs c+1..n.
  /// device-only: device runs 1..n, no transfer, no RTT.
  /// Each side that does any work also pays its request overhead (PlanProblem): the fixed
  /// part once, the per-weight-byte part for the segment it runs. The device's compute and
  /// codec times are scaled by net.device_scale.
  Breakdown latency(const Choice& choice, const Network& net) const;

  /// Predicted latency of a confidence cascade (device-first) whose input leaves at its
  /// exit @p leave (index into @p shape), with the final chain cut at @p cut and the tensor at
  /// the cut sent with @p codec (ignored at cut n). The device runs the final chain's units up
  /// to the cut, split at each branch point b <= cut of an exit it evaluates, and those exits'
  /// branches; an input that crosses pays the transfers, and the edge runs the rest of the
  /// chain the same way up to the answering exit's branch (or the end) and that branch.
  /// The device's compute and codec times are scaled by net.device_scale.
  Breakdown cascade_latency(const CascadeShape& shape, int cut, int codec, std::size_t leave,
                            const Network& net) const;
  /// cascade_latency() with the network left out: cascade_breakdown(cascade_terms(...), net)
  /// is cascade_latency(..., net), to the bit.
  CascadeTerms cascade_terms(const CascadeShape& shape, int cut, int codec,
                             std::size_t leave) const;

  /// Accuracy of @p choice: the (cut, codec) entry when known, else the exit's accuracy;
  /// device-only uses the exit accuracy. Empty when unknown.
  std::optional<double> accuracy(const Choice& choice) const;

private:
  /// latency() with the device as profiled (device_scale ignored).
  Breakdown profiled_latency(const Choice& choice, const Network& net) const;
  /// Units (from, to] as one net on that side, with the request overhead's per-weight-byte
  /// part; 0 when empty.
  double device_segment_ms(const PreparedExit& p, int from, int to) const;
  /// A request's cold start on the side (@p device, else the edge) that runs exit
  /// @p exit_index's whole chain: as measured for that chain (less its weights, which the
  /// segments count), else the fit's fixed part.
  double chain_start_ms(int exit_index, bool device) const;
  /// The device's encoding of the input as its first work of a request.
  double first_encode_ms(const CodecTime& codec, double input_bytes) const;
  double edge_segment_ms(const PreparedExit& p, int from, int to) const;

  PlanProblem m_problem;
  std::vector<PreparedExit> m_prepared;
  std::vector<double> m_input_bytes; // per exit: fp32 input bytes
};

/// Milliseconds to send @p bytes at @p kbps (bytes · 8 / kbps); +infinity when kbps ≤ 0 and bytes > 0.
double transfer_ms(double bytes, double kbps);

} // namespace edgent::plan
