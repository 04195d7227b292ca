#include "net/http_server.hpp"

#include "core/file_io.hpp"
#include "core/log.hpp"
#include "core/parse_number.hpp"
#include "core/version.hpp"
#include "net/server_metrics.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace edgent::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

HttpError::HttpError(unsigned status, std::string what)
    : Error(std::move(what)), m_status(status) {}

unsigned http_status_for(const std::exception& e) {
  if (const auto* h = dynamic_cast<const HttpError*>(&e)) {
    return h->status();
  }
  if (dynamic_cast<const DataError*>(&e) || dynamic_cast<const SchemaError*>(&e)) {
    return 400;
  }
  if (dynamic_cast<const ConfigError*>(&e)) {
    return 422;
  }
  return 500;
}

std::string read_token_file(const std::string& path) {
  std::string token = read_file(path);
  const auto first = token.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) {
    throw ConfigError("token file is empty", display_name(path));
  }
  const auto last = token.find_last_not_of(" \t\r\n");
  return token.substr(first, last - first + 1);
}

namespace {

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

std::string error_body(unsigned status, std::string_view what) {
  // The text may quote the client's bytes (a path, a header): invalid UTF-8 is replaced, as
  // dump() would otherwise throw and end the I/O thread.
  return nlohmann::json{{"error", what}, {"status", status}}.dump(
             -1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace) +
         "\n";
}

/// Bodies over this size share only three quarters of the memory budget.
constexpr std::size_t kLargeBody = 1024 * 1024;

/// Bytes of request bodies and replies the server holds, against ServerOptions::max_buffered.
/// Thread-safe.
class MemoryBudget {
public:
  explicit MemoryBudget(std::size_t limit) : m_limit(limit) {}
  /// Takes @p n bytes if the total stays within @p cap (at most the limit).
  bool try_take(std::size_t n, std::size_t cap) {
    cap = std::min(cap, m_limit);
    std::size_t used = m_used.load();
    do {
      if (n > cap || used > cap - n) {
        return false;
      }
    } while (!m_used.compare_exchange_weak(used, used + n));
    return true;
  }
  /// Takes @p n bytes whatever the total: for a reply that is already computed.
  void take(std::size_t n) { m_used.fetch_add(n); }
  void give(std::size_t n) { m_used.fetch_sub(n); }
  std::size_t limit() const { return m_limit; }
  std::size_t used() const { return m_used.load(); }

private:
  std::size_t m_limit;
  std::atomic<std::size_t> m_used{0};
};

/// Bytes taken from a MemoryBudget, given back when the lease is destroyed or reset.
class BudgetLease {
public:
  BudgetLease() = default;
  /// Holds @p n bytes already taken from @p budget.
  BudgetLease(MemoryBudget& budget, std::size_t n) : m_budget(&budget), m_bytes(n) {}
  BudgetLease(BudgetLease&& other) noexcept
      : m_budget(std::exchange(other.m_budget, nullptr)), m_bytes(std::exchange(other.m_bytes, 0)) {}
  BudgetLease& operator=(BudgetLease&& other) noexcept {
    if (this != &other) {
      release();
      m_budget = std::exchange(other.m_budget, nullptr);
      m_bytes = std::exchange(other.m_bytes, 0);
    }
    return *this;
  }
  BudgetLease(const BudgetLease&) = delete;
  BudgetLease& operator=(const BudgetLease&) = delete;
  ~BudgetLease() { release(); }

  /// Holds @p n more bytes, already taken from the same budget.
  void grow(std::size_t n) { m_bytes += n; }
  std::size_t bytes() const { return m_bytes; }

private:
  void release() {
    if (m_budget && m_bytes > 0) {
      m_budget->give(m_bytes);
    }
    m_budget = nullptr;
    m_bytes = 0;
  }

  MemoryBudget* m_budget = nullptr;
  std::size_t m_bytes = 0;
};

/// A response body of N zero bytes written from one static page: a probe reply of any size
/// holds no memory of its own (a client that never reads it costs only socket buffers).
struct ZeroBody {
  using value_type = std::size_t;

  static std::uint64_t size(value_type n) { return n; }

  class writer {
  public:
    using const_buffers_type = asio::const_buffer;

    template <bool isRequest, class Fields>
    writer(const http::header<isRequest, Fields>&, const value_type& n) : m_left(n) {}
    void init(beast::error_code& ec) { ec = {}; }
    boost::optional<std::pair<const_buffers_type, bool>> get(beast::error_code& ec) {
      ec = {};
      if (m_left == 0) {
        return boost::none;
      }
      static const std::array<char, 64 * 1024> zeros{};
      const std::size_t n = std::min(m_left, zeros.size());
      m_left -= n;
      return std::make_pair(asio::const_buffer(zeros.data(), n), m_left > 0);
    }

  private:
    std::size_t m_left;
  };
};

/// Fixed threads taking jobs from a queue; each job is told its worker index.
class WorkerPool {
public:
  using Job = std::function<void(unsigned worker)>;

