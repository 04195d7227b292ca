#pragma once

#include "net/http_client.hpp"
#include "net/net_options.hpp"
#include "profile/timing.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace edgent::profile {

/// What edgent-profile --edge measures of the network to an edge server, and how.
struct NetworkProbeOptions {
  net::EdgeNetOptions edge;  ///< the edge's URL, token, CA, timeouts, emulated trace
  /// Payload sizes timed each way, bytes (1 KiB .. 1 MiB, powers of 4 by default).
  std::vector<std::size_t> sizes{1024, 4096, 16384, 65536, 262144, 1048576};
  int reps = 5;       ///< timed transfers per size and direction (all samples kept)
  int rtt_reps = 20;  ///< timed GET /v1/health round trips
  int warmup = 2;     ///< untimed round trips (and one transfer per direction) first
};

/// Largest payload the probe sends or asks for, bytes (edgent-serve's default --max-body).
inline constexpr std::size_t kMaxProbeBytes = 64u * 1024u * 1024u;

/// A fitted one-way transfer model, ms = intercept_ms + bytes · 8 / kbps (1 kbit = 1000 bit),
/// bytes being what crosses the wire in that direction (HTTP headers included).
struct TransferFit {
  double intercept_ms = 0;  ///< fixed cost per transfer: a round trip plus the edge's handling
  double kbps = 0;          ///< fitted rate; +infinity when time does not grow with size
  double r2 = 0;            ///< coefficient of determination of the fit on the points
};

/// Ordinary least squares of ms on bytes over the points (@p bytes[i], @p ms[i]). Throws
/// ConfigError when there are fewer than two distinct sizes or a value is not finite. Time
/// not growing with size (by under a nanosecond across the sizes: a link faster than the clock
/// resolves) gives kbps = +infinity.
TransferFit fit_transfer(const std::vector<double>& bytes, const std::vector<double>& ms);

/// Timings of one payload size.
struct SizeTiming {
  std::size_t bytes = 0;          ///< payload size
  std::size_t up_wire_bytes = 0;  ///< bytes the client wrote for an upload (headers included)
  std::size_t down_wire_bytes = 0;  ///< bytes the client read for a download
  TimingStats up;    ///< POST /v1/probe with `bytes` up and nothing back, request to response
  TimingStats down;  ///< POST /v1/probe with nothing up and `bytes` back
};

/// The network section of a profile.
struct NetworkMeasurement {
  std::string edge;  ///< the URL as given
  TimingStats rtt;   ///< GET /v1/health on the kept-alive connection
  std::vector<SizeTiming> sizes;
  TransferFit up;    ///< fitted on (up_wire_bytes, up.median_ms)
  TransferFit down;  ///< fitted on (down_wire_bytes, down.median_ms)
  int reconnects = 0;  ///< connections opened after the first (0 when keep-alive held)
};

/// Checks @p options (sizes in 1..kMaxProbeBytes with at least two distinct ones, reps >= 1,
/// rtt_reps >= 1, warmup >= 0); throws UsageError naming the option.
void validate(const NetworkProbeOptions& options);

/// Measures the network to the edge on one kept-alive connection: @p options.warmup health
/// round trips, the RTT samples, a probe that checks the token, then per rep and size an
/// upload and a download (interleaved, so drift reaches all sizes alike), and the fits.
/// Throws ConfigError for a bad URL, a refused bearer token or an unverified TLS certificate,
/// NetError naming the URL when the edge is unreachable, times out or answers with an error.
NetworkMeasurement measure_network(const NetworkProbeOptions& options);

/// The profile's `network` object:
/// {edge, reconnects, rtt {samples_ms, median_ms, p95_ms},
///  sizes [{bytes, up_wire_bytes, down_wire_bytes, up {samples_ms, median_ms, p95_ms},
///          down {...}}],
///  up {intercept_ms, kbps, r2}, down {intercept_ms, kbps, r2}}
/// (kbps is null when infinite).
nlohmann::json to_json(const NetworkMeasurement& m);

/// Parses a comma-separated list of sizes in bytes with an optional K/M suffix (KiB, MiB),
/// e.g. "1K,4K,64K,1M". Throws UsageError naming --net-sizes.
std::vector<std::size_t> parse_sizes(const std::string& text);

} // namespace edgent::profile
