#include "net/http_client.hpp"

#include "support/scripted_server.hpp"

#include <gtest/gtest.h>

#include <optional>

namespace edgent::net {
namespace {

using namespace std::chrono_literals;
using testing::RunningServer;
using testing::ScriptedHandler;

/// A loopback port nothing listens on (a server's, after it stopped).
std::uint16_t closed_port() {
  ScriptedHandler handler;
  std::optional<RunningServer> server;
  server.emplace(handler, ServerOptions{});
  const auto port = server->port();
  server.reset();
  return port;
}

TEST(HttpClient, UnreachableServerBacksOffExponentially) {
  ClientOptions options;
  options.port = closed_port();
  options.backoff_initial = 50ms;
  options.backoff_max = 200ms;
  HttpClient client(options);
  const auto first = client.get("/v1/health");
  EXPECT_EQ(first.outcome, Outcome::unreachable);
  EXPECT_NE(first.error.find("cannot connect"), std::string::npos) << first.error;
  EXPECT_EQ(client.backoff(), 50ms);
  const auto at_once = client.get("/v1/health");
  EXPECT_EQ(at_once.outcome, Outcome::unreachable);
  EXPECT_NE(at_once.error.find("backing off"), std::string::npos) << at_once.error;
  EXPECT_EQ(client.backoff(), 50ms) << "no attempt was made while backing off";
  std::this_thread::sleep_for(60ms);
  EXPECT_EQ(client.get("/v1/health").outcome, Outcome::unreachable);
  EXPECT_EQ(client.backoff(), 100ms);
  std::this_thread::sleep_for(110ms);
  client.get("/v1/health");
  EXPECT_EQ(client.backoff(), 200ms);
  std::this_thread::sleep_for(210ms);
  client.get("/v1/health");
  EXPECT_EQ(client.backoff(), 200ms) << "capped at backoff_max";
}

TEST(HttpClient, BackoffResetsOnceTheServerIsBack) {
  ScriptedHandler handler;
  RunningServer server(handler, {});
  auto options = server.client_options();
  options.host = "localhost"; // resolved by name
  options.backoff_initial = 10ms;
  HttpClient client(options);
  const auto r = client.get("/v1/health");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(client.backoff(), 0ms);
  EXPECT_GE(r.connect_ms, 0.0);
}

TEST(HttpClient, SlowResponseTimesOutAndTheNextRequestSucceeds) {
  ScriptedHandler handler;
  ServerOptions server_options;
  server_options.threads = 2;
  RunningServer server(handler, server_options);
  auto options = server.client_options();
  options.timeout = 200ms;
  HttpClient client(options);
  const auto start = std::chrono::steady_clock::now();
  const auto slow = client.post("/v1/infer", "sleep:1500");
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(slow.outcome, Outcome::timeout) << slow.error;
  EXPECT_GE(took, 190ms);
  EXPECT_LT(took, 1000ms);
  const auto next = client.post("/v1/infer", "echo:ok");
  ASSERT_TRUE(next.ok()) << next.error;
  EXPECT_FALSE(next.reused);
}

TEST(HttpClient, ServerErrorsAreValuesNotExceptions) {
  ScriptedHandler handler;
  RunningServer server(handler, {});
  HttpClient client(server.client_options());
  const auto r = client.post("/v1/infer", "http:503");
  EXPECT_EQ(r.outcome, Outcome::http_status);
  EXPECT_EQ(r.status, 503u);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.header("content-type"), r.header("CONTENT-TYPE"));
  EXPECT_FALSE(r.header("X-No-Such-Header").has_value());
  EXPECT_EQ(to_string(Outcome::timeout), "timeout");
  EXPECT_EQ(to_string(Outcome::unreachable), "unreachable");
}

TEST(HttpClient, LargeBodiesRoundTrip) {
  ScriptedHandler handler;
  RunningServer server(handler, {});
  HttpClient client(server.client_options());
  const std::string big(3 * 1024 * 1024 + 7, 'q');
  const auto up = client.post("/v1/infer", big);
  ASSERT_TRUE(up.ok()) << up.error;
  EXPECT_EQ(up.body, std::to_string(big.size()));
  EXPECT_GT(up.bytes_up, big.size());
  const auto down = client.post("/v1/infer", "download:2000000");
  ASSERT_TRUE(down.ok()) << down.error;
  EXPECT_EQ(down.body.size(), 2000000u);
  EXPECT_GT(down.bytes_down, 2000000u);

  auto limited = server.client_options();
  limited.max_response_bytes = 1000;
  HttpClient small(limited);
  const auto over = small.post("/v1/infer", "download:5000");
  EXPECT_EQ(over.outcome, Outcome::broken);
  EXPECT_NE(over.error.find("body limit"), std::string::npos) << over.error;
  EXPECT_TRUE(small.post("/v1/infer", "download:500").ok());
}

} // namespace
} // namespace edgent::net