  void start(unsigned threads) {
    for (unsigned i = 0; i < threads; ++i) {
      m_threads.emplace_back([this, i] { loop(i); });
    }
  }
  void post(Job job) {
    {
      const std::lock_guard lock(m_mutex);
      m_jobs.push_back(std::move(job));
    }
    m_cv.notify_one();
  }
  /// Finishes the queued jobs, then joins the threads.
  void stop() {
    {
      const std::lock_guard lock(m_mutex);
      m_stopping = true;
    }
    m_cv.notify_all();
    for (auto& t : m_threads) {
      t.join();
    }
    m_threads.clear();
  }
  ~WorkerPool() {
    if (!m_threads.empty()) {
      stop();
    }
  }

private:
  void loop(unsigned worker) {
    for (;;) {
      Job job;
      {
        std::unique_lock lock(m_mutex);
        m_cv.wait(lock, [this] { return m_stopping || !m_jobs.empty(); });
        if (m_jobs.empty()) {
          return;
        }
        job = std::move(m_jobs.front());
        m_jobs.pop_front();
      }
      job(worker);
    }
  }

  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::deque<Job> m_jobs;
  std::vector<std::thread> m_threads;
  bool m_stopping = false;
};

/// The text of a file a TLS option names; any failure is a ConfigError naming the file.
std::string read_tls_file(const std::string& path, const char* key) {
  try {
    return read_file(path);
  } catch (const Error& e) {
    throw ConfigError(e.detail(), display_name(path), key);
  }
}

/// OpenSSL's reason for @p ec, with the OpenSSL error queue cleared.
std::string tls_reason(const beast::error_code& ec) {
  ERR_clear_error();
  return ec.message();
}

/// The server's TLS context (TLS 1.2 or later), or null without TLS files.
std::unique_ptr<asio::ssl::context> make_server_tls(const ServerOptions& o) {
  if (o.tls_cert_file.empty() && o.tls_key_file.empty()) {
    return nullptr;
  }
  if (o.tls_cert_file.empty() || o.tls_key_file.empty()) {
    throw ConfigError("a TLS certificate and key go together",
                      {}, o.tls_cert_file.empty() ? "tls-cert" : "tls-key");
  }
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  // An encrypted key must fail, not prompt for a pass phrase on the terminal.
  ctx->set_password_callback(
      [](std::size_t, asio::ssl::context::password_purpose) { return std::string(); });
  const std::string cert = read_tls_file(o.tls_cert_file, "tls-cert");
  const std::string key = read_tls_file(o.tls_key_file, "tls-key");
  beast::error_code ec;
  ctx->use_certificate_chain(asio::buffer(cert), ec);
  if (ec) {
    throw ConfigError(fmt::format("not a PEM certificate: {}", tls_reason(ec)),
                      display_name(o.tls_cert_file), "tls-cert");
  }
  ctx->use_private_key(asio::buffer(key), asio::ssl::context::pem, ec);
  const auto code = static_cast<unsigned long>(ec.value());
  if (ec && ec.category() == asio::error::get_ssl_category() &&
      ERR_GET_LIB(code) == ERR_LIB_X509 && ERR_GET_REASON(code) == X509_R_KEY_VALUES_MISMATCH) {
    ERR_clear_error();
    throw ConfigError(fmt::format("the key does not match the certificate in {}",
                                  display_name(o.tls_cert_file)),
                      display_name(o.tls_key_file), "tls-key");
  }
  if (ec) {
    throw ConfigError(fmt::format("not an unencrypted PEM private key: {}", tls_reason(ec)),
                      display_name(o.tls_key_file), "tls-key");
  }
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    ERR_clear_error();
    throw ConfigError(fmt::format("the key does not match the certificate in {}",
                                  display_name(o.tls_cert_file)),
                      display_name(o.tls_key_file), "tls-key");
  }
  return ctx;
}

/// A connection's byte stream: plain TCP, or TLS over TCP. Beast's HTTP reads and writes go
/// through it either way; timeouts and the socket are those of the TCP layer.
class ServerStream {
public:
  using executor_type = beast::tcp_stream::executor_type;

  /// TLS over @p socket when @p tls is given, else plain.
  ServerStream(tcp::socket socket, asio::ssl::context* tls) {
    if (tls) {
      m_tls.emplace(std::move(socket), *tls);
    } else {
      m_plain.emplace(std::move(socket));
    }
  }

  executor_type get_executor() { return tcp_layer().get_executor(); }
  beast::tcp_stream& tcp_layer() { return m_tls ? m_tls->next_layer() : *m_plain; }
  tcp::socket& socket() { return tcp_layer().socket(); }
  void expires_after(std::chrono::milliseconds d) { tcp_layer().expires_after(d); }
  void expires_never() { tcp_layer().expires_never(); }
  /// True when the connection starts with a TLS handshake.
  bool tls() const { return m_tls.has_value(); }
  beast::ssl_stream<beast::tcp_stream>& ssl() { return *m_tls; }
  /// From now on, reads and writes bypass TLS (to answer a plain-HTTP client, then close).
  void speak_plain() { m_encrypted = false; }

  template <class MutableBufferSequence, class Handler>
  void async_read_some(const MutableBufferSequence& buffers, Handler&& handler) {
    if (m_tls && m_encrypted) {
      m_tls->async_read_some(buffers, std::forward<Handler>(handler));
    } else {
      tcp_layer().async_read_some(buffers, std::forward<Handler>(handler));
    }
  }
  template <class ConstBufferSequence, class Handler>
  void async_write_some(const ConstBufferSequence& buffers, Handler&& handler) {
    if (m_tls && m_encrypted) {
      m_tls->async_write_some(buffers, std::forward<Handler>(handler));
    } else {
      tcp_layer().async_write_some(buffers, std::forward<Handler>(handler));
    }
  }

private:
  std::optional<beast::tcp_stream> m_plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> m_tls;
  bool m_encrypted = true;
};

enum class Route { health, model, metrics, load, infer, probe };

struct RouteEntry {
  std::string_view path;
  http::verb method;
  Route route;
};

constexpr RouteEntry kRoutes[] = {
    {"/v1/health", http::verb::get, Route::health},
    {"/v1/model", http::verb::get, Route::model},
    {"/metrics", http::verb::get, Route::metrics},
    {"/v1/load", http::verb::get, Route::load},
    {"/v1/infer", http::verb::post, Route::infer},
    {"/v1/probe", http::verb::post, Route::probe},
};

} // namespace

class ServerSession;

namespace detail {
struct ServerCore {
  ServerCore(InferHandler& h, ServerOptions o)
      : handler(h), options(std::move(o)), budget(options.max_buffered) {
    if (options.threads == 0 || options.io_threads == 0) {
      throw ConfigError("threads must be at least 1", {}, "threads");
    }
    if (options.max_inflight == 0) {
      throw ConfigError("must be at least 1", {}, "max-inflight");
    }
    if (options.max_buffered < options.max_body) {
      throw ConfigError(fmt::format("must be at least the largest body ({} bytes), got {}",
                                    options.max_body, options.max_buffered),
                        {}, "max-buffered");
    }
    model = handler.model_info();
    if (model.is_object() && model.contains("sha256") && model["sha256"].is_string()) {
      model_sha256 = model["sha256"].get<std::string>();
    }
    if (!options.token.empty()) {
      token_digest = sha256_hex(options.token);
    }
    tls = make_server_tls(options);
  }

  ~ServerCore() {
    if (reserve_fd >= 0) {
      ::close(reserve_fd);
    }
  }

  void accept();
  /// Answers the load agent's connections (HAProxy agent-check) with one line each.
  void accept_agent();
  /// The agent's line: `ready N%`.
  std::string agent_line() const;
  /// Out of file descriptors: closes the connections that have waited longest for a request
  /// (or, with none, one not yet accepted, through the reserve descriptor), warns (at most
  /// every 10 s) and accepts again after a pause.
  void accept_later(const beast::error_code& ec);
  /// Closes up to @p n connections that have waited longest for their next request; returns
  /// how many it closes.
  std::size_t close_longest_waiting(std::size_t n);
  void begin_drain();
  void register_session(ServerSession* s, const std::shared_ptr<ServerSession>& p);
  void unregister_session(ServerSession* s);

