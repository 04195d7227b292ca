#include "net/net_options.hpp"

#include "cli/common_options.hpp"
#include "core/error.hpp"
#include "core/parse_number.hpp"

#include <fmt/format.h>

#include <optional>

namespace edgent::net {

namespace {

const CLI::Validator& endpoint_validator() {
  static const CLI::Validator validator(
      [](const std::string& value) -> std::string {
        try {
          parse_edge_url(value);
        } catch (const ConfigError& e) {
          return e.detail();
        }
        return {};
      },
      "URL", "edge URL");
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
  app.add_option("--max-queue", o.max_queue,
                 "Requests waiting for a worker at once (503 beyond; 0 = no cap but "
                 "--max-inflight)")
      ->capture_default_str();
  app.add_option("--max-connections", o.max_connections,
                 "Connections open at once (0 = no cap; lowered to fit the descriptor limit): "
                 "a new one replaces the one idle longest, else is answered 503")
      ->capture_default_str();
  app.add_option("--agent-port", o.agent_port,
                 "Answer HAProxy's agent-check on this port: one line 'ready N%' per "
                 "connection, the weight left by the requests waiting (0 = a free port)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--max-buffered", o.max_buffered,
                 "Request bodies and replies held at once over all connections, bytes (503 "
                 "beyond; at least --max-body)")
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
  auto* cert = app.add_option("--tls-cert", o.tls_cert,
                              "Serve HTTPS only (TLS 1.2 or later) with the PEM certificate "
                              "chain in FILE (leaf first)")
                   ->type_name("FILE");
  auto* key = app.add_option("--tls-key", o.tls_key,
                             "The unencrypted PEM private key of --tls-cert")
                  ->type_name("FILE");
  cert->needs(key);
  key->needs(cert);
}

ServerOptions to_server_options(const ServeNetOptions& o) {
  ServerOptions s;
  s.bind = o.bind;
  s.port = static_cast<std::uint16_t>(o.port);
  s.port_file = o.port_file;
  s.threads = static_cast<unsigned>(o.threads);
  s.max_body = o.max_body;
  s.max_inflight = o.max_inflight;
  s.max_queue = o.max_queue;
  s.max_connections = o.max_connections;
  s.agent_port = o.agent_port;
  s.max_buffered = o.max_buffered;
  s.read_timeout = std::chrono::milliseconds(o.read_timeout_ms);
  s.write_timeout = std::chrono::milliseconds(o.write_timeout_ms);
  if (!o.token_file.empty()) {
    s.token = read_token_file(o.token_file);
  }
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    throw UsageError("--tls-cert and --tls-key go together");
  }
  s.tls_cert_file = o.tls_cert;
  s.tls_key_file = o.tls_key;
  return s;
}

void add_edge_options(CLI::App& app, EdgeNetOptions& o) {
  app.add_option("--edge", o.edge,
                 "The edge server (edgent-serve): HOST:PORT or http://HOST:PORT, or "
                 "https://HOST:PORT with --ca")
      ->check(endpoint_validator())
      ->capture_default_str();
  app.add_option("--connect-timeout-ms", o.connect_timeout_ms,
                 "Give up connecting to the edge after this time")
      ->check(cli::positive())
      ->capture_default_str();
  app.add_option("--timeout-ms", o.timeout_ms,
                 "Give up on an edge request after this time (edgent-infer then finishes it on the device)")
      ->check(cli::positive())
      ->capture_default_str();
  app.add_option("--token-file", o.token_file, "Send the bearer token in FILE")->type_name("FILE");
  app.add_option("--ca", o.ca_file,
                 "Verify an https:// edge's certificate with the PEM CA certificate(s) in FILE "
                 "(it must name the edge's host or IP address)")
      ->type_name("FILE");
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
  const auto port = parse_unsigned(port_text, 65535);
  if (!port || *port == 0) {
    throw bad("the port must be 1-65535");
  }
  return {std::string(host), static_cast<std::uint16_t>(*port)};
}

EdgeUrl parse_edge_url(std::string_view text) {
  EdgeUrl url;
  std::string_view rest = text;
  std::optional<std::uint16_t> default_port;
  if (rest.starts_with("https://")) {
    url.tls = true;
    default_port = 443;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    default_port = 80;
    rest.remove_prefix(7);
  } else if (rest.find("://") != std::string_view::npos) {
    throw ConfigError(fmt::format("'{}': the scheme must be http:// or https://", text), {},
                      "edge");
  }
  if (default_port) {
    if (rest.ends_with("/")) {
      rest.remove_suffix(1);
    }
    if (rest.find('/') != std::string_view::npos) {
      throw ConfigError(fmt::format("'{}': give no path after the host and port", text), {},
                        "edge");
    }
    // No port: the last colon is not after a bare host or a bracketed IPv6 address.
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos || (rest.starts_with("[") && colon < rest.rfind(']'))) {
      auto [host, port] = parse_endpoint(fmt::format("{}:{}", rest, *default_port));
      url.host = std::move(host);
      url.port = port;
      return url;
    }
  }
  std::tie(url.host, url.port) = parse_endpoint(rest);
  return url;
}

ClientOptions to_client_options(const EdgeNetOptions& o, const std::vector<TracePoint>* trace) {
  ClientOptions c;
  const EdgeUrl url = parse_edge_url(o.edge);
  c.host = url.host;
  c.port = url.port;
  c.tls = url.tls;
  if (url.tls && o.ca_file.empty()) {
    throw UsageError(fmt::format("--edge {} needs --ca FILE, the CA certificate that signed the "
                                 "edge's certificate",
                                 o.edge));
  }
  if (!url.tls && !o.ca_file.empty()) {
    throw UsageError(fmt::format("--ca is for an https:// edge, but --edge is {}", o.edge));
  }
  c.ca_file = o.ca_file;
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
