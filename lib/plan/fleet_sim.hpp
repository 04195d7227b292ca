#pragma once

#include "net/throttle.hpp"
#include "plan/latency_model.hpp"
#include "plan/planner.hpp"

#include <cstddef>
#include <cstdint>
#include <istream>
#include <queue>
#include <string>
#include <vector>

namespace edgent::plan {

/// Settings of an EdgePool.
struct EdgePoolOptions {
  int edges = 1;         ///< edge servers behind the balancer, ≥ 1
  int workers = 1;       ///< worker threads per edge (edgent-serve --threads), ≥ 1
  int max_queue = 0;     ///< requests waiting for a worker per edge before a 503; 0 = no cap
};

/// Where a request went and when it was served, ms on the caller's clock.
struct Admission {
  bool accepted = false; ///< false = 503 (the chosen edge's queue was at max_queue)
  int edge = -1;         ///< the edge chosen, 0-based
  double wait_ms = 0;    ///< time waiting for a worker
  double done_ms = 0;    ///< when its service ends
};

/// Edge servers behind a leastconn balancer, as HAProxy dispatches (configs/haproxy.cfg): each
/// request goes to the edge with the fewest requests in flight (ties to the edge after the
/// last one chosen), which serves its requests first come, first served on its workers. The
/// service times are known at arrival, so each admission is decided and timed at once.
class EdgePool {
public:
  /// Throws ConfigError for edges or workers < 1 or max_queue < 0.
  explicit EdgePool(EdgePoolOptions options);

  /// Admits a request arriving at @p t_ms (non-decreasing over calls) that needs
  /// @p service_ms of a worker.
  Admission admit(double t_ms, double service_ms);

  /// Worker time used so far, ms (over all edges).
  double busy_ms() const { return m_busy_ms; }
  const EdgePoolOptions& options() const { return m_options; }

private:
  using MinHeap = std::priority_queue<double, std::vector<double>, std::greater<>>;
  struct Edge {
    MinHeap worker_free;  ///< when each worker is free next
    MinHeap done;         ///< completion times of the requests in flight
    MinHeap starts;       ///< start times of the requests not yet started
  };

  EdgePoolOptions m_options;
  std::vector<Edge> m_edges;
  int m_next = 0;
  double m_last_t = 0;
  double m_busy_ms = 0;
};

/// One real request's parts, measured / predicted: (device + codec), edge compute and
/// (upload + download); 1 for a part the request did not have (or that was predicted at 0).
struct Residual {
  double device = 1;
  double edge = 1;
  double link = 1;
};

/// What a real run measured against what the latency model predicted: one Residual per
/// request of a run's records (edgent-infer -o). The simulation draws one of them for each
/// request it simulates and scales that request's parts by it, all three together (a cold
/// device, a slow link and a busy edge come together in a request), so that it carries the
/// model's error on the machine where the run was measured instead of taking the fits as
/// exact. Take them from a run that did not queue (one device, an idle edge): the simulation
/// adds its own queueing on top.
struct Residuals {
  std::vector<Residual> requests;
  bool empty() const { return requests.empty(); }
};

/// Reads the ratios from edgent-infer's records (JSON lines, edgent.record/1's `predicted` and
/// `measured`) in @p in, named @p file in errors. Fallbacks and requests with a part predicted
/// at 0 add nothing for that part; waits at the edge are left out (the simulation queues by
/// itself). Throws SchemaError naming the file, the line and the key for a record it cannot
/// read.
Residuals read_residuals(std::istream& in, const std::string& file);

/// One run of the fleet simulation: many devices, each the runtime's device (edgent-infer with
/// fits: one request at a time, open loop, each planned by decide() at its start), in front of
/// an EdgePool.
struct FleetOptions {
  int devices = 1;            ///< ≥ 1
  EdgePoolOptions pool;
  double rate_hz = 10;        ///< requests per second per device (open loop), > 0
  double seconds = 10;        ///< length of the request stream, > 0
  bool poisson = false;       ///< exponential gaps instead of 1/rate (a random phase each)
  double deadline_ms = 0;     ///< > 0
  /// The link each device sees: kbps both ways (used when trace is empty).
  double kbps = 1000;
  /// A bandwidth trace every device replays from its time 0 (sample-and-hold, repeated),
  /// times trace_scale; empty = kbps.
  std::vector<net::TracePoint> trace;
  double trace_scale = 1;
  double rtt_ms = 0;
  /// Plan each request at the device's online queue estimate (net::QueueEstimator over the
  /// waits the edge reports, a 503 counted as retry_after_ms); false = at queue_prior_ms
  /// always (load-blind).
  bool load_aware = true;
  double queue_prior_ms = 0;
  double retry_after_ms = 1000;  ///< what a 503's Retry-After adds to the estimate, ms
  Strategy strategy = Strategy::edgent;
  std::uint64_t seed = 1;
  /// Ratios drawn per request and part (empty = the fits are exact); drawn from their own
  /// generator (seed + 1), so the rest of a run is the same with and without them.
  Residuals residuals;
};

/// The figures of a run, over all requests of all devices.
struct FleetResult {
  std::size_t requests = 0;
  double throughput_rps = 0;      ///< requests answered per second of the run
  double miss_rate = 0;           ///< total latency > deadline
  /// Expected on-time accuracy: the accuracy of each answering plan (or fallback exit) that
  /// met the deadline, summed over all requests, divided by their number; 0 when unknown.
  double on_time_accuracy = 0;
  double offloaded = 0;           ///< fraction of requests admitted by an edge
  std::size_t busy_fallbacks = 0; ///< 503s the devices answered alone
  double mean_wait_ms = 0;        ///< mean wait at the edge of the admitted requests
  double p95_wait_ms = 0;
  double p95_latency_ms = 0;
  double edge_utilization = 0;    ///< worker time used / (workers × edges × run time)
  std::vector<std::size_t> per_edge; ///< requests admitted by each edge
};

/// Simulates @p options over @p model (the planner's latency model from the fits): each
/// device's request i is scheduled at its phase + i / rate and starts when the device is done
/// with the one before; it is planned at the link's bandwidth at its start and the queue
/// estimate, runs its device part, then (if it offloads) reaches the edge after its upload and
/// is served for the plan's predicted edge compute; the answer comes back after the download.
/// A 503 is a fallback: the device answers at the deepest exit whose device latency fits the
/// time left (the shallowest when none does). Deterministic for a seed. Throws ConfigError
/// for invalid options.
FleetResult simulate_fleet(const LatencyModel& model, const FleetOptions& options);

} // namespace edgent::plan