  InferHandler& handler;
  ServerOptions options;
  MemoryBudget budget;
  nlohmann::json model;
  std::string model_sha256;
  std::string token_digest;
  /// Null without TLS.
  std::unique_ptr<asio::ssl::context> tls;

  asio::io_context ioc;
  // Accepting, draining and signals run on one strand, so that with several I/O threads the
  // acceptor is never touched by two at once.
  asio::strand<asio::io_context::executor_type> control{asio::make_strand(ioc)};
  tcp::acceptor acceptor{control};
  tcp::acceptor agent_acceptor{control};
  /// The pause before the agent accepts again after a failure.
  asio::steady_timer agent_timer{control};
  std::uint16_t agent_port = 0;
  /// The pause before accepting again when file descriptors ran out.
  asio::steady_timer accept_timer{control};
  /// A descriptor kept open to be given up when the process is at its limit, so that a
  /// waiting connection can be accepted and closed rather than left to time out.
  int reserve_fd = -1;
  Clock::time_point last_accept_warning{};
  std::size_t accept_failures = 0;
  std::optional<asio::signal_set> signals;
  ServerMetrics metrics;
  WorkerPool pool;
  std::atomic<std::size_t> inflight{0};
  /// Inference requests waiting for a worker (part of inflight).
  std::atomic<std::size_t> queued{0};
  /// Client connections open (sessions alive).
  std::atomic<std::size_t> connections{0};
  /// The connection cap in force: options.max_connections within the descriptor limit
  /// (set by start()); 0 = none.
  std::size_t max_connections = 0;
  std::atomic<bool> draining{false};
  std::uint16_t port = 0;

  std::mutex sessions_mutex;
  std::map<ServerSession*, std::weak_ptr<ServerSession>> sessions;
};
} // namespace detail

/// One client connection: reads requests, answers them in order, one at a time.
class ServerSession : public std::enable_shared_from_this<ServerSession> {
public:
  ServerSession(tcp::socket socket, detail::ServerCore& server)
      : m_stream(std::move(socket), server.tls.get()), m_server(server) {
    m_server.connections.fetch_add(1);
    m_server.metrics.add_connections(1);
    // Beast reads at most the buffer's free capacity (at least 512 bytes) per call, and the
    // parser drains body bytes at once: without room a 50 KB body takes a hundred reads,
    // each re-arming the read timer.
    m_buffer.reserve(64 * 1024);
  }
  ~ServerSession() {
    m_server.connections.fetch_sub(1);
    m_server.metrics.add_connections(-1);
    m_server.unregister_session(this);
  }

  void start() {
    m_waiting_since.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
    m_server.register_session(this, shared_from_this());
    asio::dispatch(m_stream.get_executor(), [self = shared_from_this()] {
      if (self->m_stream.tls()) {
        self->detect_tls();
      } else {
        self->read();
      }
    });
  }

  /// Marks the connection, waiting since @p since, as chosen to be closed, so that it is
  /// chosen once; false when it has started a request (or was chosen) meanwhile.
  bool claim_waiting(std::int64_t since) {
    return m_waiting_since.compare_exchange_strong(since, 0, std::memory_order_relaxed);
  }

  /// Answers the connection's first request 503 (with Retry-After), then closes it: it came
  /// over the connection cap. Call before start().
  void refuse_over_cap() { m_over_cap = true; }

  /// When the connection started to wait for its next request (or its TLS handshake), in
  /// steady-clock ticks; 0 while a request is being read or answered. Thread-safe.
  std::int64_t waiting_since() const { return m_waiting_since.load(std::memory_order_relaxed); }

  /// Closes the connection unless a request is being answered (called on drain, and on the
  /// connections that waited longest when descriptors run out).
  void close_if_idle() {
    asio::post(m_stream.get_executor(), [self = shared_from_this()] {
      if (!self->m_busy) {
        self->close();
      }
    });
  }

private:
  /// TLS: looks at the first bytes; a TLS hello gets the handshake, plain HTTP a 400. Both
  /// must complete within the handshake timeout.
  void detect_tls() {
    m_stream.expires_after(m_server.options.handshake_timeout);
    beast::async_detect_ssl(m_stream.tcp_layer(), m_buffer,
                            [self = shared_from_this()](beast::error_code ec, bool is_tls) {
                              self->on_detect_tls(ec, is_tls);
                            });
  }

  void on_detect_tls(beast::error_code ec, bool is_tls) {
    if (ec) {
      log::verbose("closing a connection that sent no TLS hello: {}", ec.message());
      close();
      return;
    }
    if (!is_tls) {
      m_stream.speak_plain();
      fail(400, "this server speaks HTTPS only: use an https:// URL and a CA certificate");
      return;
    }
    m_stream.ssl().async_handshake(
        asio::ssl::stream_base::server, m_buffer.data(),
        [self = shared_from_this()](beast::error_code e, std::size_t used) {
          if (e) {
            log::verbose("TLS handshake failed: {}", tls_reason(e));
            self->close();
            return;
          }
          self->m_buffer.consume(used);
          self->read();
        });
  }

