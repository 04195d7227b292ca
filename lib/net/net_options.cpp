#include "net/net_options.hpp"

#include "cli/common_options.hpp"
#include "core/error.hpp"

#include <fmt/format.h>

#include <charconv>

namespace edgent::net {

namespace {

const CLI::Validator& endpoint_validator() {
  static const CLI::Validator validator(
      [](const std::string& value) -> std::string {
        try {
          parse_endpoint(value);
        } catch (const ConfigError& e) {
          return e.detail();
        }
        return {};
      },
      "HOST:PORT", "endpoint");
  return validator;
}

} // namespace

void add_serve_options(CLI::App& app, ServeNetOptions& o) {
  app.add_option("--bind", o.bind, "Address to listen on (0.0.0.0 or :: for every interface)")
      ->type_name("ADDR")
      ->capture_default_str();
  app.add_option("--port", o.port, "Port to listen on; 0 picks a free one and reports it")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  app.add_option("--port-file", o.port_file, "Write the bound port to FILE")->type_name("FILE");
  app.add_option("--threads", o.threads, "Worker threads running segments")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--max-body", o.max_body, "Largest request body, bytes (413 beyond)")
      ->check(cli::positive())
      ->capture_default_str();
  app.add_option("--max-inflight", o.max_inflight,
                 "Requests queued or running at once (503 beyond)")
      ->check(cli::positive())
      ->capture_default_str();
  app.add_option("--read-timeout-ms", o.read_timeout_ms,
                 "Close a connection whose request does not arrive within this time")
      ->check(cli::positive())
      ->capture_default_str();
  app.add_option("--write-timeout-ms", o.write_timeout_ms,
                 "Close a connection whose response is not taken within this time")
      ->check(cli::positive())
      ->capture_default_str();
  app.add_option("--token-file", o.token_file,
                 "Require the bearer token in FILE on every route but /v1/health")
      ->type_name("FILE");
}

ServerOptions to_server_options(const ServeNetOptions& o) {
  ServerOptions s;
  s.bind = o.bind;
  s.port = static_cast<std::uint16_t>(o.port);
  s.port_file = o.port_file;
  s.threads = static_cast<unsigned>(o.threads);
  s.max_body = o.max_body;
  s.max_inflight = o.max_inflight;
  s.read_timeout = std::chrono::milliseconds(o.read_timeout_ms);
  s.write_timeout = std::chrono::milliseconds(o.write_timeout_ms);
  if (!o.token_file.empty()) {
    s.token = read_token_file(o.token_file);
  }
  return s;
}

void add_edge_options(CLI::App& app, EdgeNetOptions& o) {
  app.add_option("--edge", o.edge, "The edge server (edgent-serve)")
      ->check(endpoint_validator())
      ->capture_default_str();
  app.add_option("--connect-timeout-ms", o.connect_timeout_ms,
                 "Give up connecting to the edge after this time")
      ->check(cli::positive())
      ->capture_default_str();
  app.add_option("--timeout-ms", o.timeout_ms,
                 "Give up on an edge request (and finish it on the device) after this time")
      ->check(cli::positive())
      ->capture_default_str();
  app.add_option("--token-file", o.token_file, "Send the bearer token in FILE")->type_name("FILE");
  app.add_option("--emulate-trace", o.emulate_trace,
                 "Throttle this client's uplink and downlink to follow a bandwidth trace "
                 "(traces/README.md) in wall-clock time")
      ->type_name("FILE");
  app.add_option("--trace-scale", o.trace_scale, "Multiply the trace's bandwidth by K")
      ->type_name("K")
      ->check(cli::positive())
      ->capture_default_str();
}

std::pair<std::string, std::uint16_t> parse_endpoint(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return ConfigError(fmt::format("'{}' is not HOST:PORT: {}", text, why), {}, "edge");
  };
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    throw bad("no port");
  }
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    throw bad("write an IPv6 address in brackets");
  }
  if (host.empty()) {
    throw bad("no host");
  }
  unsigned port = 0;
  const auto [end, err] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (err != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535) {
    throw bad("the port must be 1-65535");
  }
  return {std::string(host), static_cast<std::uint16_t>(port)};
}

ClientOptions to_client_options(const EdgeNetOptions& o, const std::vector<TracePoint>* trace) {
  ClientOptions c;
  std::tie(c.host, c.port) = parse_endpoint(o.edge);
  c.connect_timeout = std::chrono::milliseconds(o.connect_timeout_ms);
  c.timeout = std::chrono::milliseconds(o.timeout_ms);
  if (!o.token_file.empty()) {
    c.token = read_token_file(o.token_file);
  }
  if (!o.emulate_trace.empty()) {
    if (!trace) {
      throw ConfigError("no trace samples given for --emulate-trace", o.emulate_trace);
    }
    try {
      c.throttle = std::make_shared<Throttle>(*trace, o.trace_scale);
    } catch (ConfigError& e) {
      e.set_file_if_empty(o.emulate_trace);
      throw;
    }
  }
  return c;
}

} // namespace edgent::net
