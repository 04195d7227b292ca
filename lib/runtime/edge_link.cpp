#include "runtime/edge_link.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/parse_number.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <optional>

namespace edgent::runtime {

namespace {

/// A non-negative number of ms from a response header, 0 when absent or malformed.
double header_ms(const net::HttpResult& r, std::string_view name) {
  const auto value = r.header(name);
  if (!value) {
    return 0.0;
  }
  const auto ms = parse_double(*value);
  return ms && *ms >= 0.0 ? *ms : 0.0;
}

/// The "error" of a JSON error body, or the body itself when it is not one.
std::string error_text(const net::HttpResult& r) {
  const auto j = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) {
    return j["error"].get<std::string>();
  }
  return r.body.substr(0, 200);
}

} // namespace

EdgeLink::EdgeLink(EdgeLinkOptions options)
    : m_options(std::move(options)), m_client(m_options.client),
      m_estimator(m_options.estimator), m_queue(m_options.queue),
      m_origin(std::chrono::steady_clock::now()) {}

EdgeLink::~EdgeLink() { stop_monitor(); }

net::BandwidthEstimator EdgeLink::estimator() const {
  const std::lock_guard lock(m_mutex);
  return m_estimator;
}

double EdgeLink::queue_ms() const {
  const double now = now_s();
  const std::lock_guard lock(m_mutex);
  return m_queue.queue_ms(now);
}

double EdgeLink::now_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - m_origin).count();
}

void EdgeLink::record(const net::HttpResult& r, double server_ms) {
  if (r.outcome == net::Outcome::ok || r.outcome == net::Outcome::http_status) {
    const std::lock_guard lock(m_mutex);
    m_estimator.add(r.bytes_up + r.bytes_down, std::max(r.total_ms - server_ms, 0.0), now_s());
  }
}

net::HttpResult EdgeLink::check_model() {
  auto r = m_client.get("/v1/model");
  record(r, 0.0);
  const std::string where = fmt::format("{}:{}", m_options.client.host, m_options.client.port);
  // Neither resolves by waiting: a certificate the CA does not verify, or a refused token.
  if (r.outcome == net::Outcome::tls) {
    throw ConfigError(r.error, {}, "tls");
  }
  if (r.outcome == net::Outcome::http_status && r.status == 401) {
    throw ConfigError(fmt::format("the edge refused the bearer token ({}); give the edge's "
                                  "token with --token-file",
                                  error_text(r)),
                      where, "token");
  }
  if (!r.ok()) {
    return r;
  }
  const auto j = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("sha256") || !j["sha256"].is_string()) {
    throw NetError("the edge's /v1/model answer has no model sha256", where, "sha256");
  }
  const auto edge = j["sha256"].get<std::string>();
  if (!m_options.model_sha256.empty() && edge != m_options.model_sha256) {
    throw ConfigError(fmt::format("the edge serves model {} but this device has model {}", edge,
                                  m_options.model_sha256),
                      where, "sha256");
  }
  return r;
}

EdgeReply EdgeLink::infer(std::string_view wire_body, const EdgeRoute& route) {
  EdgeReply reply;
  std::vector<std::pair<std::string, std::string>> headers;
  if (!m_options.model_sha256.empty()) {
    headers.emplace_back("X-Edgent-Model-Sha256", m_options.model_sha256);
  }
  if (route.run_to >= 0) {
    headers.emplace_back("X-Edgent-Run-To", std::to_string(route.run_to));
  }
  if (!route.reply_codec.empty()) {
    headers.emplace_back("X-Edgent-Reply-Codec", route.reply_codec);
  }
  if (!route.cascade.empty()) {
    headers.emplace_back("X-Edgent-Cascade", route.cascade);
  }
  reply.http = m_client.post("/v1/infer", wire_body, "application/octet-stream", headers);
  reply.queue_ms = header_ms(reply.http, "X-Edgent-Queue-Ms");
  reply.compute_ms = header_ms(reply.http, "X-Edgent-Compute-Ms");
  reply.network_ms = std::max(reply.http.total_ms - reply.queue_ms - reply.compute_ms, 0.0);
  record(reply.http, reply.queue_ms + reply.compute_ms);
  if (reply.http.outcome == net::Outcome::http_status) {
    const std::string why = error_text(reply.http);
    if (reply.http.status == 409) {
      throw ConfigError(why, fmt::format("{}:{}", m_options.client.host, m_options.client.port),
                        "sha256");
    }
    reply.http.error += ": " + why;
    if (reply.http.status == 503) {
      reply.busy = true;
      const auto retry = reply.http.header("Retry-After");
      const auto seconds = retry ? parse_double(*retry) : std::nullopt;
      reply.retry_after_s = seconds && *seconds >= 0.0 ? *seconds : 0.0;
    }
  }
  reply.fallback = !reply.http.ok();
  // The edge's load: the wait it reports, or, when it refuses for being full, at least the
  // time it asks the device to stay away.
  std::optional<double> wait_ms;
  if (reply.busy) {
    wait_ms = std::max(reply.retry_after_s * 1000.0, reply.queue_ms);
  } else if (reply.http.header("X-Edgent-Queue-Ms")) {
    wait_ms = reply.queue_ms;
  }
  if (wait_ms) {
    const double now = now_s();
    const std::lock_guard lock(m_mutex);
    m_queue.add(*wait_ms, now);
  }
  return reply;
}