  void read() {
    if (m_server.draining) {
      close();
      return;
    }
    m_waiting_since.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
    m_parser.emplace();
    m_parser->body_limit(m_server.options.max_body);
    m_parser->header_limit(16 * 1024);
    m_body_lease = BudgetLease();
    m_bytes_in = 0;
    m_stream.expires_after(m_server.options.read_timeout);
    http::async_read_header(m_stream, m_buffer, *m_parser,
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->on_header(ec, n);
                            });
  }

  /// True when @p ec ended the read in a way that deserves an answer (which it sent), or
  /// closed the connection; false for no error.
  bool read_failed(beast::error_code ec) {
    if (!ec) {
      return false;
    }
    if (ec == http::error::body_limit) {
      fail(413, fmt::format("request body is larger than the limit of {} bytes",
                            m_server.options.max_body));
    } else if (ec == http::error::header_limit) {
      fail(431, "request header is too large");
    } else if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
               ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
               ec == asio::error::eof || ec == asio::error::bad_descriptor) {
      close();
    } else if (ec.category() == make_error_code(http::error::bad_target).category()) {
      fail(400, fmt::format("malformed HTTP request: {}", ec.message()));
    } else {
      close();
    }
    return true;
  }

  /// The request's headers are in: everything that does not need the body is decided here,
  /// so that a refused request costs neither its upload nor memory for it.
  void on_header(beast::error_code ec, std::size_t bytes) {
    m_waiting_since.store(0, std::memory_order_relaxed);
    m_read_done = Clock::now();
    m_bytes_in += bytes;
    if (read_failed(ec)) {
      return;
    }
    const auto& req = m_parser->get();
    m_busy = true;
    m_keep_alive = req.keep_alive();
    // A body that will not be read leaves the connection's framing unknown: close after the
    // answer.
    const bool has_body = !m_parser->is_done();
    const auto refuse = [&](unsigned status, std::string what) {
      m_keep_alive = m_keep_alive && !has_body;
      send_error(status, std::move(what));
    };
    if (m_over_cap) {
      m_retry_after = true;
      m_keep_alive = false;
      return send_error(503, fmt::format("busy: {} connections are open, the limit is {}",
                                         m_server.connections.load(), m_server.max_connections));
    }
    if (const auto coding = unsupported_transfer_coding(req)) {
      // Without chunked last the body's length is unknown (RFC 9112 6.3): one answer, then close.
      return fail(501, fmt::format("transfer coding '{}' is not supported (only chunked)",
                                   *coding));
    }
    std::string_view target(req.target().data(), req.target().size());
    target = target.substr(0, target.find('?'));
    m_route.reset();
    bool path_known = false;
    for (const auto& r : kRoutes) {
      if (r.path == target) {
        path_known = true;
        if (r.method == req.method()) {
          m_route = r.route;
        }
      }
    }
    if (!path_known) {
      return refuse(404, fmt::format("no route {}", target));
    }
    if (!m_route) {
      for (const auto& r : kRoutes) {
        if (r.path == target) {
          const auto method = http::to_string(r.method);
          m_allow.assign(method.data(), method.size());
        }
      }
      return refuse(405, fmt::format("{} is not allowed on {}",
                                     std::string_view(req.method_string().data(),
                                                      req.method_string().size()),
                                     target));
    }
    if (*m_route != Route::health && !authorized(req)) {
      return refuse(401, "missing or wrong bearer token");
    }
    const auto length = m_parser->content_length();
    if (has_body && length) {
      if (!take_budget(*length, *length)) {
        m_retry_after = true;
        return refuse(503, fmt::format("busy: the server holds {} bytes of requests and "
                                       "replies, the limit is {}",
                                       m_server.budget.used(), m_server.budget.limit()));
      }
    } else {
      m_body_lease = BudgetLease(m_server.budget, 0);
    }
    if (has_body && req.version() >= 11 && expects_continue(req)) {
      return send_continue();
    }
    read_body();
  }

  /// Takes @p n more bytes of the memory budget for the body (of @p total bytes so far).
  bool take_budget(std::size_t n, std::size_t total) {
    const std::size_t limit = m_server.budget.limit();
    const std::size_t cap = total > kLargeBody ? limit / 4 * 3 : limit;
    if (!m_server.budget.try_take(n, cap)) {
      return false;
    }
    if (m_body_lease.bytes() == 0) {
      m_body_lease = BudgetLease(m_server.budget, n);
    } else {
      m_body_lease.grow(n);
    }
    return true;
  }

  /// The first transfer coding other than a lone "chunked", or nullopt.
  static std::optional<std::string> unsupported_transfer_coding(
      const http::request<http::string_body>& req) {
    std::vector<std::string> codings;
    const auto [first, last] = req.equal_range(http::field::transfer_encoding);
    for (auto field = first; field != last; ++field) {
      const std::string_view value(field->value().data(), field->value().size());
      std::size_t start = 0;
      while (start <= value.size()) {
        const std::size_t comma = std::min(value.find(',', start), value.size());
        std::string_view item = value.substr(start, comma - start);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) {
          item.remove_prefix(1);
        }
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) {
          item.remove_suffix(1);
        }
        if (!item.empty()) {
          codings.emplace_back(item);
        }
        start = comma + 1;
      }
    }
    if (codings.empty() && req.find(http::field::transfer_encoding) == req.end()) {
      return std::nullopt;
    }
    for (const std::string& c : codings) {
      if (!beast::iequals(beast::string_view(c.data(), c.size()), "chunked")) {
        return c;
      }
    }
    if (codings.size() != 1) {
      return codings.empty() ? std::string() : fmt::format("{}", fmt::join(codings, ", "));
    }
    return std::nullopt;
  }

  static bool expects_continue(const http::request<http::string_body>& req) {
    const auto it = req.find(http::field::expect);
    return it != req.end() &&
           beast::iequals(beast::string_view(it->value().data(), it->value().size()),
                          "100-continue");
  }

  /// Tells a client waiting with `Expect: 100-continue` to send its body.
  void send_continue() {
    m_continue.emplace(http::status::continue_, 11);
    m_stream.expires_after(m_server.options.write_timeout);
    http::async_write(m_stream, *m_continue,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        self->m_continue.reset();
                        if (ec) {
                          self->close();
                          return;
                        }
                        self->read_body();
                      });
  }

  void read_body() {
    if (m_parser->is_done()) {
      return on_read({}, 0);
    }
    m_stream.expires_after(m_server.options.read_timeout);
    if (const auto length = m_parser->content_length()) {
      return read_body_direct(*length);
    }
    // Chunked: the length is known only as it arrives; take the budget as the body grows.
    http::async_read_some(m_stream, m_buffer, *m_parser,
                          [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                            self->on_body_part(ec, n);
                          });
  }

  /// Reads a body of @p length bytes (within the budget and the body limit: on_header checked)
  /// straight into the request's string: the bytes the header's read took along, then the rest
  /// in reads as large as the socket offers. Beast's parser would read it 64 KiB at a time
  /// into the connection's buffer and copy it from there.
  void read_body_direct(std::uint64_t length) {
    if (length > m_server.options.max_body) {
      return fail(413, fmt::format("request body is larger than the limit of {} bytes",
                                   m_server.options.max_body));
    }
    std::string& body = m_parser->get().body();
    body.resize(static_cast<std::size_t>(length));
    const std::size_t have = std::min(m_buffer.size(), body.size());
    asio::buffer_copy(asio::buffer(body.data(), have), m_buffer.data());
    m_buffer.consume(have);
    m_bytes_in += have;
    if (have == body.size()) {
      return on_read({}, 0);
    }
    const std::size_t want = body.size() - have;
    asio::async_read(
        m_stream, asio::buffer(body.data() + have, want),
        // All of it, in reads of whatever is there (asio's transfer_all caps each at 64 KiB).
        [want](const beast::error_code& ec, std::size_t done) -> std::size_t {
          return ec ? 0 : want - done;
        },
        [self = shared_from_this()](beast::error_code ec, std::size_t n) { self->on_read(ec, n); });
  }

  void on_body_part(beast::error_code ec, std::size_t bytes) {
    m_bytes_in += bytes;
    if (read_failed(ec)) {
      return;
    }
    const std::size_t size = m_parser->get().body().size();
    if (size > m_body_lease.bytes() && !take_budget(size - m_body_lease.bytes(), size)) {
      m_retry_after = true;
      m_keep_alive = false;
      return send_error(503, fmt::format("busy: the server holds {} bytes of requests and "
                                         "replies, the limit is {}",
                                         m_server.budget.used(), m_server.budget.limit()));
    }
    if (m_parser->is_done()) {
      return on_read({}, 0);
    }
    http::async_read_some(m_stream, m_buffer, *m_parser,
                          [self = shared_from_this()](beast::error_code e, std::size_t n) {
                            self->on_body_part(e, n);
                          });
  }

  void on_read(beast::error_code ec, std::size_t bytes) {
    m_read_done = Clock::now();
    m_bytes_in += bytes;
    if (read_failed(ec)) {
      return;
    }
    handle(m_parser->release());
  }

  /// Runs the route on a request whose headers passed on_header() and whose body is in.
  void handle(http::request<http::string_body> req) {
    switch (*m_route) {
    case Route::health:
      // Unauthenticated: says nothing about the model or the load.
      return send(200, nlohmann::json{{"status", m_server.draining ? "draining" : "ok"},
                                      {"version", edgent::version()}}
                               .dump() + "\n",
                  "application/json");
    case Route::model:
      return send(200, m_server.model.dump() + "\n", "application/json");
    case Route::metrics:
      return send(200, m_server.metrics.render(), "text/plain; version=0.0.4");
    case Route::load:
      return send(200, load_json().dump() + "\n", "application/json");
    case Route::infer:
      return infer(std::move(req));
    case Route::probe:
      return probe(req);
    }
  }

  /// The answer of GET /v1/load.
  nlohmann::json load_json() const {
    const ServerLoad load = m_server.metrics.load();
    const auto cap = [](std::size_t n) { return n > 0 ? nlohmann::json(n) : nlohmann::json(); };
    const auto quantiles = [](const std::optional<RecentQuantiles>& q) {
      return q ? nlohmann::json{{"p50", q->p50}, {"p95", q->p95}, {"p99", q->p99}}
               : nlohmann::json();
    };
    return {{"queued", load.queued},
            {"inflight", load.inflight},
            {"connections", load.connections},
            {"workers", m_server.options.threads},
            {"max_inflight", m_server.options.max_inflight},
            {"max_queue", cap(m_server.options.max_queue)},
            {"max_connections", cap(m_server.max_connections)},
            {"recent", load.samples},
            {"queue_ms", quantiles(load.queue_ms)},
            {"service_ms", quantiles(load.service_ms)},
            {"draining", m_server.draining.load()}};
  }

  bool authorized(const http::request<http::string_body>& req) const {
    if (m_server.token_digest.empty()) {
      return true;
    }
    const auto it = req.find(http::field::authorization);
    if (it == req.end()) {
      return false;
    }
    // `Bearer <token>`; the scheme is case-insensitive (RFC 9110 11.1).
    std::string_view value(it->value().data(), it->value().size());
    constexpr std::string_view kBearer = "bearer";
    if (value.size() <= kBearer.size() ||
        !beast::iequals(beast::string_view(value.data(), kBearer.size()),
                        beast::string_view(kBearer.data(), kBearer.size())) ||
        value[kBearer.size()] != ' ') {
      return false;
    }
    value.remove_prefix(kBearer.size());
    while (!value.empty() && value.front() == ' ') {
      value.remove_prefix(1);
    }
    // Compare digests, so the time taken depends on neither the token's content nor its length.
    const std::string digest = sha256_hex(value);
    return CRYPTO_memcmp(digest.data(), m_server.token_digest.data(), digest.size()) == 0;
  }

  /// Bandwidth probe: the body is dropped and X-Edgent-Probe-Reply-Bytes bytes come back,
  /// streamed from one static page of zeros.
  void probe(const http::request<http::string_body>& req) {
    std::size_t reply = 0;
    const auto it = req.find("X-Edgent-Probe-Reply-Bytes");
    if (it != req.end()) {
      const std::string_view value(it->value().data(), it->value().size());
      const auto bytes = parse_unsigned(value, m_server.options.max_body);
      if (!bytes) {
        return send_error(400, fmt::format("X-Edgent-Probe-Reply-Bytes must be a number of "
                                           "bytes up to {}, got '{}'",
                                           m_server.options.max_body, value));
      }
      reply = static_cast<std::size_t>(*bytes);
    }
    m_body_lease = BudgetLease();
    auto res = std::make_shared<http::response<ZeroBody>>(http::status::ok, 11);
    res->set(http::field::server, "edgent");
    res->set(http::field::content_type, "application/octet-stream");
    set_timing_headers(*res);
    res->body() = reply;
    res->keep_alive(m_keep_alive && !m_server.draining);
    res->prepare_payload();
    m_status = 200;
    m_stream.expires_after(m_server.options.write_timeout);
    http::async_write(m_stream, *res,
                      [self = shared_from_this(), res](beast::error_code ec, std::size_t n) {
                        self->on_write(ec, n, res->keep_alive());
                      });
  }

  void infer(http::request<http::string_body> req) {
    const auto sha = req.find("X-Edgent-Model-Sha256");
    if (sha != req.end() && !m_server.model_sha256.empty() &&
        std::string_view(sha->value().data(), sha->value().size()) != m_server.model_sha256) {
      return send_error(409, fmt::format("the device's model ({}) is not the served model ({})",
                                         std::string_view(sha->value().data(), sha->value().size()),
                                         m_server.model_sha256));
    }
    if (m_server.options.max_queue > 0 &&
        m_server.queued.load() >= m_server.options.max_queue) {
      m_retry_after = true;
      return send_error(503, fmt::format("busy: {} requests wait for a worker",
                                         m_server.options.max_queue));
    }
    if (m_server.inflight.fetch_add(1) >= m_server.options.max_inflight) {
      m_server.inflight.fetch_sub(1);
      m_retry_after = true;
      return send_error(503, fmt::format("busy: {} requests in flight",
                                         m_server.options.max_inflight));
    }
    m_server.metrics.add_inflight(1);
    m_stream.expires_never();
    auto body = std::make_shared<std::string>(std::move(req.body()));
    // The body's share of the memory budget goes with it, back when the handler is done.
    auto lease = std::make_shared<BudgetLease>(std::move(m_body_lease));
    auto edgent_headers = std::make_shared<std::map<std::string, std::string>>();
    for (const auto& field : req) {
      std::string name(field.name_string().data(), field.name_string().size());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (name.rfind("x-edgent-", 0) == 0) {
        (*edgent_headers)[name] = std::string(field.value().data(), field.value().size());
      }
    }
    m_server.queued.fetch_add(1);
    m_server.metrics.add_queued(1);
    const auto queued = Clock::now();
    m_server.pool.post([self = shared_from_this(), body, lease, edgent_headers, queued,
                        guard = asio::make_work_guard(m_server.ioc)](unsigned worker) mutable {
      const auto started = Clock::now();
      self->m_server.queued.fetch_sub(1);
      self->m_server.metrics.add_queued(-1);
      RequestInfo info{worker, ms_between(queued, started), std::move(*edgent_headers)};
      unsigned status = 200;
      InferReply reply;
      try {
        reply = self->m_server.handler.infer(*body, info);
      } catch (const std::exception& e) {
        status = http_status_for(e);
        const auto* err = dynamic_cast<const Error*>(&e);
        reply = InferReply{error_body(status, err ? err->message() : e.what()), "application/json",
                           {}};
      } catch (...) {
        status = 500;
        reply = InferReply{error_body(status, "unknown failure"), "application/json", {}};
      }
      body.reset();
      lease.reset();
      const double compute_ms = ms_between(started, Clock::now());
      self->m_server.metrics.record_timing(info.queue_ms, compute_ms);
      self->m_server.inflight.fetch_sub(1);
      self->m_server.metrics.add_inflight(-1);
      // The reply is computed: it counts against the budget until it is written.
      self->m_server.budget.take(reply.body.size());
      BudgetLease held(self->m_server.budget, reply.body.size());
      reply.headers.emplace_back("X-Edgent-Queue-Ms", fmt::format("{:.3f}", info.queue_ms));
      reply.headers.emplace_back("X-Edgent-Compute-Ms", fmt::format("{:.3f}", compute_ms));
      reply.headers.emplace_back("X-Edgent-Service-Ms", fmt::format("{:.3f}", compute_ms));
      if (!self->m_stream.tls()) {
        // The connection does nothing else while its request is served (no read is pending,
        // its timer is off, and close_if_idle skips it while m_busy): the worker writes the
        // answer itself, so the client has it without waiting for the I/O thread to wake. Any
        // close that could still come (a future path, a stop) waits on m_fd_mutex.
        self->m_reply_lease = std::move(held);
        self->prepare_response(status, std::move(reply.body), reply.content_type, reply.headers);
        return self->write_now();
      }
      asio::post(self->m_stream.get_executor(),
                 [self, status, reply = std::move(reply), held = std::move(held)]() mutable {
                   self->m_reply_lease = std::move(held);
                   self->send(status, std::move(reply.body), reply.content_type, reply.headers);
                 });
    });
  }

  /// From a worker, on a plain connection whose request is being served: writes the prepared
  /// response with non-blocking sends as far as the socket takes it, then hands the connection
  /// back to its I/O strand, which writes the rest (if any) under the write timeout and goes on
  /// as after any answer.
  void write_now() {
    m_serializer.emplace(*m_response);
    std::size_t written = 0;
    beast::error_code ec;
    std::unique_lock lock(m_fd_mutex);
    const int fd = m_stream.socket().is_open() ? m_stream.socket().native_handle() : -1;
    if (fd < 0) {
      ec = asio::error::bad_descriptor;
    }
    while (!ec && !m_serializer->is_done()) {
      std::array<iovec, 16> iov{};
      std::size_t count = 0;
      m_serializer->next(ec, [&](beast::error_code&, const auto& buffers) {
        for (const auto b : beast::buffers_range_ref(buffers)) {
          if (count == iov.size()) {
            break;
          }
          iov[count++] = iovec{const_cast<void*>(b.data()), b.size()};
        }
      });
      if (ec || count == 0) {
        break;
      }
      msghdr msg{};
      msg.msg_iov = iov.data();
      msg.msg_iovlen = count;
      const ssize_t n = ::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          ec = beast::error_code(errno, beast::system_category());
        }
        break;
      }
      m_serializer->consume(static_cast<std::size_t>(n));
      written += static_cast<std::size_t>(n);
    }
    lock.unlock();
    asio::post(m_stream.get_executor(), [self = shared_from_this(), written, ec] {
      const bool keep = self->m_response->keep_alive();
      if (ec || self->m_serializer->is_done()) {
        self->m_serializer.reset();
        return self->on_write(ec, written, keep);
      }
      self->m_stream.expires_after(self->m_server.options.write_timeout);
      http::async_write(self->m_stream, *self->m_serializer,
                        [self, written](beast::error_code e, std::size_t n) {
                          self->m_serializer.reset();
                          self->on_write(e, written + n, self->m_response->keep_alive());
                        });
    });
  }

  void send_error(unsigned status, std::string what) {
    send(status, error_body(status, what), "application/json");
  }

  /// Answers a request that could not be read; the connection is closed afterwards.
  void fail(unsigned status, std::string what) {
    m_busy = true;
    m_keep_alive = false;
    m_read_done = Clock::now();
    send_error(status, std::move(what));
  }

  void send(unsigned status, std::string body, std::string_view content_type,
            const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    prepare_response(status, std::move(body), content_type, headers);
    m_stream.expires_after(m_server.options.write_timeout);
    http::async_write(m_stream, *m_response,
                      [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                        self->on_write(ec, n, self->m_response->keep_alive());
                      });
  }

  /// The answer in m_response: status, body and headers (@p headers last, and winning).
  void prepare_response(unsigned status, std::string body, std::string_view content_type,
                        const std::vector<std::pair<std::string, std::string>>& headers) {
    // The request's body is done with: its budget goes back before the answer is written.
    m_body_lease = BudgetLease();
    m_response.emplace(static_cast<http::status>(status), 11);
    auto& res = *m_response;
    res.set(http::field::server, "edgent");
    res.set(http::field::content_type,
            beast::string_view(content_type.data(), content_type.size()));
    if (!m_allow.empty()) {
      res.set(http::field::allow, m_allow);
      m_allow.clear();
    }
    if (m_retry_after) {
      res.set(http::field::retry_after, "1");
      m_retry_after = false;
    }
    if (status == 401) {
      res.set(http::field::www_authenticate, "Bearer");
    }
    // Every answer states its wait for a worker and its time being served; a route that needs
    // no worker waited for none. An inference's own figures come in @p headers and win.
    set_timing_headers(res);
    for (const auto& [name, value] : headers) {
      res.set(name, value);
    }
    res.body() = std::move(body);
    res.keep_alive(m_keep_alive && !m_server.draining);
    res.prepare_payload();
    m_status = status;
  }

  /// X-Edgent-Queue-Ms 0 and X-Edgent-Service-Ms the time since the request was read.
  template <class Response>
  void set_timing_headers(Response& res) const {
    res.set("X-Edgent-Queue-Ms", "0.000");
    res.set("X-Edgent-Service-Ms", fmt::format("{:.3f}", ms_between(m_read_done, Clock::now())));
  }

  void on_write(beast::error_code ec, std::size_t bytes, bool keep) {
    m_server.metrics.record(m_status, std::chrono::duration<double>(Clock::now() - m_read_done).count(),
                            m_bytes_in, bytes);
    m_response.reset();
    m_reply_lease = BudgetLease();
    m_busy = false;
    if (ec) {
      close();
      return;
    }
    if (!m_keep_alive) {
      linger();
      return;
    }
    if (!keep) {
      close();
      return;
    }
    read();
  }

  /// After an error that ends the connection: stop sending, then read and drop what the
  /// client still sends (briefly), so it sees our answer rather than a reset.
  void linger() {
    beast::error_code ec;
    m_stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    m_stream.expires_after(std::min<std::chrono::milliseconds>(m_server.options.read_timeout,
                                                               std::chrono::seconds(2)));
    m_discard.resize(64 * 1024);
    linger_more();
  }
  void linger_more() {
    m_stream.async_read_some(asio::buffer(m_discard),
                             [self = shared_from_this()](beast::error_code e, std::size_t) {
                               if (e) {
                                 self->close();
                               } else {
                                 self->linger_more();
                               }
                             });
  }

  /// Every close of the socket comes here, and holds m_fd_mutex: a worker writing its reply
  /// (write_now) then never sends on a descriptor closed, and perhaps reused, under it.
  void close() {
    const std::lock_guard lock(m_fd_mutex);
    beast::error_code ec;
    m_stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    m_stream.socket().close(ec);
  }

  ServerStream m_stream;
  detail::ServerCore& m_server;
  beast::flat_buffer m_buffer;
  std::optional<http::request_parser<http::string_body>> m_parser;
  std::optional<http::response<http::string_body>> m_response;
  /// Writing m_response from a worker (write_now), and its rest from the strand.
  std::optional<http::response_serializer<http::string_body>> m_serializer;
  /// Held by close() and by a worker's write_now(): the socket is never closed mid-send.
  std::mutex m_fd_mutex;
  std::optional<http::response<http::empty_body>> m_continue;
  /// The route of the request being read (set once its headers pass).
  std::optional<Route> m_route;
  /// The memory budget held by the request's body, and by the reply being written.
  BudgetLease m_body_lease;
  BudgetLease m_reply_lease;
  std::vector<char> m_discard;
  std::string m_allow;
  Clock::time_point m_read_done = Clock::now();
  std::size_t m_bytes_in = 0;
  unsigned m_status = 0;
  bool m_keep_alive = true;
  bool m_retry_after = false;
  bool m_busy = false;
  bool m_over_cap = false;
  std::atomic<std::int64_t> m_waiting_since{0};
};

