#include "net/http_client.hpp"

#include "core/error.hpp"
#include "core/file_io.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/http/span_body.hpp>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cctype>

namespace edgent::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
  case Outcome::ok:
    return "ok";
  case Outcome::http_status:
    return "http_status";
  case Outcome::unreachable:
    return "unreachable";
  case Outcome::timeout:
    return "timeout";
  case Outcome::broken:
    return "broken";
  case Outcome::tls:
    return "tls";
  }
  return "unknown";
}

std::optional<std::string> HttpResult::header(std::string_view name) const {
  const auto same = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) ==
                    std::tolower(static_cast<unsigned char>(y));
           });
  };
  for (const auto& [key, value] : headers) {
    if (same(key, name)) {
      return value;
    }
  }
  return std::nullopt;
}

namespace {

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

/// Waits until @p fd is ready for @p events or @p deadline passes (then sets timed_out).
bool wait_ready(int fd, short events, Clock::time_point deadline, beast::error_code& ec) {
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      ec = asio::error::timed_out;
      return false;
    }
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1 << 30)));
    if (r > 0) {
      return true;
    }
    if (r < 0 && errno != EINTR) {
      ec = beast::error_code(errno, beast::system_category());
      return false;
    }
  }
}

/// A synchronous stream over a non-blocking socket that enforces a deadline on every read and
/// write, passes at most one throttle chunk at a time through the throttle, and counts bytes.
/// It is the next layer of the client's TLS stream, too.
class ClientStream {
public:
  using lowest_layer_type = tcp::socket;
  using executor_type = tcp::socket::executor_type;

  ClientStream(tcp::socket& socket, Throttle* throttle) : m_socket(socket), m_throttle(throttle) {}

  /// Starts an exchange that must end by @p deadline: resets the counters, and both
  /// directions start a new transfer on the throttle.
  void begin(Clock::time_point deadline) {
    m_deadline = deadline;
    m_first_read.reset();
    m_bytes_read = 0;
    m_bytes_written = 0;
    if (m_throttle) {
      m_throttle->up().start_transfer();
      m_throttle->down().start_transfer();
    }
  }
  lowest_layer_type& lowest_layer() { return m_socket; }
  executor_type get_executor() { return m_socket.get_executor(); }

  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers, beast::error_code& ec) {
    const auto part = beast::buffers_prefix(limit(), buffers);
    for (;;) {
      const std::size_t n = m_socket.read_some(part, ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        ec = {};
        if (!wait_ready(m_socket.native_handle(), POLLIN, m_deadline, ec)) {
          return 0;
        }
        continue;
      }
      if (n > 0) {
        if (!m_first_read) {
          m_first_read = Clock::now();
        }
        m_bytes_read += n;
        if (m_throttle && !m_throttle->down().acquire(n, m_deadline)) {
          ec = asio::error::timed_out;
          return 0;
        }
      }
      return n;
    }
  }
  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers) {
    beast::error_code ec;
    const std::size_t n = read_some(buffers, ec);
    if (ec) {
      throw beast::system_error(ec);
    }
    return n;
  }

  template <class ConstBufferSequence>
  std::size_t write_some(const ConstBufferSequence& buffers, beast::error_code& ec) {
    const auto part = beast::buffers_prefix(limit(), buffers);
    const std::size_t size = beast::buffer_bytes(part);
    if (m_throttle && size > 0 && !m_throttle->up().acquire(size, m_deadline)) {
      ec = asio::error::timed_out;
      return 0;
    }
    for (;;) {
      const std::size_t n = m_socket.write_some(part, ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        ec = {};
        if (!wait_ready(m_socket.native_handle(), POLLOUT, m_deadline, ec)) {
          return 0;
        }
        continue;
      }
      m_bytes_written += n;
      return n;
    }
  }
  template <class ConstBufferSequence>
  std::size_t write_some(const ConstBufferSequence& buffers) {
    beast::error_code ec;
    const std::size_t n = write_some(buffers, ec);
    if (ec) {
      throw beast::system_error(ec);
    }
    return n;
  }

  std::optional<Clock::time_point> first_read() const { return m_first_read; }
  std::size_t bytes_read() const { return m_bytes_read; }
  std::size_t bytes_written() const { return m_bytes_written; }

