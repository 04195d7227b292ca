#pragma once

#include "core/error.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edgent::net {

/// An error a handler throws to answer with a particular HTTP status (4xx or 5xx); the
/// response body is `{"error": what, "status": status}`.
class HttpError : public Error {
public:
  HttpError(unsigned status, std::string what);
  unsigned status() const { return m_status; }

private:
  unsigned m_status;
};

/// The HTTP status the server answers when a handler throws @p e:
/// HttpError its own; DataError and SchemaError 400 (malformed request, e.g. a bad wire
/// header or a tensor of the wrong shape for the cut); ConfigError 422 (well-formed but not
/// servable: unknown exit, invalid cut or codec); anything else 500.
unsigned http_status_for(const std::exception& e);

/// What the server passes to a handler with each inference request.
struct RequestInfo {
  /// Index of the worker thread running the request, 0..threads-1. The server never runs
  /// two requests on the same worker at once, so per-worker caches need no lock.
  unsigned worker = 0;
  /// Time the request waited for a worker, ms.
  double queue_ms = 0.0;
  /// The request's `X-Edgent-*` headers, names lowercased (e.g. "x-edgent-run-to").
  std::map<std::string, std::string> headers;

  /// The value of header @p lowercase_name, or nullptr.
  const std::string* header(const std::string& lowercase_name) const {
    const auto it = headers.find(lowercase_name);
    return it == headers.end() ? nullptr : &it->second;
  }
};

/// A handler's answer to one inference request.
struct InferReply {
  std::string body;
  std::string content_type = "application/octet-stream";
  /// Extra response headers.
  std::vector<std::pair<std::string, std::string>> headers;
};

/// What the edge server runs: the server owns sockets, limits and routing, the handler
/// the computation. infer() is called concurrently from different workers.
class InferHandler {
public:
  virtual ~InferHandler() = default;
  /// Runs one request body (tensor wire format) and returns the response body. Throws an
  /// edgent::Error (mapped by http_status_for) for a request it cannot serve.
  virtual InferReply infer(std::string_view body, const RequestInfo& info) = 0;
  /// The model served, answered on GET /v1/model; called once when the server is made.
  /// A string "sha256" in it is compared with a request's X-Edgent-Model-Sha256 header.
  virtual nlohmann::json model_info() const = 0;
};

namespace detail {
struct ServerCore;
}

/// Settings of an HttpServer.
struct ServerOptions {
  /// Address to bind (IPv4 or IPv6 literal).
  std::string bind = "127.0.0.1";
  /// Port to bind; 0 picks a free one (see HttpServer::port()).
  std::uint16_t port = 0;
  /// Worker threads running handler calls.
  unsigned threads = 1;
  /// Threads running socket I/O.
  unsigned io_threads = 1;
  /// Largest request body accepted, bytes (413 beyond it).
  std::size_t max_body = 64 * 1024 * 1024;
  /// Inference requests queued or running at once (503 with Retry-After beyond it).
  std::size_t max_inflight = 64;
  /// Inference requests waiting for a worker (503 with Retry-After beyond it); 0 = no cap
  /// but max_inflight.
  std::size_t max_queue = 0;
  /// Client connections open at once; 0 = no cap. start() lowers it to what the descriptor
  /// limit leaves room for. At the cap a new connection takes the place of the one that has
  /// waited longest for a request; with none waiting, its request is answered 503 (with
  /// Retry-After) and it is closed.
  std::size_t max_connections = 1024;
  /// Request bodies and replies the server holds at once, bytes, over every connection: a
  /// request whose body would go beyond it is answered 503 (with Retry-After) before its body
  /// is read. Bodies over 1 MiB share three quarters of it, so that large uploads cannot crowd
  /// out small requests. At least max_body.
  std::size_t max_buffered = 256 * 1024 * 1024;
  /// A whole request (or the wait for the next one on a kept-alive connection) must arrive
  /// within this time, or the connection is closed.
  std::chrono::milliseconds read_timeout{30000};
  /// A whole response must be written within this time, or the connection is closed.
  std::chrono::milliseconds write_timeout{30000};
  /// Bearer token every route but /v1/health requires; empty = no authentication.
  std::string token;
  /// PEM certificate chain (leaf first) and private key files: both set = serve HTTPS only
  /// (TLS 1.2 or later), both empty = plain HTTP. Read when the server is made.
  std::string tls_cert_file;
  std::string tls_key_file;
  /// With TLS, a connection must complete its handshake within this time, or it is closed.
  std::chrono::milliseconds handshake_timeout{10000};
  /// Port of the load agent for HAProxy's agent-check, on the same address: each connection
  /// gets one line, `ready N%` (N = 100 × workers / (workers + requests waiting), at least 1),
  /// then is closed; the agent stops when draining starts. -1 = no agent, 0 = a free port.
  int agent_port = -1;
  /// File to write the bound port to (atomically), empty = none.
  std::string port_file;
  /// Drain gracefully on SIGINT and SIGTERM (for the tool; tests call stop()).
  bool handle_signals = false;
};