void detail::ServerCore::register_session(ServerSession* s, const std::shared_ptr<ServerSession>& p) {
  const std::lock_guard lock(sessions_mutex);
  sessions[s] = p;
}

void detail::ServerCore::unregister_session(ServerSession* s) {
  const std::lock_guard lock(sessions_mutex);
  sessions.erase(s);
}

namespace {

/// Whether @p ec says the process or the system has run out of descriptors (or socket memory).
bool out_of_descriptors(const beast::error_code& ec) {
  if (ec.category() != boost::system::system_category()) {
    return false;
  }
  const int e = ec.value();
  return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

constexpr auto kAcceptPause = std::chrono::milliseconds(100);
/// With connections closed to make room, the pause before accepting again is short.
constexpr auto kAcceptRetry = std::chrono::milliseconds(10);
/// Connections closed each time descriptors run out.
constexpr std::size_t kCloseWhenFull = 8;
constexpr auto kAcceptWarningEvery = std::chrono::seconds(10);
/// Descriptors kept free of connections besides those open when the server starts (the
/// reserve, TLS and log files, a model a handler loads late).
constexpr std::size_t kSpareDescriptors = 32;

/// Descriptors this process has open, or 0 when /proc cannot tell.
std::size_t open_descriptors() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) {
    return 0;
  }
  std::size_t n = 0;
  while (::readdir(dir)) {
    ++n;
  }
  ::closedir(dir);
  return n > 3 ? n - 3 : 0; // ".", ".." and the directory's own descriptor
}

