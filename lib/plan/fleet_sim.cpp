#include "plan/fleet_sim.hpp"

#include "core/error.hpp"
#include "core/json_view.hpp"
#include "core/stats.hpp"
#include "net/queue_estimator.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <tuple>
#include <utility>

namespace edgent::plan {

EdgePool::EdgePool(EdgePoolOptions options) : m_options(options) {
  if (m_options.edges < 1) {
    throw ConfigError(fmt::format("must be ≥ 1, got {}", m_options.edges), {}, "edges");
  }
  if (m_options.workers < 1) {
    throw ConfigError(fmt::format("must be ≥ 1, got {}", m_options.workers), {}, "workers");
  }
  if (m_options.max_queue < 0) {
    throw ConfigError(fmt::format("must be ≥ 0, got {}", m_options.max_queue), {}, "max-queue");
  }
  m_edges.resize(static_cast<std::size_t>(m_options.edges));
  for (Edge& e : m_edges) {
    for (int w = 0; w < m_options.workers; ++w) {
      e.worker_free.push(0.0);
    }
  }
}

Admission EdgePool::admit(double t_ms, double service_ms) {
  t_ms = std::max(t_ms, m_last_t);
  m_last_t = t_ms;
  // Leastconn over the requests in flight at t, ties to the edge after the last one chosen
  // (HAProxy rotates among equally loaded servers).
  const int n = m_options.edges;
  int best = -1;
  std::size_t best_load = std::numeric_limits<std::size_t>::max();
  for (int k = 0; k < n; ++k) {
    const int i = (m_next + k) % n;
    Edge& e = m_edges[static_cast<std::size_t>(i)];
    while (!e.done.empty() && e.done.top() <= t_ms) {
      e.done.pop();
    }
    while (!e.starts.empty() && e.starts.top() <= t_ms) {
      e.starts.pop();
    }
    if (e.done.size() < best_load) {
      best_load = e.done.size();
      best = i;
    }
  }
  m_next = (best + 1) % n;
  Edge& e = m_edges[static_cast<std::size_t>(best)];
  Admission a;
  a.edge = best;
  const double free_at = e.worker_free.top();
  if (free_at > t_ms && m_options.max_queue > 0 &&
      e.starts.size() >= static_cast<std::size_t>(m_options.max_queue)) {
    return a;  // every worker busy and the queue full: 503
  }
  e.worker_free.pop();
  const double start = std::max(t_ms, free_at);
  a.accepted = true;
  a.wait_ms = start - t_ms;
  a.done_ms = start + service_ms;
  e.worker_free.push(a.done_ms);
  e.done.push(a.done_ms);
  if (start > t_ms) {
    e.starts.push(start);
  }
  m_busy_ms += service_ms;
  return a;
}

namespace {

void check(const FleetOptions& o) {
  const auto positive = [](double v, const char* key) {
    if (!(v > 0) || !std::isfinite(v)) {
      throw ConfigError(fmt::format("must be a finite number > 0, got {}", v), {}, key);
    }
  };
  if (o.devices < 1) {
    throw ConfigError(fmt::format("must be ≥ 1, got {}", o.devices), {}, "devices");
  }
  positive(o.rate_hz, "rate");
  positive(o.seconds, "seconds");
  positive(o.deadline_ms, "deadline");
  if (o.trace.empty()) {
    positive(o.kbps, "bandwidth");
  }
  if (!(o.rtt_ms >= 0) || !std::isfinite(o.rtt_ms)) {
    throw ConfigError(fmt::format("must be a finite number ≥ 0, got {}", o.rtt_ms), {}, "rtt");
  }
  if (!(o.retry_after_ms >= 0) || !std::isfinite(o.retry_after_ms)) {
    throw ConfigError(fmt::format("must be a finite number ≥ 0, got {}", o.retry_after_ms), {},
                      "retry-after");
  }
}

/// One request's ratios drawn from @p r, all 1 when it is empty.
Residual draw(const Residuals& r, std::mt19937_64& rng) {
  if (r.empty()) {
    return {};
  }
  return r.requests[std::uniform_int_distribution<std::size_t>(0, r.requests.size() - 1)(rng)];
}

/// What a device knows of its request while the edge serves it.
struct Pending {
  double start_ms = 0;     ///< when it counts from (its schedule)
  double arrive_ms = 0;    ///< at the edge
  double service_ms = 0;   ///< edge compute
  double after_ms = 0;     ///< download, then what the device does after the edge answers
  double accuracy = 0;
};

struct Device {
  std::vector<double> schedule;  ///< request start times, ms
  std::size_t next = 0;
  double free_ms = 0;            ///< when the device is done with its last request
  std::unique_ptr<net::QueueEstimator> queue;
  Pending pending;
};

/// stats::quantile, 0 for a run with no values.
double percentile(std::vector<double> v, double q) {
  return v.empty() ? 0.0 : stats::quantile(std::move(v), q);
}

} // namespace

Residuals read_residuals(std::istream& in, const std::string& file) {
  Residuals r;
  std::string line;
  int row = 0;
  // Parts predicted below this are too small for their ratio to mean anything.
  constexpr double kMinPredictedMs = 1e-6;
  while (std::getline(in, line)) {
    ++row;
    if (line.find_first_not_of(" \t\r") == std::string::npos) {
      continue;
    }
    nlohmann::json doc;
    try {
      doc = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      throw SchemaError(fmt::format("line {}: not JSON ({})", row, e.what()), file);
    }
    const std::string where = fmt::format("{}:{}", file, row);
    const JsonView v(doc, where);
    if (v.has("fallback") && v.at("fallback").boolean()) {
      continue;
    }
    const auto predicted = v.find("predicted");
    if (!predicted || predicted->is_null()) {
      continue;  // a run without fits predicts nothing
    }
    const JsonView m = v.at("measured");
    const auto ms = [](const JsonView& o, const char* key) { return o.at(key).number(0, 1e9); };
    Residual x;
    const double pd = ms(*predicted, "device_ms") + ms(*predicted, "codec_ms");
    if (pd > kMinPredictedMs) {
      x.device = (ms(m, "device_ms") + ms(m, "codec_ms")) / pd;
    }
    const bool offloaded = v.at("offloaded").boolean();
    const double pe = ms(*predicted, "edge_ms");
    if (offloaded && pe > kMinPredictedMs) {
      x.edge = ms(m, "edge_compute_ms") / pe;
    }
    const double pl = ms(*predicted, "up_ms") + ms(*predicted, "down_ms");
    if (offloaded && pl > kMinPredictedMs) {
      x.link = (ms(m, "up_ms") + ms(m, "down_ms")) / pl;
    }
    r.requests.push_back(x);
  }
  return r;
}

FleetResult simulate_fleet(const LatencyModel& model, const FleetOptions& o) {
  check(o);
  EdgePool pool(o.pool);
  const PlanProblem& problem = model.problem();
  std::unique_ptr<net::RateSchedule> link;
  if (!o.trace.empty()) {
    link = std::make_unique<net::RateSchedule>(o.trace, o.trace_scale);
  }
  const auto kbps_at = [&](double t_ms) {
    return link ? link->bytes_per_s(t_ms / 1000.0) * 8.0 / 1000.0 : o.kbps;
  };
  // Each exit run whole on the device, for fallbacks: latency and accuracy.
  std::vector<double> exit_ms;
  std::vector<double> exit_accuracy;
  for (std::size_t e = 0; e < problem.exits.size(); ++e) {
    Choice local;
    local.exit_index = static_cast<int>(e);
    local.cut = problem.exits[e].units();
    exit_ms.push_back(model.latency(local, Network{}).total_ms);
    exit_accuracy.push_back(problem.exits[e].accuracy.value_or(0.0));
  }

  std::mt19937_64 rng(o.seed);
  std::mt19937_64 residual_rng(o.seed + 1);
  std::uniform_real_distribution<double> phase(0.0, 1000.0 / o.rate_hz);
  std::exponential_distribution<double> gap(o.rate_hz / 1000.0);
  const auto per_device = static_cast<std::size_t>(std::floor(o.seconds * o.rate_hz));
  std::vector<Device> devices(static_cast<std::size_t>(o.devices));
  for (Device& d : devices) {
    double t = phase(rng);
    for (std::size_t i = 0; i < per_device; ++i) {
      d.schedule.push_back(t);
      t += o.poisson ? gap(rng) : 1000.0 / o.rate_hz;
    }
    net::QueueEstimatorOptions q;
    q.prior_ms = o.queue_prior_ms;
    d.queue = std::make_unique<net::QueueEstimator>(q);
  }

  // Events in time order: (time, kind, device); kind 0 = a request starts, 1 = it reaches the
  // edge. Ties go to arrivals' order of device index, deterministic.
  using Event = std::tuple<double, int, std::size_t>;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events;
  for (std::size_t k = 0; k < devices.size(); ++k) {
    if (!devices[k].schedule.empty()) {
      events.emplace(devices[k].schedule.front(), 0, k);
    }
  }
  FleetResult r;
  r.per_edge.assign(static_cast<std::size_t>(o.pool.edges), 0);
  std::vector<double> latencies;
  std::vector<double> waits;
  std::size_t misses = 0;
  std::size_t offloaded = 0;
  double on_time = 0;
  double last_ms = 0;
  const auto finish = [&](Device& d, std::size_t k, double start_ms, double end_ms,
                          double accuracy) {
    const double latency = end_ms - start_ms;
    latencies.push_back(latency);
    if (latency > o.deadline_ms) {
      ++misses;
    } else {
      on_time += accuracy;
    }
    last_ms = std::max(last_ms, end_ms);
    d.free_ms = end_ms;
    if (++d.next < d.schedule.size()) {
      events.emplace(std::max(d.schedule[d.next], end_ms), 0, k);
    }
  };
  while (!events.empty()) {
    const auto [t, kind, k] = events.top();
    events.pop();
    Device& d = devices[k];
    if (kind == 0) {
      const double start_ms = d.schedule[d.next];
      const double queue_ms = o.load_aware ? d.queue->queue_ms(t / 1000.0) : o.queue_prior_ms;
      const double kbps = kbps_at(t);
      const Network net = offload_network(kbps, kbps, o.rtt_ms, queue_ms);
      const Decision decision = decide(model, net, o.deadline_ms, o.strategy);
      const Choice& c = decision.choice;
      const double accuracy = model.accuracy(c).value_or(0.0);
      const bool local = c.codec < 0 || (c.order == Order::device_first &&
                                         c.cut >= problem.exits[static_cast<std::size_t>(
                                                                    c.exit_index)].units());
      // The same plan at an idle edge: what the edge's compute takes; with residuals, each
      // part as this machine ran it.
      Breakdown b = model.latency(c, offload_network(kbps, kbps, o.rtt_ms, 0.0));
      if (!o.residuals.empty()) {
        const Residual x = draw(o.residuals, residual_rng);
        b.device_ms *= x.device;
        b.codec_ms *= x.device;
        b.edge_ms *= x.edge;
        b.up_ms *= x.link;
        b.down_ms *= x.link;
        b.total_ms = b.device_ms + b.codec_ms + b.edge_ms + b.up_ms + b.down_ms;
      }
      if (local) {
        finish(d, k, start_ms, t + b.total_ms, accuracy);
        continue;
      }
      Pending& p = d.pending;
      p.start_ms = start_ms;
      p.service_ms = b.edge_ms;
      p.accuracy = accuracy;
      if (c.order == Order::device_first) {
        p.arrive_ms = t + b.device_ms + b.codec_ms + b.up_ms;
        p.after_ms = b.down_ms;
      } else {
        p.arrive_ms = t + b.up_ms;
        p.after_ms = b.down_ms + b.device_ms + b.codec_ms;
      }
      events.emplace(p.arrive_ms, 1, k);
    } else {
      const Pending& p = d.pending;
      const Admission a = pool.admit(t, p.service_ms);
      if (!a.accepted) {
        // The 503 comes back after half a round trip; the device answers alone.
        const double back_ms = t + o.rtt_ms / 2.0;
        const double left_ms = o.deadline_ms - (back_ms - p.start_ms);
        std::size_t e = 0;
        for (std::size_t i = 0; i < exit_ms.size(); ++i) {
          if (exit_ms[i] <= left_ms) {
            e = i;
          }
        }
        ++r.busy_fallbacks;
        d.queue->add(o.retry_after_ms, back_ms / 1000.0);
        finish(d, k, p.start_ms, back_ms + exit_ms[e] * draw(o.residuals, residual_rng).device,
               exit_accuracy[e]);
        continue;
      }
      ++offloaded;
      ++r.per_edge[static_cast<std::size_t>(a.edge)];
      waits.push_back(a.wait_ms);
      const double answered_ms = a.done_ms + p.after_ms;
      d.queue->add(a.wait_ms, (a.done_ms + p.after_ms) / 1000.0);
      finish(d, k, p.start_ms, answered_ms, p.accuracy);
    }
  }
  r.requests = latencies.size();
  if (r.requests == 0) {
    return r;
  }
  const double n = static_cast<double>(r.requests);
  const double run_ms = std::max(last_ms, o.seconds * 1000.0);
  r.throughput_rps = n / (run_ms / 1000.0);
  r.miss_rate = static_cast<double>(misses) / n;
  r.on_time_accuracy = on_time / n;
  r.offloaded = static_cast<double>(offloaded) / n;
  double wait_sum = 0;
  for (const double w : waits) {
    wait_sum += w;
  }
  r.mean_wait_ms = waits.empty() ? 0.0 : wait_sum / static_cast<double>(waits.size());
  r.p95_wait_ms = percentile(waits, 0.95);
  r.p95_latency_ms = percentile(latencies, 0.95);
  r.edge_utilization =
      pool.busy_ms() / (run_ms * static_cast<double>(o.pool.edges * o.pool.workers));
  return r;
}

} // namespace edgent::plan