private:
  std::size_t limit() const {
    return m_throttle ? m_throttle->chunk_bytes() : std::size_t{1} << 20;
  }

  tcp::socket& m_socket;
  Throttle* m_throttle;
  Clock::time_point m_deadline{};
  std::optional<Clock::time_point> m_first_read;
  std::size_t m_bytes_read = 0;
  std::size_t m_bytes_written = 0;
};

bool is_timeout(const beast::error_code& ec) {
  return ec == asio::error::timed_out || ec == beast::error::timeout;
}

/// The client's TLS context (TLS 1.2 or later, peer verification against @p o's CA), or null.
std::unique_ptr<asio::ssl::context> make_client_tls(const ClientOptions& o) {
  if (!o.tls) {
    return nullptr;
  }
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_verify_mode(asio::ssl::verify_peer);
  beast::error_code ec;
  if (o.ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
    if (ec) {
      ERR_clear_error();
      throw ConfigError(fmt::format("cannot load the system's CA certificates: {}", ec.message()),
                        {}, "ca");
    }
    return ctx;
  }
  std::string pem;
  try {
    pem = read_file(o.ca_file);
  } catch (const Error& e) {
    throw ConfigError(e.detail(), display_name(o.ca_file), "ca");
  }
  ctx->add_certificate_authority(asio::buffer(pem), ec);
  if (ec) {
    ERR_clear_error();
    throw ConfigError(fmt::format("not a PEM CA certificate: {}", ec.message()),
                      display_name(o.ca_file), "ca");
  }
  return ctx;
}

/// Why a TLS handshake failed: the certificate verification error when there is one.
std::string handshake_failure(SSL* ssl, const beast::error_code& ec) {
  std::string why = ec.message();
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) {
    why = fmt::format("server certificate not verified: {}",
                      X509_verify_cert_error_string(verify));
  }
  ERR_clear_error();
  return why;
}

} // namespace

/// Capacity of a connection's read buffer: the largest read Beast issues (64 KiB).
constexpr std::size_t kReadBufferBytes = 64 * 1024;

struct HttpClient::Impl {
  explicit Impl(ClientOptions o)
      : options(std::move(o)), tls_context(make_client_tls(options)),
        raw(socket, options.throttle.get()) {
    // Beast reads at most the buffer's free capacity (at least 512 bytes) per call, and the
    // parser drains body bytes at once: without room a 50 KB body takes a hundred reads.
    buffer.reserve(kReadBufferBytes);
  }

  /// Opens a connection, or explains why not in @p result.
  bool connect(HttpResult& result);
  /// One request on the open connection.
  void exchange(HttpResult& result, http::verb verb, std::string_view method,
                std::string_view target, std::string_view body, std::string_view content_type,
                const std::vector<std::pair<std::string, std::string>>& headers);
  /// The TLS handshake on the connected socket, until @p deadline.
  bool handshake(HttpResult& result, Clock::time_point deadline, beast::error_code& ec);
  void close() {
    beast::error_code ec;
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
    tls.reset();
    buffer.clear();
  }

  ClientOptions options;
  std::unique_ptr<asio::ssl::context> tls_context;
  asio::io_context ioc;
  tcp::socket socket{ioc};
  ClientStream raw;
  /// The TLS layer over raw, on an open connection with TLS.
  std::optional<asio::ssl::stream<ClientStream&>> tls;
  beast::flat_buffer buffer;
  std::chrono::milliseconds backoff{0};
  Clock::time_point next_attempt{};
};

