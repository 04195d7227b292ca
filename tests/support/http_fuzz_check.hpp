#pragma once

// The property both the HTTP libFuzzer target and the regular ctest check on arbitrary bytes:
// sent as one connection to the real edge server (HttpServer, its Beast parser and routes,
// and the EdgeHandler running the default model, with a bearer token and small limits) over
// loopback, the bytes get answers that parse as HTTP/1.1 responses, each with a status the
// server documents and, for an error, the JSON body {"error", "status"} of that status; no
// answer is a 500 (a failure the server did not foresee); the server never crashes and never
// hangs (the connection ends: everything the client sends has been sent).

#include "core/log.hpp"
#include "model/model_card.hpp"
#include "net/http_server.hpp"
#include "runtime/edge_handler.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace edgent::fuzz {

/// The token the fuzzed server requires (the seeds send it).
inline constexpr std::string_view kHttpFuzzToken = "fuzz-token";
/// The fuzzed server's body limit and memory bound, bytes: small, so inputs cannot exhaust it.
inline constexpr std::size_t kHttpFuzzMaxBody = 256 * 1024;
inline constexpr std::size_t kHttpFuzzMaxBuffered = 1024 * 1024;

/// The server every input goes to, made on first use and never destroyed: its threads serve
/// until the process exits.
class HttpFuzzServer {
public:
  static HttpFuzzServer& get() {
    static HttpFuzzServer* server = new HttpFuzzServer();
    return *server;
  }
  std::uint16_t port() const { return m_server->port(); }

private:
  HttpFuzzServer() {
    log::set_level(log::Level::quiet);
    const std::string card = std::string(EDGENT_SOURCE_DIR) + "/models/branchy-alexnet-fmnist.json";
    m_handler = std::make_unique<runtime::EdgeHandler>(
        model::OnnxGraph::from_file(model::resolve_model_onnx(card)), 1, 1);
    net::ServerOptions o;
    o.threads = 1;
    o.token = std::string(kHttpFuzzToken);
    o.max_body = kHttpFuzzMaxBody;
    o.max_buffered = kHttpFuzzMaxBuffered;
    o.read_timeout = std::chrono::milliseconds(2000);
    o.write_timeout = std::chrono::milliseconds(2000);
    m_server = std::make_unique<net::HttpServer>(*m_handler, o);
    m_server->start();
    std::thread([s = m_server.get()] { s->run(); }).detach();
  }

  std::unique_ptr<runtime::EdgeHandler> m_handler;
  std::unique_ptr<net::HttpServer> m_server;
};

[[noreturn]] inline void http_fuzz_fail(const std::string& why, std::string_view answer) {
  std::fprintf(stderr, "http fuzz property violated: %s\nanswer (%zu bytes): %.*s\n", why.c_str(),
               answer.size(), static_cast<int>(std::min<std::size_t>(answer.size(), 2000)),
               answer.data());
  std::abort();
}

/// Checks the bytes the server sent on one connection: a sequence of whole HTTP/1.1
/// responses with documented statuses. Returns the statuses.
inline std::vector<unsigned> check_http_answer(std::string_view answer) {
  namespace http = boost::beast::http;
  static const std::vector<unsigned> documented = {100, 200, 400, 401, 404, 405, 409,
                                                   413, 422, 431, 501, 503};
  std::vector<unsigned> statuses;
  while (!answer.empty()) {
    http::response_parser<http::string_body> parser;
    parser.eager(true);
    parser.body_limit(kHttpFuzzMaxBody + 1);
    boost::beast::error_code ec;
    std::size_t used = 0;
    while (!parser.is_done()) {
      const std::size_t n = parser.put(boost::asio::buffer(answer.data() + used, answer.size() - used), ec);
      used += n;
      if (ec == http::error::need_more && used == answer.size()) {
        http_fuzz_fail("a truncated response", answer);
      }
      if (ec && ec != http::error::need_more) {
        http_fuzz_fail("not an HTTP/1.1 response: " + ec.message(), answer);
      }
      if (n == 0 && ec == http::error::need_more) {
        http_fuzz_fail("a response the parser cannot finish", answer);
      }
    }
    const auto& res = parser.get();
    const unsigned status = res.result_int();
    if (std::find(documented.begin(), documented.end(), status) == documented.end()) {
      http_fuzz_fail("undocumented status " + std::to_string(status), answer);
    }
    if (status >= 400) {
      const auto doc = nlohmann::json::parse(res.body(), nullptr, /*allow_exceptions=*/false);
      if (!doc.is_object() || !doc.contains("error") || !doc["error"].is_string() ||
          doc.value("status", 0u) != status) {
        http_fuzz_fail("an error without its JSON body", answer);
      }
    }
    statuses.push_back(status);
    answer.remove_prefix(used);
  }
  return statuses;
}

/// Sends @p bytes on one new connection to the fuzzed server, closes the sending side and
/// reads the answer to the end; checks it (check_http_answer) and returns its statuses.
/// Aborts when the server cannot be reached or does not end the connection within 10 s.
inline std::vector<unsigned> check_http_bytes(std::string_view bytes) {
  const std::uint16_t port = HttpFuzzServer::get().port();
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0) {
    http_fuzz_fail(std::string("no socket: ") + std::strerror(errno), {});
  }
  // libFuzzer's timer signal (-timeout) interrupts system calls: an interrupted connect goes
  // on in the background and ends when the socket turns writable; other calls are retried.
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int error = errno;
    if (error == EINTR) {
      pollfd w{fd, POLLOUT, 0};
      while (::poll(&w, 1, 10000) < 0 && errno == EINTR) {
      }
      socklen_t len = sizeof error;
      if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0) {
        error = errno;
      }
    }
    if (error != 0) {
      http_fuzz_fail(std::string("cannot connect to the server: ") + std::strerror(error), {});
    }
  }
  // The server may answer and close before it has read everything: a failed send is fine.
  for (std::string_view left = bytes; !left.empty();) {
    const ssize_t n = ::send(fd, left.data(), left.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    left.remove_prefix(static_cast<std::size_t>(n));
  }
  ::shutdown(fd, SHUT_WR);
  std::string answer;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  char buf[16 * 1024];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) {
      ::close(fd);
      http_fuzz_fail("the server did not end the connection within 10 s", answer);
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) {
      continue;
    }
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;  // closed (or reset after an answer)
    }
    answer.append(buf, static_cast<std::size_t>(n));
  }
  // Close with a reset: hundreds of thousands of executions must not pile up TIME_WAIT sockets
  // until no local port is left.
  const linger reset{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  ::close(fd);
  return check_http_answer(answer);
}

} // namespace edgent::fuzz
