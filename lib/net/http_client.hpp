#pragma once

#include "net/throttle.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edgent::net {

/// Settings of an HttpClient.
struct ClientOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  /// Limit for establishing a connection.
  std::chrono::milliseconds connect_timeout{2000};
  /// Limit for one request: writing it and reading the whole response.
  std::chrono::milliseconds timeout{10000};
  /// Bearer token sent with every request; empty = none.
  std::string token;
  /// Speak HTTPS (TLS 1.2 or later): the server's certificate must chain to a CA in ca_file
  /// (PEM; empty = the system's CAs) and name host (a DNS name, or an IP address in its
  /// subjectAltName).
  bool tls = false;
  std::string ca_file;
  /// After a failed connection attempt the next one waits this long, doubling per failure
  /// up to backoff_max; a success resets it.
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{5000};
  /// Largest response body accepted, bytes.
  std::size_t max_response_bytes = 256 * 1024 * 1024;
  /// Emulated link every byte up and down passes through; null = full speed.
  std::shared_ptr<Throttle> throttle;
};

/// How a request ended. Only `ok` carries a 2xx response; `http_status` carries any other.
enum class Outcome {
  ok,          ///< 2xx response
  http_status, ///< a response with another status (see HttpResult::status)
  unreachable, ///< no connection: refused, connect timeout, or backing off after a failure
  timeout,     ///< connected, but the request or response did not finish within the timeout
  broken,      ///< connection reset mid-exchange, or a response that is not valid HTTP
  tls,         ///< TLS handshake failed: certificate not verified, or no common protocol
};

/// Name of an outcome ("ok", "http_status", ...).
std::string_view to_string(Outcome outcome);

/// The result of one request, returned as a value: expected failures are not exceptions.
struct HttpResult {
  Outcome outcome = Outcome::broken;
  /// HTTP status, 0 without a response.
  unsigned status = 0;
  std::string body;
  /// Response headers (names as sent).
  std::vector<std::pair<std::string, std::string>> headers;
  /// What went wrong, empty for ok.
  std::string error;
  /// Time to establish the connection (TLS handshake included), ms (0 when an open
  /// connection was reused).
  double connect_ms = 0.0;
  /// From the start of sending to the request written, to the first response byte, and to
  /// the whole response read, ms.
  double send_ms = 0.0;
  double first_byte_ms = 0.0;
  double total_ms = 0.0;
  /// Bytes written and read on the socket for this request, headers included.
  std::size_t bytes_up = 0;
  std::size_t bytes_down = 0;
  /// True when the request went over a kept-alive connection.
  bool reused = false;

  bool ok() const { return outcome == Outcome::ok; }
  /// The value of header @p name (case-insensitive), if present.
  std::optional<std::string> header(std::string_view name) const;
};

/// A synchronous keep-alive HTTP/1.1 client for one server, with connect and request
/// timeouts, optional TLS, a bearer token, reconnection with exponential backoff, and an
/// optional throttle (on the bytes on the wire, TLS records included). A request on a kept-alive connection that the server has closed meanwhile is
/// retried once on a new connection. Not thread-safe: one client per thread.
class HttpClient {
public:
  /// With tls, loads the CA file: ConfigError naming it when unreadable or not PEM.
  explicit HttpClient(ClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Sends @p method (e.g. "GET") to @p target ("/v1/health") with @p body and extra headers.
  HttpResult request(std::string_view method, std::string_view target, std::string_view body = {},
                     std::string_view content_type = {},
                     const std::vector<std::pair<std::string, std::string>>& headers = {});
  HttpResult get(std::string_view target) { return request("GET", target); }
  HttpResult post(std::string_view target, std::string_view body,
                  std::string_view content_type = "application/octet-stream",
                  const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    return request("POST", target, body, content_type, headers);
  }
  /// Closes the connection (the next request opens a new one).
  void close();
  /// The wait before the next connection attempt after failures, 0 when connected or fresh.
  std::chrono::milliseconds backoff() const;

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

} // namespace edgent::net