bool HttpClient::Impl::connect(HttpResult& result) {
  const auto now = Clock::now();
  if (now < next_attempt) {
    result.outcome = Outcome::unreachable;
    result.error = fmt::format("{}:{}: backing off after a failed connection, next attempt in {} ms",
                               options.host, options.port,
                               std::chrono::ceil<std::chrono::milliseconds>(next_attempt - now).count());
    return false;
  }
  const auto fail = [&](const std::string& why, Outcome outcome) {
    close();
    backoff = backoff.count() == 0 ? options.backoff_initial
                                   : std::min(backoff * 2, options.backoff_max);
    next_attempt = Clock::now() + backoff;
    result.outcome = outcome;
    result.error = fmt::format("{}:{}: {}", options.host, options.port, why);
    return false;
  };
  beast::error_code ec;
  std::vector<tcp::endpoint> endpoints;
  const auto address = asio::ip::make_address(options.host, ec);
  if (!ec) {
    endpoints.emplace_back(address, options.port);
  } else {
    tcp::resolver resolver(ioc);
    const auto found = resolver.resolve(options.host, std::to_string(options.port), ec);
    if (ec) {
      return fail(fmt::format("cannot resolve: {}", ec.message()), Outcome::unreachable);
    }
    for (const auto& e : found) {
      endpoints.push_back(e.endpoint());
    }
  }
  const auto start = Clock::now();
  const auto deadline = start + options.connect_timeout;
  for (const auto& endpoint : endpoints) {
    close();
    ec = {};
    socket.open(endpoint.protocol(), ec);
    if (!ec) {
      socket.non_blocking(true, ec);
    }
    if (!ec) {
      socket.connect(endpoint, ec);
      if (ec == asio::error::in_progress || ec == asio::error::would_block) {
        ec = {};
        if (wait_ready(socket.native_handle(), POLLOUT, deadline, ec)) {
          int err = 0;
          socklen_t len = sizeof err;
          if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
            err = errno;
          }
          if (err != 0) {
            ec = beast::error_code(err, beast::system_category());
          }
        }
      }
    }
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
    }
    if (!ec && tls_context && !handshake(result, deadline, ec)) {
      if (is_timeout(ec)) {
        return fail(fmt::format("TLS handshake timed out after {} ms",
                                options.connect_timeout.count()),
                    Outcome::unreachable);
      }
      return fail(result.error, Outcome::tls);
    }
    if (!ec) {
      backoff = std::chrono::milliseconds{0};
      next_attempt = {};
      result.connect_ms = ms_between(start, Clock::now());
      return true;
    }
    if (is_timeout(ec)) {
      return fail(fmt::format("connect timed out after {} ms", options.connect_timeout.count()),
                  Outcome::unreachable);
    }
  }
  return fail(fmt::format("cannot connect: {}", ec.message()), Outcome::unreachable);
}

