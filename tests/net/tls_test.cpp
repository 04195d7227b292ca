// HTTPS between HttpClient and HttpServer over real loopback sockets, with certificates made at
// run time: verification by CA and by host/IP, TLS 1.2 minimum, plain clients and stalled
// handshakes that must not disturb other clients, and the bearer token over TLS.
#include "net/http_server.hpp"

#include "core/error.hpp"
#include "net/http_client.hpp"
#include "support/raw_socket.hpp"
#include "support/test_pki.hpp"
#include "support/scripted_server.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/ssl.h>

#include <optional>
#include <thread>

namespace edgent::net {
namespace {

using namespace std::chrono_literals;
using testing::RawSocket;
using testing::RunningServer;
using testing::ScriptedHandler;
using testing::TestPki;
using testing::expect_good_request;

ServerOptions tls_server(const TestPki& pki, const std::string& cert = "server.pem",
                         const std::string& key = "server.key") {
  ServerOptions o;
  o.tls_cert_file = pki.path(cert);
  o.tls_key_file = pki.path(key);
  return o;
}

ClientOptions tls_client(const RunningServer& server, const std::string& ca) {
  ClientOptions o = server.client_options();
  o.tls = true;
  o.ca_file = ca;
  return o;
}

TEST(Tls, ClientWithTheCaTalksHttpsWithKeepAlive) {
  TestPki pki;
  ScriptedHandler handler;
  RunningServer server(handler, tls_server(pki));
  HttpClient client(tls_client(server, pki.path("ca.pem")));
  const auto health = client.get("/v1/health");
  ASSERT_TRUE(health.ok()) << health.error;
  EXPECT_FALSE(health.reused);
  EXPECT_GT(health.connect_ms, 0.0);
  expect_good_request(client);
  const auto again = client.post("/v1/infer", std::string(300000, 'x'));
  ASSERT_TRUE(again.ok()) << again.error;
  EXPECT_EQ(again.body, "300000");
  EXPECT_TRUE(again.reused) << "the TLS connection is kept alive";
  EXPECT_GT(again.bytes_up, 300000u) << "bytes on the wire, TLS records included";

  auto by_name = tls_client(server, pki.path("ca.pem"));
  by_name.host = "localhost";
  HttpClient named(by_name);
  const auto r = named.get("/v1/model");
  EXPECT_TRUE(r.ok() || r.outcome == Outcome::unreachable) << r.error;  // localhost may be ::1 only
}

TEST(Tls, AConnectionTheServerClosedWhileIdleIsReopened) {
  TestPki pki;
  ScriptedHandler handler;
  auto options = tls_server(pki);
  options.read_timeout = 150ms;
  RunningServer server(handler, options);
  HttpClient client(tls_client(server, pki.path("ca.pem")));
  expect_good_request(client);
  std::this_thread::sleep_for(400ms);  // the server closes the idle connection
  const auto r = client.post("/v1/infer", "echo:after idle");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_FALSE(r.reused) << "retried once on a new connection";
  EXPECT_EQ(r.body, "after idle");
}

TEST(Tls, WrongCaOrWrongHostFailsVerificationAndOthersAreServed) {
  TestPki pki;
  ScriptedHandler handler;
  RunningServer server(handler, tls_server(pki));
  HttpClient stranger(tls_client(server, pki.path("other_ca.pem")));
  const auto r = stranger.get("/v1/health");
  EXPECT_EQ(r.outcome, Outcome::tls);
  EXPECT_NE(r.error.find("certificate not verified"), std::string::npos) << r.error;
  EXPECT_EQ(to_string(r.outcome), "tls");
  HttpClient good(tls_client(server, pki.path("ca.pem")));
  expect_good_request(good);

  // A certificate the right CA signed, but for another address.
  RunningServer misnamed(handler, tls_server(pki, "elsewhere.pem", "elsewhere.key"));
  HttpClient wrong_host(tls_client(misnamed, pki.path("ca.pem")));
  const auto m = wrong_host.get("/v1/health");
  EXPECT_EQ(m.outcome, Outcome::tls);
  EXPECT_NE(m.error.find("IP address mismatch"), std::string::npos) << m.error;
  EXPECT_EQ(handler.calls.load(), 1);
}

TEST(Tls, Tls11OnlyClientIsRejected) {
  TestPki pki;
  ScriptedHandler handler;
  RunningServer server(handler, tls_server(pki));
  namespace asio = boost::asio;
  asio::io_context ioc;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  // Able to speak TLS 1.0/1.1 (security level 0 lets OpenSSL 3 offer them), nothing newer.
  SSL_CTX_set_security_level(ctx.native_handle(), 0);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(ctx.native_handle(), TLS1_1_VERSION);
  ctx.set_verify_mode(asio::ssl::verify_none);
  asio::ssl::stream<asio::ip::tcp::socket> old(ioc, ctx);
  old.next_layer().connect({asio::ip::make_address("127.0.0.1"), server.port()});
  boost::system::error_code ec;
  old.handshake(asio::ssl::stream_base::client, ec);
  ASSERT_TRUE(ec) << "a TLS 1.1 handshake must fail";
  EXPECT_NE(ec.message().find("protocol version"), std::string::npos)
      << "the server refuses the version: " << ec.message();
  HttpClient good(tls_client(server, pki.path("ca.pem")));
  expect_good_request(good);
}

TEST(Tls, PlainClientsAndStalledHandshakesDoNotDisturbOthers) {
  TestPki pki;
  ScriptedHandler handler;
  auto options = tls_server(pki);
  options.handshake_timeout = 300ms;
  RunningServer server(handler, options);
  RawSocket silent(server.port());  // connects, never says anything
  HttpClient good(tls_client(server, pki.path("ca.pem")));
  expect_good_request(good);

  HttpClient plain(server.client_options());
  const auto r = plain.post("/v1/infer", "echo:x");
  EXPECT_EQ(r.status, 400u) << r.error;
  EXPECT_NE(r.body.find("HTTPS"), std::string::npos) << r.body;
  EXPECT_EQ(handler.calls.load(), 1) << "the plain request never reached the handler";

  std::string got;
  EXPECT_TRUE(silent.read_until_closed(got, 3s)) << "the handshake timeout closes it";
  EXPECT_TRUE(got.empty());
  RawSocket garbage(server.port());
  // A TLS record holding a ClientHello that is cut short and followed by junk.
  garbage.send(std::string{'\x16', '\x03', '\x01', '\x00', '\x08', '\x01', '\x00', '\x00', '\x04'} +
               "garbage!");
  EXPECT_TRUE(garbage.read_until_closed(got, 3s)) << "a broken handshake closes its connection";
  expect_good_request(good);
  EXPECT_TRUE(good.post("/v1/infer", "echo:again").reused);
}

TEST(Tls, TokenOverTlsAndNothingAboutTheModelWithoutIt) {
  TestPki pki;
  ScriptedHandler handler;
  auto options = tls_server(pki);
  options.token = "tls-and-token";
  RunningServer server(handler, options);
  HttpClient anonymous(tls_client(server, pki.path("ca.pem")));
  const auto health = anonymous.get("/v1/health");
  ASSERT_TRUE(health.ok()) << health.error;
  const auto h = nlohmann::json::parse(health.body);
  EXPECT_EQ(h.at("status"), "ok");
  EXPECT_TRUE(h.at("version").is_string());
  EXPECT_EQ(h.size(), 2u) << "health says only status and version: " << health.body;
  for (const char* target : {"/v1/model", "/metrics"}) {
    const auto r = anonymous.get(target);
    EXPECT_EQ(r.status, 401u) << target;
    EXPECT_EQ(r.body.find("aaaa"), std::string::npos) << "no sha256: " << r.body;
    EXPECT_EQ(r.body.find("units"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("edgent_"), std::string::npos) << "no metrics: " << r.body;
    const auto j = nlohmann::json::parse(r.body);
    EXPECT_EQ(j.size(), 2u) << r.body;
    EXPECT_EQ(j.at("status"), 401);
  }
  auto wrong_options = tls_client(server, pki.path("ca.pem"));
  wrong_options.token = "tls-and-tokem";
  HttpClient wrong(wrong_options);
  EXPECT_EQ(wrong.post("/v1/infer", "echo:x").status, 401u);
  EXPECT_EQ(handler.calls.load(), 0);

  auto right_options = tls_client(server, pki.path("ca.pem"));
  right_options.token = "tls-and-token";
  HttpClient right(right_options);
  expect_good_request(right);
  const auto model = right.get("/v1/model");
  ASSERT_TRUE(model.ok()) << model.error;
  EXPECT_EQ(nlohmann::json::parse(model.body).at("sha256"), std::string(64, 'a'));
}

/// The ConfigError making a server with @p options throws.
std::optional<ConfigError> server_error(const ServerOptions& options) {
  ScriptedHandler handler;
  try {
    HttpServer server(handler, options);
  } catch (const ConfigError& e) {
    return e;
  }
  return std::nullopt;
}

TEST(Tls, BadCertificateOrKeyFilesAreConfigErrorsNamingTheFile) {
  TestPki pki;
  const std::string junk = pki.write("junk.pem", "not a certificate\n");
  const std::string missing = pki.path("missing.pem");
  struct Case {
    std::string cert, key, file;
  };
  const Case cases[] = {
      {missing, pki.path("server.key"), missing},
      {pki.path("server.pem"), missing, missing},
      {junk, pki.path("server.key"), junk},
      {pki.path("server.pem"), junk, junk},
      {pki.path("server.pem"), pki.path("elsewhere.key"), pki.path("elsewhere.key")},
      {pki.path("server.key"), pki.path("server.key"), pki.path("server.key")},
  };
  for (const auto& c : cases) {
    ServerOptions o;
    o.tls_cert_file = c.cert;
    o.tls_key_file = c.key;
    const auto e = server_error(o);
    ASSERT_TRUE(e) << c.cert << " " << c.key;
    EXPECT_EQ(e->file(), c.file) << e->message();
    EXPECT_EQ(e->exit_code(), ExitCode::usage);
  }
  ServerOptions half;
  half.tls_cert_file = pki.path("server.pem");
  EXPECT_TRUE(server_error(half));

  ClientOptions client;
  client.tls = true;
  client.ca_file = junk;
  EXPECT_THROW(HttpClient{client}, ConfigError);
  client.ca_file = missing;
  try {
    HttpClient c(client);
    FAIL() << "a missing CA file is an error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.file(), missing);
  }
}

} // namespace
} // namespace edgent::net
