#pragma once

// An in-process edge server with a scripted handler, for tests over real loopback sockets.

#include "core/error.hpp"
#include "net/http_client.hpp"
#include "net/http_server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace edgent::net::testing {

/// Answers by the body: "echo:<x>" returns <x>; "size" bodies of any other content return
/// their length; "data-error", "config-error", "model-error", "http:<status>" throw;
/// "sleep:<ms>" sleeps; "block" waits for release(); "download:<n>" returns n bytes.
class ScriptedHandler : public InferHandler {
public:
  InferReply infer(std::string_view body, const RequestInfo& info) override {
    calls.fetch_add(1);
    InferReply reply;
    reply.headers.emplace_back("X-Test-Worker", std::to_string(info.worker));
    const auto arg = [&](std::string_view prefix) { return std::string(body.substr(prefix.size())); };
    if (body.starts_with("echo:")) {
      reply.body = arg("echo:");
    } else if (body == "data-error") {
      throw DataError("bad wire header", {}, "magic");
    } else if (body == "config-error") {
      throw ConfigError("unknown exit 9", {}, "exit");
    } else if (body == "model-error") {
      throw ModelError("segment failed");
    } else if (body.starts_with("http:")) {
      throw HttpError(static_cast<unsigned>(std::stoul(arg("http:"))), "scripted");
    } else if (body.starts_with("sleep:")) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::stol(arg("sleep:"))));
      reply.body = "slept";
    } else if (body == "block") {
      std::unique_lock lock(m_mutex);
      ++m_blocked;
      m_cv.notify_all();
      m_cv.wait(lock, [this] { return m_released; });
      reply.body = "released";
    } else if (body.starts_with("download:")) {
      reply.body.assign(std::stoul(arg("download:")), 'd');
    } else {
      reply.body = std::to_string(body.size());
    }
    return reply;
  }
  nlohmann::json model_info() const override {
    return {{"sha256", std::string(64, 'a')}, {"units", 7}};
  }
  /// Waits until @p n requests are blocked in "block".
  void wait_blocked(int n) {
    std::unique_lock lock(m_mutex);
    m_cv.wait(lock, [&] { return m_blocked >= n; });
  }
  void release() {
    const std::lock_guard lock(m_mutex);
    m_released = true;
    m_cv.notify_all();
  }

  std::atomic<int> calls{0};

private:
  std::mutex m_mutex;
  std::condition_variable m_cv;
  int m_blocked = 0;
  bool m_released = false;
};

/// A started server running on its own thread; stops and joins on destruction.
class RunningServer {
public:
  RunningServer(InferHandler& handler, ServerOptions options) : m_server(handler, options) {
    m_server.start();
    m_thread = std::thread([this] {
      m_server.run();
      m_done = true;
    });
  }
  ~RunningServer() { stop_and_join(); }

  void stop_and_join() {
    if (m_thread.joinable()) {
      m_server.stop();
      m_thread.join();
    }
  }
  /// Joins the run() thread without asking it to stop (after a signal).
  void join() {
    if (m_thread.joinable()) {
      m_thread.join();
    }
  }
  bool done() const { return m_done; }
  HttpServer& server() { return m_server; }
  std::uint16_t port() const { return m_server.port(); }
  ClientOptions client_options() const {
    ClientOptions o;
    o.port = m_server.port();
    o.timeout = std::chrono::milliseconds(5000);
    return o;
  }

private:
  HttpServer m_server;
  std::thread m_thread;
  std::atomic<bool> m_done{false};
};

/// A request the ScriptedHandler echoes must succeed on @p client: the server still serves.
inline void expect_good_request(HttpClient& client) {
  const auto r = client.post("/v1/infer", "echo:fine");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.body, "fine");
}

} // namespace edgent::net::testing