bool EdgeLink::probe(std::size_t bytes) { return probe_on(m_client, bytes); }

bool EdgeLink::probe_on(net::HttpClient& client, std::size_t bytes) {
  // Upload only: the uplink carries the device's tensors; the reply is empty.
  const auto r = client.post("/v1/probe", std::string(bytes, '\0'), "application/octet-stream",
                             {{"X-Edgent-Probe-Reply-Bytes", "0"}});
  record(r, 0.0);
  if (!r.ok()) {
    log::verbose("bandwidth probe failed: {}", r.error);
  }
  return r.ok();
}

bool EdgeLink::ping() {
  const auto r = m_client.get("/v1/health");
  record(r, 0.0);
  return r.ok();
}

bool EdgeLink::probe_if_stale() {
  if (!estimator().needs_probe(now_s())) {
    return false;
  }
  return measure() > 0;
}

void EdgeLink::start_monitor(MonitorOptions options) {
  stop_monitor();
  {
    const std::lock_guard lock(m_stop_mutex);
    m_stop = false;
  }
  m_monitor = std::thread([this, options] { monitor_loop(options); });
}

std::size_t EdgeLink::stop_monitor() {
  if (m_monitor.joinable()) {
    {
      const std::lock_guard lock(m_stop_mutex);
      m_stop = true;
    }
    m_stop_cv.notify_all();
    m_monitor.join();
  }
  return m_monitor_probes.load();
}

void EdgeLink::monitor_loop(MonitorOptions options) {
  net::HttpClient client(m_options.client);
  const double period_s = std::max(0.01, options.probe_period_s);
  const double tick_s =
      std::max(0.005, std::min(period_s, options.ping_period_s > 0 ? options.ping_period_s
                                                                   : period_s) / 4);
  double next_ping_s = 0;
  double next_probe_s = 0;
  std::size_t grow = 1;  // probes too quick to measure grow fourfold, as in measure()
  while (true) {
    {
      std::unique_lock lock(m_stop_mutex);
      if (m_stop_cv.wait_for(lock, std::chrono::duration<double>(tick_s), [this] { return m_stop; })) {
        return;
      }
    }
    const double now = now_s();
    if (options.ping_period_s > 0 && now >= next_ping_s) {
      const auto r = client.get("/v1/health");
      record(r, 0.0);
      next_ping_s = now + options.ping_period_s;
    }
    const net::BandwidthEstimator est = estimator();
    const auto last = est.last_bandwidth_sample_s();
    if (options.probe && now >= next_probe_s && (!last || now - *last >= period_s)) {
      const std::size_t before = est.bandwidth_samples();
      const std::size_t bytes =
          std::min(est.probe_bytes() * grow, m_options.estimator.max_probe_bytes);
      const auto t0 = std::chrono::steady_clock::now();
      const bool ok = probe_on(client, bytes);
      const double took_s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      m_monitor_probes += ok ? 1 : 0;
      grow = ok && estimator().bandwidth_samples() == before ? std::min<std::size_t>(4 * grow, 1 << 16)
                                                              : 1;
      next_probe_s = now_s() + std::min(took_s * (1 / std::max(options.max_duty, 1e-3) - 1),
                                         options.max_wait_s);
    }
  }
}

int EdgeLink::measure() {
  const std::size_t largest = m_options.estimator.max_probe_bytes;
  std::size_t bytes = estimator().probe_bytes();
  int sent = 0;
  for (int round = 0; round < 16; ++round) {
    const std::size_t before = estimator().bandwidth_samples();
    if (!probe(bytes)) {
      break;
    }
    ++sent;
    if (estimator().bandwidth_samples() > before) {
      // Measured; a probe much shorter than the target (the first one that was measurable
      // on a fast link) is followed by one of the target's size at the new estimate.
      const std::size_t target = estimator().probe_bytes();
      if (2 * bytes >= target) {
        break;
      }
      bytes = target;
    } else if (bytes >= largest) {
      break;
    } else {
      bytes = std::min(4 * bytes, largest);
    }
  }
  return sent;
}

} // namespace edgent::runtime