/// @p wanted, lowered so that the connections leave descriptors for everything else.
std::size_t connection_cap(std::size_t wanted) {
  rlimit lim{};
  if (wanted == 0 || ::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) {
    return wanted;
  }
  const std::size_t used = open_descriptors() + kSpareDescriptors;
  const auto limit = static_cast<std::size_t>(lim.rlim_cur);
  const std::size_t room = limit > used ? limit - used : 1;
  if (room < wanted) {
    log::info("at most {} connections (max-connections {}): the descriptor limit is {}", room,
              wanted, limit);
    return room;
  }
  return wanted;
}

} // namespace

void detail::ServerCore::accept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) {
      return;
    }
    if (out_of_descriptors(ec)) {
      accept_later(ec);
      return;
    }
    if (ec) {
      // A connection reset while waiting, and the like: only that connection is lost.
      log::verbose("accept failed: {}", ec.message());
    } else if (draining) {
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      // At the cap the connection idle longest makes room (held-open idle sockets never lock
      // out a client with a request); with none idle, the new connection is told to retry.
      const bool over_cap = max_connections > 0 && connections.load() >= max_connections &&
                            close_longest_waiting(1) == 0;
      // Replies go out as soon as they are written, not held back for the ACK of the one
      // before (Nagle's algorithm against the client's delayed ACK).
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto session = std::make_shared<ServerSession>(std::move(socket), *this);
      if (over_cap) {
        session->refuse_over_cap();
      }
      session->start();
    }
    accept();
  });
}

