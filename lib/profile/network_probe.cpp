#include "profile/network_probe.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/parse_number.hpp"
#include "core/stats.hpp"
#include "data/trace.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

// The profile's network section (see lib/schema/ARTIFACTS.md):
//   network {edge, reconnects,
//            rtt {samples_ms, median_ms, p95_ms},
//            sizes [{bytes, up_wire_bytes, down_wire_bytes,
//                    up {samples_ms, median_ms, p95_ms}, down {samples_ms, median_ms, p95_ms}}],
//            up {intercept_ms, kbps|null, r2}, down {intercept_ms, kbps|null, r2}}

namespace edgent::profile {

namespace {

/// The "error" of a JSON error body, or the start of the body when it is not one.
std::string error_text(const net::HttpResult& r) {
  const auto j = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) {
    return j["error"].get<std::string>();
  }
  return r.body.substr(0, 200);
}

/// Throws the error a failed request to the edge at @p url stands for.
void require_ok(const net::HttpResult& r, const std::string& url, std::string_view what) {
  if (r.ok()) {
    return;
  }
  switch (r.outcome) {
  case net::Outcome::tls:
    throw ConfigError(r.error, url, "tls");
  case net::Outcome::http_status:
    if (r.status == 401) {
      throw ConfigError(fmt::format("the edge refused the bearer token ({}); give the edge's "
                                    "token with --token-file",
                                    error_text(r)),
                        url, "token");
    }
    throw NetError(fmt::format("{}: the edge answered {}: {}", what, r.status, error_text(r)),
                   url, "edge");
  case net::Outcome::unreachable:
    throw NetError(fmt::format("{}: cannot reach the edge: {}", what, r.error), url, "edge");
  case net::Outcome::timeout:
    throw NetError(fmt::format("{}: timed out ({}); on a slow link raise --timeout-ms or give "
                               "smaller --net-sizes",
                               what, r.error),
                   url, "edge");
  default:
    throw NetError(fmt::format("{}: {}: {}", what, net::to_string(r.outcome), r.error), url,
                   "edge");
  }
}

nlohmann::json fit_json(const TransferFit& f) {
  return {{"intercept_ms", f.intercept_ms},
          {"kbps", std::isfinite(f.kbps) ? nlohmann::json(f.kbps) : nlohmann::json()},
          {"r2", f.r2}};
}

} // namespace

TransferFit fit_transfer(const std::vector<double>& bytes, const std::vector<double>& ms) {
  if (bytes.size() != ms.size()) {
    throw ConfigError("a transfer fit needs one time per size");
  }
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (!std::isfinite(bytes[i]) || !std::isfinite(ms[i])) {
      throw ConfigError("a transfer fit needs finite sizes and times");
    }
  }
  if (std::set<double>(bytes.begin(), bytes.end()).size() < 2) {
    throw ConfigError("a transfer fit needs at least two distinct sizes");
  }
  const stats::Line line = stats::fit_line(bytes, ms);  // ms per byte
  TransferFit f;
  f.intercept_ms = line.intercept;
  // Below a nanosecond across the sizes the slope is rounding noise, not a rate.
  const double span = *std::max_element(bytes.begin(), bytes.end()) -
                      *std::min_element(bytes.begin(), bytes.end());
  f.kbps = line.slope * span > 1e-6 ? 8.0 / line.slope : std::numeric_limits<double>::infinity();
  f.r2 = line.r2;
  return f;
}

void validate(const NetworkProbeOptions& o) {
  if (o.sizes.empty()) {
    throw UsageError("give at least two sizes", {}, "--net-sizes");
  }
  for (const std::size_t s : o.sizes) {
    if (s < 1 || s > kMaxProbeBytes) {
      throw UsageError(fmt::format("size {} is outside 1..{} bytes", s, kMaxProbeBytes), {},
                       "--net-sizes");
    }
  }
  if (std::set<std::size_t>(o.sizes.begin(), o.sizes.end()).size() < 2) {
    throw UsageError("give at least two distinct sizes to fit a rate", {}, "--net-sizes");
  }
  if (o.reps < 1 || o.reps > 10000) {
    throw UsageError("must be in 1..10000", {}, "--net-reps");
  }
  if (o.rtt_reps < 1 || o.rtt_reps > 100000) {
    throw UsageError("must be in 1..100000", {}, "--net-rtt-reps");
  }
  if (o.warmup < 0 || o.warmup > 1000) {
    throw UsageError("must be in 0..1000", {}, "--net-warmup");
  }
}

std::vector<std::size_t> parse_sizes(const std::string& text) {
  std::vector<std::size_t> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view item = std::string_view(text).substr(start, comma - start);
    const char unit = item.empty() ? '\0' : item.back();
    const std::size_t factor = unit == 'K' || unit == 'k'   ? 1024
                               : unit == 'M' || unit == 'm' ? 1024 * 1024
                                                            : 1;
    const auto value = parse_unsigned(factor == 1 ? item : item.substr(0, item.size() - 1),
                                      kMaxProbeBytes / factor);
    if (!value) {
      throw UsageError(fmt::format("'{}' is not a size in bytes such as 4096, 4K or 1M", item), {},
                       "--net-sizes");
    }
    out.push_back(static_cast<std::size_t>(*value) * factor);
    start = comma + 1;
  }
  return out;
}

