#pragma once

#include "net/net_options.hpp"

#include <cstddef>
#include <optional>
#include <string>

namespace edgent::runtime {

/// What edgent-infer was asked to do (filled by option parsing, which opens no files).
struct InferOptions {
  std::string model;            ///< model card (edgent.model/1): ONNX, input shape, normalisation
  // Plan source: exactly one of plan, (device_fit + edge_fit + deadline), map.
  std::string plan;             ///< fixed plan (edgent.plan/1)
  std::string map;              ///< config map (edgent.configmap/1): dynamic mode
  std::string device_fit;       ///< edgent.fit/1 (or profile) of the device
  std::string edge_fit;         ///< edgent.fit/1 (or profile) of the edge
  std::string accuracy;         ///< edgent.accuracy/1, optional (fits mode)
  double deadline_ms = 0;       ///< latency requirement; 0 = the plan's or map's
  std::string strategy = "edgent"; ///< fits mode: edgent, device-only, edge-only, ...
  /// Fits mode: a cascade table (edgent.cascade/1); set = each request's plan is the
  /// confidence cascade plan::decide_cascade picks at the request's network and device speed.
  std::string cascades;
  std::string cascade_latency = "mean";  ///< with cascades: "mean", "p95" or "max"
  /// Fits mode: plan each request at the link's true bandwidth at its start (from
  /// --emulate-trace or link_trace) instead of the measured estimate: the oracle, an upper
  /// bound.
  bool oracle = false;
  /// The trace a link shaped outside this process replays (the testbed's tc), times from the
  /// start of the run, scaled by net.trace_scale: the true bandwidth of --oracle and of the
  /// records. Not with net.emulate_trace.
  std::string link_trace;
  /// When link_trace's time 0 was (seconds since the Unix epoch, e.g. when the testbed began
  /// replaying it); 0 = the start of the run.
  double link_trace_start_unix = 0;
  double bandwidth_kbps = 0;    ///< prior until the estimator has a value; 0 = none
  double rtt_ms = 0;            ///< RTT prior until measured
  /// Expected queueing at the edge, ms: the prior of the online estimate (the waits the edge
  /// reports, smoothed), or the fixed value with no_queue_estimate.
  double queue_ms = 0;
  bool no_queue_estimate = false;  ///< plan at queue_ms always (load-blind)
  /// Plan with the device's times as the fit predicts them, never scaled by the device's
  /// measured speed (runtime::DeviceSpeed).
  bool no_device_speed = false;
  // Inputs: exactly one.
  std::string data;             ///< Fashion-MNIST directory (test split)
  std::string images;           ///< directory of images or a text file listing them
  std::string tensors;          ///< raw float32 LE tensors of the input shape, concatenated
  std::size_t count = 0;        ///< requests (0 = every input)
  std::size_t offset = 0;       ///< first input
  double rate = 0;              ///< open loop requests/s; 0 = closed loop
  int cv_threads = 1;           ///< OpenCV threads on the device
  std::optional<double> cpu_quota;  ///< run under a CPU quota of this many CPUs (slow device)
  double slowdown = 1;          ///< time dilation K of every device run (emulate::TimeDilation)
  bool no_probe = false;        ///< never send bandwidth probes
  /// Bytes the link passes at line rate after idle (tc tbf's burst), for the bandwidth
  /// estimator (net::BandwidthEstimatorOptions::link_burst_bytes); 0 = every byte is paced.
  std::size_t link_burst_bytes = 0;
  std::string output;           ///< results, one JSON line per request (empty = none)
  std::string summary;          ///< edgent.run/1 summary (empty = stderr only)
  /// Each request's logits as CSV lines `id,exit,v1,...,vK` (%.9g, float32 exact; empty = none).
  std::string logits;
  net::EdgeNetOptions net;
};

/// Runs the requests, writes the records and the summary. Returns 0, or 130 after SIGINT and
/// 143 after SIGTERM (records and summary of the requests done are still written, with
/// `interrupted: true`). Throws IoError before any work when an output path cannot be written.
int run(const InferOptions& options);

} // namespace edgent::runtime