std::string detail::ServerCore::agent_line() const {
  // The share of its weight an edge keeps: all of it while every request finds a worker,
  // half with as many waiting as there are workers.
  const double workers = options.threads;
  const double waiting = static_cast<double>(queued.load());
  const int percent = std::max(1, static_cast<int>(100.0 * workers / (workers + waiting)));
  return fmt::format("ready {}%\n", percent);
}

void detail::ServerCore::accept_agent() {
  agent_acceptor.async_accept(
      asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !agent_acceptor.is_open()) {
          return;
        }
        if (ec) {
          // Out of descriptors, and the like: the HTTP acceptor makes room; the next check
          // finds the agent again.
          log::verbose("load agent: {}", ec.message());
          agent_timer.expires_after(kAcceptPause);
          agent_timer.async_wait([this](beast::error_code e) {
            if (!e && agent_acceptor.is_open()) {
              accept_agent();
            }
          });
          return;
        }
        {
          auto peer = std::make_shared<tcp::socket>(std::move(socket));
          auto line = std::make_shared<std::string>(agent_line());
          asio::async_write(*peer, asio::buffer(*line),
                            [peer, line](beast::error_code, std::size_t) {
                              beast::error_code ignored;
                              peer->shutdown(tcp::socket::shutdown_both, ignored);
                              peer->close(ignored);
                            });
        }
        accept_agent();
      });
}

