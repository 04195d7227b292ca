#pragma once

#include "core/artifact.hpp"
#include "model/features.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace edgent::profile {

/// One measured unit of an exit's chain (`units[]`), at the profile's estimate.
/// One unit inside a block (`units[].parts[]`), described as a unit of its own.
struct BlockPart {
  std::string type;           ///< the unit's type (conv, eltwise, concat, ...)
  model::Features features;   ///< its features, "flops" included
  double output_bytes = 0;    ///< its output tensor, fp32 bytes
};

struct ProfileUnit {
  std::optional<int> exit;           ///< 1-based; absent in hand-made profiles
  std::optional<int> unit;           ///< 1-based position in the exit's chain
  std::optional<std::string> name;
  std::optional<std::string> type;   ///< absent in hand-made profiles that only plan
  /// As recorded (without "flops" unless recorded there); absent in hand-made profiles.
  std::optional<model::Features> features;
  std::optional<double> flops;       ///< the unit's own `flops` key
  double output_bytes = 0;           ///< 0 when not recorded
  double ms = 0;                     ///< the estimate (settings.estimate) of its timing
  /// The last unit it covers (`units` [first, last]): a block of several units no cut
  /// separates (type "block") is measured whole; empty = `unit` alone.
  std::optional<int> last_unit;
  /// A block's units in order (`parts`); empty for one unit and in profiles written before
  /// blocks listed them.
  std::vector<BlockPart> parts;
};

/// One exit's chain measured as one net (`exits[]`).
struct ProfileExit {
  int exit = 0;
  double ms = 0;
};

/// One synthetic single-layer sweep point (`sweep[]`).
struct SweepTiming {
  std::string type;
  model::Features features;
  bool near_model = false;  ///< a variant of one of the model's own layer configurations
  double ms = 0;
};

/// One synthetic fused block timed as one net (`block_sweep[]`), with its parts.
struct BlockTiming {
  std::string shape;              ///< human-readable configuration
  std::vector<BlockPart> parts;   ///< its units in order
  double ms = 0;
};

/// One model-loading timing (`load[]`).
struct LoadPoint {
  double model_bytes = 0;
  double ms = 0;
};

/// One codec timing (`codecs[]`, `requests.codecs[]`).
struct CodecPoint {
  std::string codec;
  std::string op;  ///< "encode" or "decode"
  double fp32_bytes = 0;
  double ms = 0;
};

/// The same chain run as one net per segment between its cut points, back to back, as a
/// request (`requests.exits[].split`).
struct SplitRequestPoint {
  int nets = 0;               ///< segments (≥ 2)
  double boundary_bytes = 0;  ///< fp32 bytes of the tensors crossing the nets' boundaries
  double ms = 0;
};

/// One exit's chain run as a request after the idle gap (`requests.exits[]`).
struct RequestPoint {
  int exit = 0;
  double param_bytes = 0;
  double ms = 0;
  double chain_ms = 0;  ///< the same exit's rotation timing (exits[]), for the difference
  std::optional<SplitRequestPoint> split;  ///< absent without inner cut points (or in older profiles)
};

/// The request-mode timings (`requests`).
struct RequestTimings {
  double gap_ms = 0;
  std::vector<RequestPoint> exits;
  std::vector<CodecPoint> codecs;
};

/// The cost of a boundary between unit nets (`net_overhead`), at the estimate; may be < 0.
struct NetOverhead {
  double ms = 0;
  std::optional<double> per_byte_ms;  ///< absent in profiles written before it was measured
};

/// What fits and plans read of an edgent.profile/1 artifact: every timing is reduced to the
/// statistic named by settings.estimate. The `network` section is read by
/// plan::measured_network.
struct Profile {
  std::string file;                 ///< name for messages
  std::string sha256;               ///< of the parsed document, as fits record it
  std::string role;
  std::string model_sha256;         ///< provenance.model_sha256
  std::string estimate = "median_ms";  ///< "median_ms" or "mean_ms"
  std::vector<ProfileUnit> units;
  std::optional<std::vector<ProfileExit>> exits;
  std::optional<std::vector<SweepTiming>> sweep;
  /// Synthetic fused blocks (`block_sweep`); empty in profiles written before it or without
  /// a sweep.
  std::vector<BlockTiming> block_sweep;
  std::vector<LoadPoint> load;
  std::optional<NetOverhead> net_overhead;
  std::vector<CodecPoint> codecs;
  std::optional<RequestTimings> requests;

  /// Throws SchemaError "missing required key" naming the file and @p key.
  [[noreturn]] void missing(const std::string& key) const;
};

/// Reads and validates an edgent.profile/1 artifact; throws SchemaError naming the file and key.
Profile read_profile(const Artifact& artifact);

} // namespace edgent::profile