bool HttpClient::Impl::handshake(HttpResult& result, Clock::time_point deadline,
                                 beast::error_code& ec) {
  tls.emplace(raw, *tls_context);
  SSL* ssl = tls->native_handle();
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  beast::error_code not_ip;
  asio::ip::make_address(options.host, not_ip);
  if (!not_ip) {
    X509_VERIFY_PARAM_set1_ip_asc(param, options.host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_host(param, options.host.c_str(), 0);
    SSL_set_tlsext_host_name(ssl, options.host.c_str());
  }
  raw.begin(deadline);
  tls->handshake(asio::ssl::stream_base::client, ec);
  if (ec) {
    result.error = fmt::format("TLS handshake failed: {}", handshake_failure(ssl, ec));
    return false;
  }
  return true;
}

namespace {

/// A request body over the caller's bytes: sent from where they are, not from a copy.
using SpanBody = http::span_body<const char>;

/// Writes @p req (until @p sent) and reads the response header (checked against @p limit)
/// and body.
template <class Stream>
void transfer(Stream& stream, beast::flat_buffer& buffer, http::request<SpanBody>& req,
              http::response_parser<http::string_body>& parser, std::size_t limit,
              Clock::time_point& sent, beast::error_code& write_ec, beast::error_code& ec) {
  http::write(stream, req, write_ec);
  sent = Clock::now();
  // Even when writing failed the server may have answered (413 before the body), so read.
  // Beast 1.74 does not apply a response parser's body limit to Content-Length, so the
  // header is read first and checked here, before any body is stored.
  http::read_header(stream, buffer, parser, ec);
  if (!ec && parser.content_length() && *parser.content_length() > limit) {
    ec = http::error::body_limit;
  }
  if (!ec && !parser.is_done()) {
    http::read(stream, buffer, parser, ec);
  }
}

} // namespace

void HttpClient::Impl::exchange(HttpResult& result, http::verb verb, std::string_view method,
                                std::string_view target, std::string_view body,
                                std::string_view content_type,
                                const std::vector<std::pair<std::string, std::string>>& headers) {
  http::request<SpanBody> req;
  if (verb == http::verb::unknown) {
    req.method_string(beast::string_view(method.data(), method.size()));
  } else {
    req.method(verb);
  }
  req.target(beast::string_view(target.data(), target.size()));
  req.version(11);
  req.set(http::field::host, fmt::format("{}:{}", options.host, options.port));
  req.set(http::field::user_agent, "edgent");
  if (!options.token.empty()) {
    req.set(http::field::authorization, "Bearer " + options.token);
  }
  if (!content_type.empty()) {
    req.set(http::field::content_type, beast::string_view(content_type.data(), content_type.size()));
  }
  for (const auto& [name, value] : headers) {
    req.set(name, value);
  }
  req.body() = SpanBody::value_type(body.data(), body.size());
  req.keep_alive(true);
  req.prepare_payload();

  const auto start = Clock::now();
  ClientStream& stream = raw;
  stream.begin(start + options.timeout);
  beast::error_code write_ec;
  http::response_parser<http::string_body> parser;
  parser.body_limit(options.max_response_bytes);
  beast::error_code ec;
  Clock::time_point sent;
  if (tls) {
    transfer(*tls, buffer, req, parser, options.max_response_bytes, sent, write_ec, ec);
  } else {
    transfer(raw, buffer, req, parser, options.max_response_bytes, sent, write_ec, ec);
  }
  if (!ec && parser.get().body().size() > options.max_response_bytes) {
    ec = http::error::body_limit;
  }
  const auto done = Clock::now();

  result.send_ms = ms_between(start, sent);
  result.first_byte_ms = stream.first_read() ? ms_between(start, *stream.first_read()) : 0.0;
  result.total_ms = ms_between(start, done);
  result.bytes_up = stream.bytes_written();
  result.bytes_down = stream.bytes_read();
  if (ec) {
    close();
    const auto& why = is_timeout(write_ec) ? write_ec : ec;
    result.outcome = is_timeout(why) ? Outcome::timeout : Outcome::broken;
    result.error = is_timeout(why)
                       ? fmt::format("{}:{}: no complete response within {} ms", options.host,
                                     options.port, options.timeout.count())
                       : fmt::format("{}:{}: {}{}", options.host, options.port,
                                     write_ec ? "sending failed: " : "", (write_ec ? write_ec : ec).message());
    return;
  }
  auto res = parser.release();
  result.status = res.result_int();
  for (const auto& field : res) {
    result.headers.emplace_back(std::string(field.name_string().data(), field.name_string().size()),
                                std::string(field.value().data(), field.value().size()));
  }
  result.body = std::move(res.body());
  result.outcome = result.status >= 200 && result.status < 300 ? Outcome::ok : Outcome::http_status;
  if (result.outcome != Outcome::ok) {
    result.error = fmt::format("{}:{}: HTTP {}", options.host, options.port, result.status);
  }
  if (!res.keep_alive() || write_ec) {
    close();
  }
}

HttpClient::HttpClient(ClientOptions options)
    : m_impl(std::make_unique<Impl>(std::move(options))) {}

HttpClient::~HttpClient() = default;

HttpResult HttpClient::request(std::string_view method, std::string_view target,
                               std::string_view body, std::string_view content_type,
                               const std::vector<std::pair<std::string, std::string>>& headers) {
  auto& impl = *m_impl;
  const auto verb = http::string_to_verb(beast::string_view(method.data(), method.size()));
  for (int attempt = 0;; ++attempt) {
    HttpResult result;
    const bool reused = impl.socket.is_open();
    if (!reused && !impl.connect(result)) {
      return result;
    }
    result.reused = reused;
    impl.exchange(result, verb, method, target, body, content_type, headers);
    // A kept-alive connection the server closed while idle fails before any response byte:
    // that says nothing about the server, so try once more on a new connection.
    if (reused && attempt == 0 && result.outcome == Outcome::broken && result.bytes_down == 0) {
      continue;
    }
    return result;
  }
}

void HttpClient::close() { m_impl->close(); }

std::chrono::milliseconds HttpClient::backoff() const { return m_impl->backoff; }

} // namespace edgent::net