void detail::ServerCore::accept_later(const beast::error_code& ec) {
  // Accepting again at once would fail again at once: a busy loop of failures and warnings.
  // Idle connections hold the descriptors new clients need (nginx drains its keep-alive
  // connections the same way): close those that have waited longest for a request, and accept
  // again shortly. With none idle, give up the reserve descriptor to accept and close one
  // connection not yet accepted, so its client learns at once instead of after a timeout, and
  // pause longer.
  const std::size_t closed = close_longest_waiting(kCloseWhenFull);
  if (closed == 0 && reserve_fd >= 0) {
    ::close(reserve_fd);
    reserve_fd = -1;
    const int fd = ::accept4(acceptor.native_handle(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd >= 0) {
      ::close(fd);
    }
    reserve_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  }
  ++accept_failures;
  const auto now = Clock::now();
  if (last_accept_warning == Clock::time_point{} || now - last_accept_warning >= kAcceptWarningEvery) {
    log::warn("cannot accept connections: {} ({} time(s) since the last warning); closing the "
              "connections idle longest to make room; raise the descriptor limit (ulimit -n) or "
              "lower the load",
              ec.message(), accept_failures);
    last_accept_warning = now;
    accept_failures = 0;
  }
  accept_timer.expires_after(closed > 0 ? kAcceptRetry : kAcceptPause);
  accept_timer.async_wait([this](beast::error_code e) {
    if (!e && acceptor.is_open()) {
      accept();
    }
  });
}

std::size_t detail::ServerCore::close_longest_waiting(std::size_t n) {
  std::vector<std::pair<std::int64_t, std::shared_ptr<ServerSession>>> waiting;
  {
    const std::lock_guard lock(sessions_mutex);
    for (auto& [ptr, weak] : sessions) {
      if (auto s = weak.lock()) {
        if (const std::int64_t since = s->waiting_since(); since > 0) {
          waiting.emplace_back(since, std::move(s));
        }
      }
    }
  }
  std::sort(waiting.begin(), waiting.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::size_t closed = 0;
  for (std::size_t i = 0; i < waiting.size() && closed < n; ++i) {
    if (waiting[i].second->claim_waiting(waiting[i].first)) {
      waiting[i].second->close_if_idle();
      ++closed;
    }
  }
  return closed;
}

void detail::ServerCore::begin_drain() {
  if (draining.exchange(true)) {
    return;
  }
  log::info("draining: no new connections, finishing {} request(s) in flight", inflight.load());
  beast::error_code ec;
  acceptor.close(ec);
  agent_acceptor.close(ec);
  agent_timer.cancel();
  accept_timer.cancel();
  if (signals) {
    signals->cancel(ec);
  }
  std::vector<std::shared_ptr<ServerSession>> live;
  {
    const std::lock_guard lock(sessions_mutex);
    for (auto& [ptr, weak] : sessions) {
      if (auto s = weak.lock()) {
        live.push_back(std::move(s));
      }
    }
  }
  for (auto& s : live) {
    s->close_if_idle();
  }
}

HttpServer::HttpServer(InferHandler& handler, ServerOptions options)
    : m_impl(std::make_unique<detail::ServerCore>(handler, std::move(options))) {}

HttpServer::~HttpServer() = default;

void HttpServer::start() {
  auto& impl = *m_impl;
  beast::error_code ec;
  const auto address = asio::ip::make_address(impl.options.bind, ec);
  if (ec) {
    throw ConfigError(fmt::format("not an IP address: '{}'", impl.options.bind), {}, "bind");
  }
  const tcp::endpoint endpoint(address, impl.options.port);
  const std::string where = fmt::format("{}:{}", impl.options.bind, impl.options.port);
  impl.acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    impl.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    impl.acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    impl.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    throw NetError(fmt::format("cannot listen on {}: {}", where, ec.message()));
  }
  impl.port = impl.acceptor.local_endpoint().port();
  impl.max_connections = connection_cap(impl.options.max_connections);
  // Accepts never block the I/O thread, also the one made with the reserve descriptor.
  impl.acceptor.non_blocking(true, ec);
  impl.reserve_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (impl.options.handle_signals) {
    impl.signals.emplace(impl.ioc, SIGINT, SIGTERM);
    impl.signals->async_wait(asio::bind_executor(impl.control, [&impl](beast::error_code e, int) {
      if (!e) {
        impl.begin_drain();
      }
    }));
  }
  impl.accept();
  if (impl.options.agent_port >= 0) {
    const tcp::endpoint agent_endpoint(address,
                                       static_cast<std::uint16_t>(impl.options.agent_port));
    impl.agent_acceptor.open(agent_endpoint.protocol(), ec);
    if (!ec) {
      impl.agent_acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
      impl.agent_acceptor.bind(agent_endpoint, ec);
    }
    if (!ec) {
      impl.agent_acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      throw NetError(fmt::format("cannot listen on {}:{} for the load agent: {}",
                                 impl.options.bind, impl.options.agent_port, ec.message()));
    }
    impl.agent_port = impl.agent_acceptor.local_endpoint().port();
    impl.accept_agent();
  }
  const std::string addr = address.is_v6() ? fmt::format("[{}]", impl.options.bind)
                                           : impl.options.bind;
  if (!impl.options.port_file.empty()) {
    write_file_atomic(impl.options.port_file, fmt::format("{}\n", impl.port));
  }
  log::info("listening on {}:{}", addr, impl.port);
}

std::uint16_t HttpServer::port() const { return m_impl->port; }

std::uint16_t HttpServer::agent_port() const { return m_impl->agent_port; }

void HttpServer::run() {
  auto& impl = *m_impl;
  impl.pool.start(impl.options.threads);
  std::vector<std::thread> io;
  for (unsigned i = 1; i < impl.options.io_threads; ++i) {
    io.emplace_back([&impl] { impl.ioc.run(); });
  }
  impl.ioc.run();
  for (auto& t : io) {
    t.join();
  }
  impl.pool.stop();
  log::info("drained, stopped");
}

void HttpServer::stop() {
  asio::post(m_impl->control, [impl = m_impl.get()] { impl->begin_drain(); });
}

std::string HttpServer::metrics_text() const { return m_impl->metrics.render(); }

} // namespace edgent::net
