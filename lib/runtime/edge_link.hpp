#pragma once

#include "net/bandwidth_estimator.hpp"
#include "net/http_client.hpp"
#include "net/queue_estimator.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace edgent::runtime {

/// Settings of an EdgeLink.
struct EdgeLinkOptions {
  net::ClientOptions client;
  net::BandwidthEstimatorOptions estimator;
  /// The estimate of the edge's queueing, from the waits it reports.
  net::QueueEstimatorOptions queue;
  /// SHA-256 of the device's model; sent with every request and compared with the edge's.
  std::string model_sha256;
};

/// How far the edge runs a request and how it encodes the reply (the edge-first order).
struct EdgeRoute {
  /// Cut the edge runs to (header X-Edgent-Run-To); -1 = the exit's last unit (device-first).
  int run_to = -1;
  /// Codec of the reply tensor (header X-Edgent-Reply-Codec); empty = the edge's default, fp32.
  std::string reply_codec;
  /// A confidence cascade ending at the request's exit (header X-Edgent-Cascade, as
  /// model::cascade_to_string writes it): the edge answers at its first confident exit after
  /// the cut, or at the last; empty = none.
  std::string cascade;
};

/// The edge's answer to one offloaded segment, or why the device must finish it itself.
struct EdgeReply {
  net::HttpResult http;
  /// Edge-reported time waiting for a worker and running the segment, ms (0 without them).
  double queue_ms = 0.0;
  double compute_ms = 0.0;
  /// Time on the wire: total minus queue and compute, ms.
  double network_ms = 0.0;
  /// The edge answered 503: over one of its caps (queue, requests in flight, connections,
  /// memory). A fallback like any other failure, counted apart.
  bool busy = false;
  /// The edge's Retry-After on a 503, s (0 without one).
  double retry_after_s = 0.0;
  /// True when the caller must finish the request on the device: edge unreachable, timeout,
  /// broken connection, or an error status (the reason is in http.error and, for a
  /// status, the JSON error body).
  bool fallback = false;

  bool ok() const { return !fallback; }
};

/// How the background link monitor (EdgeLink::start_monitor) measures the link.
struct MonitorOptions {
  bool probe = true;            ///< send bandwidth probes when no transfer measured the link
  /// Probe when the newest bandwidth sample is older than this (requests that cross the link
  /// measure it too, and then no probe is sent).
  double probe_period_s = 0.25;
  double ping_period_s = 0.5;   ///< send a ping (the RTT) this often; 0 = never
  /// Probes take at most this share of the link's time: after a probe of t ms the next one
  /// waits at least t / max_duty - t, but never more than max_wait_s (a probe stretched by
  /// an outage must not keep the estimate from seeing the link come back).
  double max_duty = 0.2;
  double max_wait_s = 2.0;
};

/// The device's transport to the edge: keep-alive requests with timeouts and reconnection
/// backoff (net::HttpClient), a model check, and bandwidth/RTT estimation from every
/// transfer, with probes when the estimate is stale: on demand, or from a background monitor
/// with a connection of its own (start_monitor()). The requests are not thread-safe; the
/// estimator is shared with the monitor under a lock.
class EdgeLink {
public:
  explicit EdgeLink(EdgeLinkOptions options);
  ~EdgeLink();
  EdgeLink(const EdgeLink&) = delete;
  EdgeLink& operator=(const EdgeLink&) = delete;

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

  /// Starts measuring the link in the background, on a connection of its own: pings every
  /// ping_period_s, and a probe whenever no transfer measured the link for probe_period_s
  /// (requests within a link's burst, or none crossing it: device-only plans), at most
  /// max_duty of the link's time.
  /// Probes then share the link with the requests, as they would on a real device.
  void start_monitor(MonitorOptions options = {});
  /// Stops the monitor (also on destruction); probes sent so far.
  std::size_t stop_monitor();

  /// A copy of the estimator as it is now (the monitor may be updating it).
  net::BandwidthEstimator estimator() const;
  /// Seconds since the link was made (the estimator's clock).
  double now_s() const;
  /// The expected wait for a worker at the edge now, ms: a moving average of the waits its
  /// answers reported (a 503 counts as a wait of its Retry-After), decaying back to the
  /// prior (EdgeLinkOptions::queue) while no answer comes.
  double queue_ms() const;

private:
  void record(const net::HttpResult& r, double server_ms);
  /// One probe of @p bytes up on @p client (empty reply), recorded.
  bool probe_on(net::HttpClient& client, std::size_t bytes);
  void monitor_loop(MonitorOptions options);

  EdgeLinkOptions m_options;
  net::HttpClient m_client;
  mutable std::mutex m_mutex;  ///< guards m_estimator and m_queue
  net::BandwidthEstimator m_estimator;
  net::QueueEstimator m_queue;
  std::chrono::steady_clock::time_point m_origin;
  std::thread m_monitor;
  std::mutex m_stop_mutex;
  std::condition_variable m_stop_cv;
  bool m_stop = false;
  std::atomic<std::size_t> m_monitor_probes{0};
};

} // namespace edgent::runtime
