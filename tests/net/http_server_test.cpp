#include "net/http_server.hpp"

#include "core/file_io.hpp"
#include "net/http_client.hpp"
#include "support/raw_socket.hpp"
#include "support/scripted_server.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <future>
#include <regex>
#include <thread>

namespace edgent::net {
namespace {

using namespace std::chrono_literals;
using testing::RawSocket;
using testing::RunningServer;
using testing::ScriptedHandler;
using testing::expect_good_request;

/// The JSON error body of a failed request, checked to have the documented shape.
nlohmann::json error_of(const HttpResult& r) {
  EXPECT_EQ(r.header("Content-Type").value_or(""), "application/json");
  const auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j.at("status").get<unsigned>(), r.status);
  EXPECT_TRUE(j.at("error").is_string());
  return j;
}

TEST(HttpServer, EveryRouteAnswers) {
  ScriptedHandler handler;
  RunningServer server(handler, {});
  HttpClient client(server.client_options());

  const auto health = client.get("/v1/health");
  ASSERT_TRUE(health.ok()) << health.error;
  EXPECT_EQ(nlohmann::json::parse(health.body).at("status"), "ok");

  const auto model = client.get("/v1/model");
  ASSERT_TRUE(model.ok()) << model.error;
  EXPECT_EQ(nlohmann::json::parse(model.body).at("units"), 7);

  const auto infer = client.post("/v1/infer", "echo:hello");
  ASSERT_TRUE(infer.ok()) << infer.error;
  EXPECT_EQ(infer.body, "hello");
  EXPECT_EQ(infer.header("Content-Type").value_or(""), "application/octet-stream");
  EXPECT_GE(std::stod(infer.header("X-Edgent-Queue-Ms").value_or("-1")), 0.0);
  EXPECT_GE(std::stod(infer.header("X-Edgent-Compute-Ms").value_or("-1")), 0.0);
  EXPECT_TRUE(infer.reused) << "keep-alive: the connection of the first request is reused";
  EXPECT_GT(infer.bytes_up, 10u);
  EXPECT_GT(infer.bytes_down, 5u);
  EXPECT_GE(infer.total_ms, infer.first_byte_ms);

  const auto probe = client.post("/v1/probe", std::string(5000, 'p'), "application/octet-stream",
                                 {{"X-Edgent-Probe-Reply-Bytes", "3000"}});
  ASSERT_TRUE(probe.ok()) << probe.error;
  EXPECT_EQ(probe.body.size(), 3000u);
  const auto bad_probe = client.post("/v1/probe", "", "application/octet-stream",
                                     {{"X-Edgent-Probe-Reply-Bytes", "12x"}});
  EXPECT_EQ(bad_probe.status, 400u);
  error_of(bad_probe);
  const auto huge_probe = client.post("/v1/probe", "", "application/octet-stream",
                                      {{"X-Edgent-Probe-Reply-Bytes", "99999999999999"}});
  EXPECT_EQ(huge_probe.status, 400u) << "replies are bounded by max_body";

  const auto metrics = client.get("/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.error;
  EXPECT_NE(metrics.body.find("edgent_requests_total{status=\"200\"} 4"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("edgent_request_duration_seconds_count 6"), std::string::npos);
  EXPECT_NE(metrics.body.find("edgent_inflight_requests 0"), std::string::npos);
  EXPECT_NE(metrics.body.find("edgent_open_connections 1"), std::string::npos);
  EXPECT_NE(metrics.body.find("edgent_received_bytes_total "), std::string::npos);
  EXPECT_EQ(server.server().metrics_text().find("# TYPE edgent_requests_total counter"),
            metrics.body.find("# TYPE edgent_requests_total counter"));
}

TEST(HttpServer, HandlerErrorsMapToStatusesAndTheNextRequestSucceeds) {
  ScriptedHandler handler;
  RunningServer server(handler, {});
  HttpClient client(server.client_options());
  const std::pair<std::string, unsigned> cases[] = {
      {"data-error", 400}, {"config-error", 422}, {"model-error", 500}, {"http:418", 418}};
  for (const auto& [body, status] : cases) {
    const auto r = client.post("/v1/infer", body);
    EXPECT_EQ(r.outcome, Outcome::http_status) << body;
    EXPECT_EQ(r.status, status) << body;
    const auto error = error_of(r);
    if (body == "data-error") {
      EXPECT_EQ(error.at("error"), "magic: bad wire header");
    }
    expect_good_request(client);
  }
}

TEST(HttpServer, UnknownPathIs404AndWrongMethodIs405) {
  ScriptedHandler handler;
  RunningServer server(handler, {});
  HttpClient client(server.client_options());
  const auto missing = client.get("/v1/nothing");
  EXPECT_EQ(missing.status, 404u);
  error_of(missing);
  expect_good_request(client);
  const auto wrong = client.get("/v1/infer");
  EXPECT_EQ(wrong.status, 405u);
  EXPECT_EQ(wrong.header("Allow").value_or(""), "POST");
  error_of(wrong);
  expect_good_request(client);
  EXPECT_EQ(handler.calls.load(), 2);
}

TEST(HttpServer, OversizedBodyIs413AndTheServerKeepsServing) {
  ScriptedHandler handler;
  ServerOptions options;
  options.max_body = 1000;
  RunningServer server(handler, options);
  HttpClient client(server.client_options());
  const auto exact = client.post("/v1/infer", std::string(1000, 'x'));
  ASSERT_TRUE(exact.ok()) << exact.error;
  EXPECT_EQ(exact.body, "1000");
  const auto big = client.post("/v1/infer", std::string(200000, 'x'));
  EXPECT_EQ(big.status, 413u) << big.error;
  error_of(big);
  expect_good_request(client);
  EXPECT_EQ(handler.calls.load(), 2);
}

TEST(HttpServer, MalformedRequestIs400AndOthersAreUnaffected) {
  ScriptedHandler handler;
  RunningServer server(handler, {});
  RawSocket raw(server.port());
  raw.send("GET /v1/health HTTP/1.1\r\nHost: x\r\nContent-Length: banana\r\n\r\n");
  std::string answer;
  EXPECT_TRUE(raw.read_until_closed(answer, 3s));
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 400")) << answer;
  EXPECT_NE(answer.find("\"status\":400"), std::string::npos) << answer;
  HttpClient client(server.client_options());
  expect_good_request(client);

  RawSocket huge(server.port());
  huge.send("GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'b') +
            "\r\n\r\n");
  std::string huge_answer;
  EXPECT_TRUE(huge.read_until_closed(huge_answer, 3s));
  EXPECT_TRUE(huge_answer.starts_with("HTTP/1.1 431")) << huge_answer.substr(0, 200);
  expect_good_request(client);
}

TEST(HttpServer, ClientBytesThatAreNotUtf8AreQuotedInTheErrorNotFatal) {
  ScriptedHandler handler;
  RunningServer server(handler, {});
  // The 404 quotes the path, the 409 the header: neither may stop the server.
  for (const std::string& request :
       {std::string("GET /v1/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n"),
        std::string("POST /v1/infer HTTP/1.1\r\nHost: x\r\nX-Edgent-Model-Sha256: \xc3\x28\r\n"
                    "Content-Length: 6\r\n\r\necho:x")}) {
    RawSocket raw(server.port());
    raw.send(request + "GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    std::string answer;
    EXPECT_TRUE(raw.read_until_closed(answer, 3s));
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 404") || answer.starts_with("HTTP/1.1 409"))
        << answer;
    EXPECT_NE(answer.find("HTTP/1.1 200"), std::string::npos) << "the next request: " << answer;
  }
  HttpClient client(server.client_options());
  expect_good_request(client);
}

TEST(HttpServer, WrongModelIs409) {
  ScriptedHandler handler;
  RunningServer server(handler, {});
  HttpClient client(server.client_options());
  const auto wrong = client.post("/v1/infer", "echo:x", "application/octet-stream",
                                 {{"X-Edgent-Model-Sha256", std::string(64, 'b')}});
  EXPECT_EQ(wrong.status, 409u);
  EXPECT_NE(error_of(wrong).at("error").get<std::string>().find("not the served model"),
            std::string::npos);
  const auto right = client.post("/v1/infer", "echo:x", "application/octet-stream",
                                 {{"X-Edgent-Model-Sha256", std::string(64, 'a')}});
  EXPECT_TRUE(right.ok()) << right.error;
  EXPECT_EQ(handler.calls.load(), 1);
}

TEST(HttpServer, TokenIsRequiredExceptForHealth) {
  ScriptedHandler handler;
  const edgent::testing::TempDir tmp("token");
  const auto& dir = tmp.path();
  const auto token_file = (dir / "token").string();
  write_file_atomic(token_file, "  s3cret-token\n");
  ServerOptions options;
  options.token = read_token_file(token_file);
  EXPECT_EQ(options.token, "s3cret-token");
  RunningServer server(handler, options);

  HttpClient anonymous(server.client_options());
  EXPECT_TRUE(anonymous.get("/v1/health").ok());
  EXPECT_EQ(anonymous.post("/v1/probe", "").status, 401u);
  for (const auto* target : {"/v1/model", "/metrics", "/v1/load"}) {
    const auto r = anonymous.get(target);
    EXPECT_EQ(r.status, 401u) << target;
    EXPECT_EQ(r.header("WWW-Authenticate").value_or(""), "Bearer");
  }
  EXPECT_EQ(anonymous.post("/v1/infer", "echo:x").status, 401u);

  auto wrong_options = server.client_options();
  wrong_options.token = "s3cret-tokem";
  HttpClient wrong(wrong_options);
  const auto denied = wrong.post("/v1/infer", "echo:x");
  EXPECT_EQ(denied.status, 401u);
  error_of(denied);

  auto good_options = server.client_options();
  good_options.token = "s3cret-token";
  HttpClient good(good_options);
  expect_good_request(good);
  EXPECT_TRUE(good.get("/v1/model").ok());
  EXPECT_TRUE(good.get("/v1/load").ok());
  EXPECT_EQ(handler.calls.load(), 1);

  write_file_atomic(token_file, " \n");
  EXPECT_THROW(read_token_file(token_file), ConfigError);
  EXPECT_THROW(read_token_file((dir / "missing").string()), IoError);
}

TEST(HttpServer, EveryAnswerCarriesItsQueueAndServiceTime) {
  ScriptedHandler handler;
  RunningServer server(handler, {});
  HttpClient client(server.client_options());
  const auto slow = client.post("/v1/infer", "sleep:30");
  ASSERT_TRUE(slow.ok()) << slow.error;
  EXPECT_GE(std::stod(slow.header("X-Edgent-Service-Ms").value_or("-1")), 29.0);
  EXPECT_EQ(slow.header("X-Edgent-Service-Ms"), slow.header("X-Edgent-Compute-Ms"));
  EXPECT_GE(std::stod(slow.header("X-Edgent-Queue-Ms").value_or("-1")), 0.0);
  for (const HttpResult& r : {client.get("/v1/health"), client.get("/v1/model"),
                              client.get("/v1/load"), client.get("/metrics"),
                              client.get("/v1/nowhere"), client.post("/v1/probe", "x"),
                              client.post("/v1/infer", "http:418")}) {
    // Only an inference waits for a worker; the others waited for none.
    const double queue = std::stod(r.header("X-Edgent-Queue-Ms").value_or("-1"));
    if (r.status == 418) {
      EXPECT_GE(queue, 0.0);
    } else {
      EXPECT_EQ(queue, 0.0) << r.status;
    }
    const double service = std::stod(r.header("X-Edgent-Service-Ms").value_or("-1"));
    EXPECT_GE(service, 0.0) << r.status;
    EXPECT_LT(service, 1000.0) << r.status;
  }
}

TEST(HttpServer, LoadReportsTheQueueAndRecentQuantiles) {
  ScriptedHandler handler;
  ServerOptions options;
  options.threads = 1;
  RunningServer server(handler, options);
  HttpClient client(server.client_options());
  auto load = nlohmann::json::parse(client.get("/v1/load").body);
  EXPECT_EQ(load.at("queued"), 0);
  EXPECT_EQ(load.at("inflight"), 0);
  EXPECT_EQ(load.at("recent"), 0);
  EXPECT_TRUE(load.at("queue_ms").is_null()) << "no quantiles before the first request";
  EXPECT_TRUE(load.at("service_ms").is_null());
  EXPECT_EQ(load.at("workers"), 1);
  EXPECT_EQ(load.at("max_inflight"), 64);

  // One request blocks the only worker, two more wait behind it.
  std::vector<std::future<HttpResult>> pending;
  for (int i = 0; i < 3; ++i) {
    pending.push_back(std::async(std::launch::async, [&, i] {
      HttpClient c(server.client_options());
      return c.post("/v1/infer", i == 0 ? "block" : "echo:x");
    }));
    if (i == 0) {
      handler.wait_blocked(1);
    }
  }
  for (int tries = 0; tries < 200; ++tries) {
    load = nlohmann::json::parse(client.get("/v1/load").body);
    if (load.at("queued") == 2) {
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(load.at("queued"), 2) << load.dump();
  EXPECT_EQ(load.at("inflight"), 3) << load.dump();
  EXPECT_GE(load.at("connections").get<int>(), 4) << load.dump();
  std::this_thread::sleep_for(50ms);
  handler.release();
  for (auto& p : pending) {
    EXPECT_TRUE(p.get().ok());
  }
  load = nlohmann::json::parse(client.get("/v1/load").body);
  EXPECT_EQ(load.at("queued"), 0);
  EXPECT_EQ(load.at("inflight"), 0);
  EXPECT_EQ(load.at("recent"), 3);
  EXPECT_GE(load.at("service_ms").at("p99").get<double>(), 50.0) << "the blocked request";
  EXPECT_GE(load.at("queue_ms").at("p99").get<double>(), 50.0) << "the requests behind it";
  EXPECT_LE(load.at("queue_ms").at("p50").get<double>(), load.at("queue_ms").at("p95").get<double>());
  EXPECT_NE(server.server().metrics_text().find("edgent_queued_requests 0\n"), std::string::npos);
}

TEST(HttpServer, BeyondMaxInflightIs503WithRetryAfter) {
  ScriptedHandler handler;
  ServerOptions options;
  options.threads = 1;
  options.max_inflight = 1;
  RunningServer server(handler, options);
  auto blocked = std::async(std::launch::async, [&] {
    HttpClient c(server.client_options());
    return c.post("/v1/infer", "block");
  });
  handler.wait_blocked(1);
  HttpClient client(server.client_options());
  const auto busy = client.post("/v1/infer", "echo:x");
  EXPECT_EQ(busy.status, 503u);
  EXPECT_EQ(busy.header("Retry-After").value_or(""), "1");
  error_of(busy);
  EXPECT_TRUE(client.get("/v1/health").ok()) << "health is answered while workers are busy";
  handler.release();
  const auto first = blocked.get();
  EXPECT_TRUE(first.ok()) << first.error;
  EXPECT_EQ(first.body, "released");
  expect_good_request(client);
}

TEST(HttpServer, BeyondMaxQueueIs503WithRetryAfter) {
  ScriptedHandler handler;
  ServerOptions options;
  options.threads = 1;
  options.max_queue = 1;
  RunningServer server(handler, options);
  std::vector<std::future<HttpResult>> pending;
  for (int i = 0; i < 2; ++i) {
    pending.push_back(std::async(std::launch::async, [&] {
      HttpClient c(server.client_options());
      return c.post("/v1/infer", "block");
    }));
    if (i == 0) {
      handler.wait_blocked(1); // the worker's; the second request waits in the queue
    }
  }
  HttpClient client(server.client_options());
  for (int tries = 0; tries < 200; ++tries) {
    if (nlohmann::json::parse(client.get("/v1/load").body).at("queued") == 1) {
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  const auto busy = client.post("/v1/infer", "echo:x");
  EXPECT_EQ(busy.status, 503u);
  EXPECT_EQ(busy.header("Retry-After").value_or(""), "1");
  EXPECT_NE(error_of(busy).at("error").get<std::string>().find("wait for a worker"),
            std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(client.get("/v1/load").body).at("max_queue"), 1);
  handler.release();
  for (auto& p : pending) {
    EXPECT_TRUE(p.get().ok());
  }
  expect_good_request(client);
}

TEST(HttpServer, AtMaxConnectionsTheIdleMakeRoomElse503) {
  ScriptedHandler handler;
  ServerOptions options;
  options.threads = 2;
  options.max_connections = 2;
  RunningServer server(handler, options);
  // Connections that never send a request give way to a client with one.
  std::vector<std::unique_ptr<RawSocket>> idle;
  for (int i = 0; i < 20; ++i) {
    idle.push_back(std::make_unique<RawSocket>(server.port()));
  }
  HttpClient good(server.client_options());
  for (int i = 0; i < 5; ++i) {
    expect_good_request(good);
  }
  std::string answer;
  EXPECT_TRUE(idle.front()->read_until_closed(answer, 5s)) << "the idle longest are closed";

  // With every connection busy, a new one is told to retry.
  std::vector<std::future<HttpResult>> pending;
  for (int i = 0; i < 2; ++i) {
    pending.push_back(std::async(std::launch::async, [&] {
      HttpClient c(server.client_options());
      return c.post("/v1/infer", "block");
    }));
  }
  handler.wait_blocked(2);
  HttpClient late(server.client_options());
  const auto busy = late.get("/v1/model");
  EXPECT_EQ(busy.status, 503u);
  EXPECT_EQ(busy.header("Retry-After").value_or(""), "1");
  EXPECT_NE(error_of(busy).at("error").get<std::string>().find("connections are open"),
            std::string::npos);
  handler.release();
  for (auto& p : pending) {
    EXPECT_TRUE(p.get().ok());
  }
  expect_good_request(late);
}

/// The one line the load agent on @p port answers.
std::string agent_says(std::uint16_t port) {
  RawSocket agent(port);
  std::string line;
  EXPECT_TRUE(agent.read_until_closed(line, 5s)) << "the agent closes after its line";
  return line;
}

TEST(HttpServer, TheLoadAgentWeighsTheEdgeByItsQueue) {
  ScriptedHandler handler;
  ServerOptions options;
  options.threads = 2;
  options.agent_port = 0;
  RunningServer server(handler, options);
  ASSERT_GT(server.server().agent_port(), 0);
  ASSERT_NE(server.server().agent_port(), server.port());
  EXPECT_EQ(agent_says(server.server().agent_port()), "ready 100%\n");
  // Both workers held and two requests waiting: half the weight.
  std::vector<std::future<HttpResult>> pending;
  for (int i = 0; i < 4; ++i) {
    pending.push_back(std::async(std::launch::async, [&] {
      HttpClient c(server.client_options());
      return c.post("/v1/infer", "block");
    }));
  }
  handler.wait_blocked(2);
  HttpClient client(server.client_options());
  for (int tries = 0; tries < 200; ++tries) {
    if (nlohmann::json::parse(client.get("/v1/load").body).at("queued") == 2) {
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(agent_says(server.server().agent_port()), "ready 50%\n");
  handler.release();
  for (auto& p : pending) {
    EXPECT_TRUE(p.get().ok());
  }
  EXPECT_EQ(agent_says(server.server().agent_port()), "ready 100%\n");
}

TEST(HttpServer, SlowClientIsClosedAfterTheReadTimeoutAndBlocksNoOne) {
  ScriptedHandler handler;
  ServerOptions options;
  options.read_timeout = 1000ms;
  RunningServer server(handler, options);
  RawSocket slow(server.port());
  slow.send("POST /v1/infer HTTP/1.1\r\nHost: x\r\nContent-Le");
  const auto start = std::chrono::steady_clock::now();
  HttpClient client(server.client_options());
  for (int i = 0; i < 5; ++i) {
    expect_good_request(client);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 600ms)
      << "others are served while the slow client's header is incomplete";
  std::string answer;
  EXPECT_TRUE(slow.read_until_closed(answer, 5s)) << "the slow connection is closed";
  const auto closed_after = std::chrono::steady_clock::now() - start;
  EXPECT_GE(closed_after, 900ms);
  EXPECT_LT(closed_after, 3s);
  expect_good_request(client);
}

TEST(HttpServer, IdleKeepAliveConnectionIsClosedAndTheClientReconnects) {
  ScriptedHandler handler;
  ServerOptions options;
  options.read_timeout = 200ms;
  RunningServer server(handler, options);
  HttpClient client(server.client_options());
  expect_good_request(client);
  std::this_thread::sleep_for(400ms);
  const auto r = client.post("/v1/infer", "echo:again");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_FALSE(r.reused) << "the stale connection was replaced";
}

TEST(HttpServer, SigtermDrainsGracefully) {
  ScriptedHandler handler;
  ServerOptions options;
  options.handle_signals = true;
  options.read_timeout = 20s; // draining must not wait for idle connections to time out
  RunningServer server(handler, options);
  HttpClient idle(server.client_options());
  ASSERT_TRUE(idle.get("/v1/health").ok());
  auto in_flight = std::async(std::launch::async, [&] {
    HttpClient c(server.client_options());
    return c.post("/v1/infer", "sleep:400");
  });
  while (handler.calls.load() == 0) {
    std::this_thread::sleep_for(5ms);
  }
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
  const auto r = in_flight.get();
  EXPECT_TRUE(r.ok()) << "the in-flight request is answered: " << r.error;
  EXPECT_EQ(r.body, "slept");
  server.join();
  EXPECT_TRUE(server.done());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  HttpClient late(server.client_options());
  const auto refused = late.get("/v1/health");
  EXPECT_EQ(refused.outcome, Outcome::unreachable) << "no longer accepting";
}

TEST(HttpServer, PortFileAndBindErrors) {
  ScriptedHandler handler;
  const edgent::testing::TempDir tmp("port-file");
  const auto port_file = tmp.file("port");
  ServerOptions options;
  options.port_file = port_file;
  RunningServer server(handler, options);
  EXPECT_EQ(read_file(port_file), std::to_string(server.port()) + "\n");
  std::filesystem::remove(port_file);

  ServerOptions taken;
  taken.port = server.port();
  HttpServer second(handler, taken);
  EXPECT_THROW(second.start(), NetError);
  ServerOptions bad;
  bad.bind = "not-an-address";
  HttpServer third(handler, bad);
  EXPECT_THROW(third.start(), ConfigError);
  ServerOptions no_threads;
  no_threads.threads = 0;
  EXPECT_THROW(HttpServer(handler, no_threads), ConfigError);
  ServerOptions bound_below_body;
  bound_below_body.max_body = 2000;
  bound_below_body.max_buffered = 1000;
  EXPECT_THROW(HttpServer(handler, bound_below_body), ConfigError) << "one body must fit the bound";
}

TEST(HttpServer, WorkersServeConcurrently) {
  ScriptedHandler handler;
  ServerOptions options;
  options.threads = 4;
  options.io_threads = 2;
  RunningServer server(handler, options);
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::future<HttpResult>> results;
  for (int i = 0; i < 4; ++i) {
    results.push_back(std::async(std::launch::async, [&] {
      HttpClient c(server.client_options());
      return c.post("/v1/infer", "sleep:400");
    }));
  }
  std::set<std::string> workers;
  for (auto& f : results) {
    const auto r = f.get();
    ASSERT_TRUE(r.ok()) << r.error;
    workers.insert(r.header("X-Test-Worker").value_or("?"));
  }
  EXPECT_EQ(workers.size(), 4u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1200ms) << "one at a time would take 1.6 s";
}

TEST(HttpStatusFor, MapsErrorKinds) {
  EXPECT_EQ(http_status_for(DataError("x")), 400u);
  EXPECT_EQ(http_status_for(SchemaError("x")), 400u);
  EXPECT_EQ(http_status_for(ConfigError("x")), 422u);
  EXPECT_EQ(http_status_for(ModelError("x")), 500u);
  EXPECT_EQ(http_status_for(std::runtime_error("x")), 500u);
  EXPECT_EQ(http_status_for(HttpError(409, "x")), 409u);
}

} // namespace
} // namespace edgent::net
