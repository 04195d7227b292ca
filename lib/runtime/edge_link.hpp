#pragma once

#include "net/bandwidth_estimator.hpp"
#include "net/http_client.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace edgent::runtime {

/// Settings of an EdgeLink.
struct EdgeLinkOptions {
  net::ClientOptions client;
  net::BandwidthEstimatorOptions estimator;
  /// SHA-256 of the device's model; sent with every request and compared with the edge's.
  std::string model_sha256;
};

/// How far the edge runs a request and how it encodes the reply (the edge-first order).
struct EdgeRoute {
  /// Cut the edge runs to (header X-Edgent-Run-To); -1 = the exit's last unit (device-first).
  int run_to = -1;
  /// Codec of the reply tensor (header X-Edgent-Reply-Codec); empty = the edge's default, fp32.
  std::string reply_codec;
};

/// The edge's answer to one offloaded segment, or why the device must finish it itself.
struct EdgeReply {
  net::HttpResult http;
  /// Edge-reported time waiting for a worker and running the segment, ms (0 without them).
  double queue_ms = 0.0;
  double compute_ms = 0.0;
  /// Time on the wire: total minus queue and compute, ms.
  double network_ms = 0.0;
  /// True when the caller must finish the request on the device: edge unreachable, timeout,
  /// broken connection, or an error status (the reason is in http.error and, for a
  /// status, the JSON error body).
  bool fallback = false;

  bool ok() const { return !fallback; }
};

/// The device's transport to the edge: keep-alive requests with timeouts and reconnection
/// backoff (net::HttpClient), a model check, and bandwidth/RTT estimation from every
/// transfer with a probe when the estimate is stale. Not thread-safe.
class EdgeLink {
public:
  explicit EdgeLink(EdgeLinkOptions options);

  /// Asks the edge for its model (GET /v1/model). Returns the result (not ok when the edge is
  /// unreachable); throws ConfigError when the edge serves a different model than
  /// model_sha256, naming both, when its TLS certificate is not verified (or no TLS version is
  /// common), and when it refuses the bearer token (401).
  net::HttpResult check_model();
  /// Sends one tensor-wire body to POST /v1/infer and records the transfer in the estimator.
  /// Throws ConfigError if the edge refuses the model (409); every other failure is a value
  /// with fallback set.
  /// @p route sets how far the edge runs and the reply codec (default: to the exit, fp32).
  EdgeReply infer(std::string_view wire_body, const EdgeRoute& route = {});
  /// Sends a bandwidth probe (POST /v1/probe, probe_bytes() up, an empty reply) if the
  /// estimate needs one: measure(). Returns true when a probe was sent and succeeded.
  bool probe_if_stale();
  /// Probes until one informs the bandwidth: from probe_bytes(), four times bigger each time
  /// the transfer was too quick to measure (a fast link), up to the largest probe. Returns
  /// the number of probes sent (stops at the first failure).
  int measure();
  /// Sends a tiny request (GET /v1/health) whose time is nearly all round trip, so that the RTT
  /// estimate does not drift up when every other transfer is bulk. Returns whether it succeeded.
  bool ping();
  /// Sends a probe of @p bytes up (the reply is empty) now; returns whether it succeeded.
  bool probe(std::size_t bytes);

  const net::BandwidthEstimator& estimator() const { return m_estimator; }
  /// Seconds since the link was made (the estimator's clock).
  double now_s() const;

private:
  void record(const net::HttpResult& r, double server_ms);

  EdgeLinkOptions m_options;
  net::HttpClient m_client;
  net::BandwidthEstimator m_estimator;
  std::chrono::steady_clock::time_point m_origin;
};

} // namespace edgent::runtime
