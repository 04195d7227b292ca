#pragma once

#include "net/http_client.hpp"
#include "net/http_server.hpp"
#include "net/throttle.hpp"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edgent::net {

/// edgent-serve's network options as given on the command line (files are read later).
struct ServeNetOptions {
  std::string bind = "127.0.0.1";
  int port = 8080;
  std::string port_file;
  int threads = 2;
  std::size_t max_body = 64 * 1024 * 1024;
  std::size_t max_inflight = 64;
  std::size_t max_queue = 0;          ///< 0 = no cap but max_inflight
  std::size_t max_connections = 1024; ///< 0 = no cap
  int agent_port = -1;                ///< HAProxy agent-check port; -1 = none
  std::size_t max_buffered = 256 * 1024 * 1024;
  int read_timeout_ms = 30000;
  int write_timeout_ms = 30000;
  std::string token_file;
  std::string tls_cert;  ///< PEM certificate chain; with tls_key: HTTPS only
  std::string tls_key;   ///< PEM private key (unencrypted)
};

/// Adds --bind, --port, --port-file, --threads, --max-body, --max-inflight, --max-queue,
/// --max-connections, --max-buffered,
/// --read-timeout-ms, --write-timeout-ms, --token-file, --tls-cert and --tls-key
/// (defaults from @p o; --tls-cert and --tls-key need each other).
void add_serve_options(CLI::App& app, ServeNetOptions& o);

/// The server settings @p o asks for; reads the token file (IoError, ConfigError if empty).
/// The TLS files are read when the server is made.
ServerOptions to_server_options(const ServeNetOptions& o);

/// edgent-infer's transport options as given on the command line (files are read later).
struct EdgeNetOptions {
  std::string edge = "127.0.0.1:8080";
  int connect_timeout_ms = 2000;
  int timeout_ms = 10000;
  std::string token_file;
  std::string ca_file;  ///< PEM CA certificate(s) verifying an https:// edge
  std::string emulate_trace;
  double trace_scale = 1.0;
};

/// Adds --edge URL, --connect-timeout-ms, --timeout-ms, --token-file, --ca FILE,
/// --emulate-trace FILE and --trace-scale K (defaults from @p o).
void add_edge_options(CLI::App& app, EdgeNetOptions& o);

/// Splits `HOST:PORT` or `[IPv6]:PORT`. Throws ConfigError naming `edge`.
std::pair<std::string, std::uint16_t> parse_endpoint(std::string_view text);

/// Where the edge is and whether it speaks TLS.
struct EdgeUrl {
  std::string host;
  std::uint16_t port = 0;
  bool tls = false;
};

/// Parses `https://HOST[:PORT][/]` (TLS, port 443 by default), `http://HOST[:PORT][/]`
/// (port 80 by default) or a bare `HOST:PORT` (plain HTTP); HOST may be `[IPv6]`.
/// Throws ConfigError naming `edge`.
EdgeUrl parse_edge_url(std::string_view text);

/// The client settings @p o asks for; reads the token file. An https:// edge needs --ca (the
/// system's CAs are not trusted by default) and --ca needs an https:// edge: UsageError
/// otherwise. The CA file is read when the client is made. With --emulate-trace, @p trace
/// (the samples of that file, read by the caller's trace reader) scaled by --trace-scale
/// drives a throttle on the client's uplink and downlink; ConfigError if it is then missing.
ClientOptions to_client_options(const EdgeNetOptions& o, const std::vector<TracePoint>* trace);

} // namespace edgent::net