NetworkMeasurement measure_network(const NetworkProbeOptions& o) {
  validate(o);
  const std::string& url = o.edge.edge;
  std::vector<net::TracePoint> trace_points;
  if (!o.edge.emulate_trace.empty()) {
    trace_points = data::read_trace(o.edge.emulate_trace).points();
  }
  net::HttpClient client(
      net::to_client_options(o.edge, trace_points.empty() ? nullptr : &trace_points));

  NetworkMeasurement m;
  m.edge = url;
  bool first = true;
  const auto track = [&](const net::HttpResult& r) {
    if (!first && !r.reused) {
      ++m.reconnects;
    }
    first = false;
  };
  // Round trips: GET /v1/health answers a few bytes and needs no token.
  std::vector<double> rtt;
  for (int i = 0; i < o.warmup + o.rtt_reps; ++i) {
    const net::HttpResult r = client.get("/v1/health");
    require_ok(r, url, "GET /v1/health");
    track(r);
    if (i >= o.warmup) {
      rtt.push_back(r.total_ms);
    }
  }
  m.rtt = summarize(std::move(rtt));

  // Transfers: POST /v1/probe drops the body and sends X-Edgent-Probe-Reply-Bytes back.
  const std::size_t largest = *std::max_element(o.sizes.begin(), o.sizes.end());
  const std::string payload(largest, '\0');
  const auto transfer = [&](std::size_t up, std::size_t down) {
    const net::HttpResult r =
        client.post("/v1/probe", std::string_view(payload).substr(0, up),
                    "application/octet-stream",
                    {{"X-Edgent-Probe-Reply-Bytes", std::to_string(down)}});
    require_ok(r, url, fmt::format("POST /v1/probe ({} B up, {} B down)", up, down));
    track(r);
    return r;
  };
  transfer(0, 0);  // checks the token before anything is timed
  const std::size_t smallest = *std::min_element(o.sizes.begin(), o.sizes.end());
  for (int i = 0; i < o.warmup; ++i) {
    transfer(smallest, 0);
    transfer(0, smallest);
  }
  std::vector<std::vector<double>> up(o.sizes.size());
  std::vector<std::vector<double>> down(o.sizes.size());
  m.sizes.resize(o.sizes.size());
  for (int rep = 0; rep < o.reps; ++rep) {
    for (std::size_t k = 0; k < o.sizes.size(); ++k) {
      const net::HttpResult u = transfer(o.sizes[k], 0);
      up[k].push_back(u.total_ms);
      m.sizes[k].up_wire_bytes = u.bytes_up;
      const net::HttpResult d = transfer(0, o.sizes[k]);
      down[k].push_back(d.total_ms);
      m.sizes[k].down_wire_bytes = d.bytes_down;
    }
    log::verbose("network: round {} of {} done", rep + 1, o.reps);
  }
  std::vector<double> up_x;
  std::vector<double> up_y;
  std::vector<double> down_x;
  std::vector<double> down_y;
  for (std::size_t k = 0; k < o.sizes.size(); ++k) {
    SizeTiming& s = m.sizes[k];
    s.bytes = o.sizes[k];
    s.up = summarize(std::move(up[k]));
    s.down = summarize(std::move(down[k]));
    up_x.push_back(static_cast<double>(s.up_wire_bytes));
    up_y.push_back(s.up.median_ms);
    down_x.push_back(static_cast<double>(s.down_wire_bytes));
    down_y.push_back(s.down.median_ms);
  }
  m.up = fit_transfer(up_x, up_y);
  m.down = fit_transfer(down_x, down_y);
  if (m.reconnects > 0) {
    log::warn("{}: the connection was reopened {} times during the measurement", url,
              m.reconnects);
  }
  log::info("network to {}: rtt median {:.3f} ms; up {:.0f} kbit/s + {:.3f} ms (r2 {:.3f}); "
            "down {:.0f} kbit/s + {:.3f} ms (r2 {:.3f})",
            url, m.rtt.median_ms, m.up.kbps, m.up.intercept_ms, m.up.r2, m.down.kbps,
            m.down.intercept_ms, m.down.r2);
  return m;
}

nlohmann::json to_json(const NetworkMeasurement& m) {
  nlohmann::json sizes = nlohmann::json::array();
  for (const SizeTiming& s : m.sizes) {
    sizes.push_back({{"bytes", s.bytes},
                     {"up_wire_bytes", s.up_wire_bytes},
                     {"down_wire_bytes", s.down_wire_bytes},
                     {"up", to_json(s.up)},
                     {"down", to_json(s.down)}});
  }
  return {{"edge", m.edge},         {"reconnects", m.reconnects}, {"rtt", to_json(m.rtt)},
          {"sizes", sizes},         {"up", fit_json(m.up)},       {"down", fit_json(m.down)}};
}

} // namespace edgent::profile