/// Reads a bearer token from @p path: the file's content without surrounding whitespace.
/// Throws IoError if unreadable and ConfigError if empty.
std::string read_token_file(const std::string& path);

/// The edge's asynchronous HTTP/1.1 server (keep-alive) with these routes:
/// `POST /v1/infer` (body to the handler; the answer carries X-Edgent-Queue-Ms and
/// X-Edgent-Compute-Ms), `POST /v1/probe` (bandwidth probe: body dropped, answered with
/// X-Edgent-Probe-Reply-Bytes zero bytes, streamed without being held in memory, up to
/// max_body), `GET /v1/health`, `GET /v1/model`, `GET /v1/load` (queue, requests in flight,
/// connections, recent quantiles of queueing and service time: JSON), `GET /metrics`
/// (Prometheus text). Every answer carries X-Edgent-Queue-Ms (0 but on /v1/infer) and
/// X-Edgent-Service-Ms.
/// Route, method, token, framing and the memory bound are checked on the request's headers,
/// before its body is read; a request refused there has its connection closed after the
/// answer, and `Expect: 100-continue` is answered `100 Continue` only once they pass.
/// Errors are JSON bodies `{"error": "...", "status": N}`: 400 malformed request, 401 missing or
/// wrong token (the scheme `Bearer` in any case), 404 unknown path, 405 wrong method, 409
/// X-Edgent-Model-Sha256 differs from the served model, 413 body over max_body, 422 unservable
/// request, 431 header over 16 KiB, 501 a transfer coding other than chunked, 503 over
/// max_inflight, max_queue, max_connections or max_buffered. Requests that cannot be parsed
/// are answered, then the connection closes.
/// When file descriptors run out, the server closes the connections that have waited longest
/// for a request (up to 8 at a time) and accepts again 10 ms later; with none idle, it pauses
/// accepting for 100 ms and closes one connection not yet accepted through a reserved
/// descriptor. It warns at most every 10 s.
/// With TLS every connection starts with a handshake (within handshake_timeout); a client
/// speaking plain HTTP to it is answered 400 in plain text and disconnected, and a failed
/// handshake closes only its own connection.
class HttpServer {
public:
  /// Keeps a reference to @p handler, which must outlive the server. Destroy the server only
  /// after run() has returned (or if it never ran). With TLS files, reads them: ConfigError
  /// naming the file when one is unreadable, not PEM, or the key does not match the certificate.
  HttpServer(InferHandler& handler, ServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds and listens, writes the port file, then reports `listening on ADDR:PORT` on
  /// stderr (unless quiet). Throws ConfigError on a bad address and NetError when it cannot bind.
  void start();
  /// The bound port (after start()).
  std::uint16_t port() const;
  /// The load agent's bound port (after start()), 0 without an agent.
  std::uint16_t agent_port() const;
  /// Serves until stop() (or a signal, with handle_signals) and the drain complete: no new
  /// connections, in-flight requests answered, idle connections closed. Call after start().
  void run();
  /// Begins a graceful drain; thread-safe, returns at once.
  void stop();
  /// The metrics as served on /metrics.
  std::string metrics_text() const;

private:
  std::unique_ptr<detail::ServerCore> m_impl;
};

} // namespace edgent::net
