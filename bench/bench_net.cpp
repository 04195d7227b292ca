// Measures the edge server's mechanics over loopback with a trivial handler (requests/s with
// many client threads, per-request overhead of one keep-alive client) and the throttle's
// achieved rate against a trace. Usage: bench_net [--clients N] [--seconds S] [--body BYTES]
//                                                 [--threads N]

#include "core/log.hpp"
#include "core/stats.hpp"
#include "net/http_client.hpp"
#include "net/http_server.hpp"
#include "net/throttle.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace edgent::net;
using Clock = std::chrono::steady_clock;

/// Returns the request body unchanged; "download:<n>" returns n bytes, "upload:..." its size.
class EchoHandler : public InferHandler {
public:
  InferReply infer(std::string_view body, const RequestInfo&) override {
    if (body.starts_with("download:")) {
      return {std::string(std::stoul(std::string(body.substr(9))), 'd'), "application/octet-stream",
              {}};
    }
    if (body.starts_with("upload:")) {
      return {std::to_string(body.size()), "text/plain", {}};
    }
    return {std::string(body), "application/octet-stream", {}};
  }
  nlohmann::json model_info() const override { return {{"sha256", "bench"}}; }
};

double percentile(std::vector<double> v, double p) {
  return v.empty() ? 0.0 : edgent::stats::quantile(std::move(v), p);
}

} // namespace

int main(int argc, char** argv) {
  int clients = 16;
  double seconds = 3.0;
  std::size_t body_bytes = 1024;
  unsigned threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    if (key == "--clients") {
      clients = std::stoi(argv[i + 1]);
    } else if (key == "--seconds") {
      seconds = std::stod(argv[i + 1]);
    } else if (key == "--body") {
      body_bytes = std::stoul(argv[i + 1]);
    } else if (key == "--threads") {
      threads = static_cast<unsigned>(std::stoul(argv[i + 1]));
    }
  }
  edgent::log::set_tool("bench_net");
  edgent::log::set_level(edgent::log::Level::quiet);

  EchoHandler handler;
  ServerOptions options;
  options.threads = threads;
  options.max_inflight = 1024;
  HttpServer server(handler, options);
  server.start();
  std::thread runner([&] { server.run(); });
  ClientOptions client_options;
  client_options.port = server.port();
  const std::string body(body_bytes, 'x');

  // One client, sequential requests on one kept-alive connection: per-request overhead.
  {
    HttpClient client(client_options);
    for (int i = 0; i < 200; ++i) {
      client.post("/v1/infer", body);
    }
    std::vector<double> us;
    const auto start = Clock::now();
    for (int i = 0; i < 3000; ++i) {
      const auto r = client.post("/v1/infer", body);
      if (!r.ok()) {
        fmt::print(stderr, "request failed: {}\n", r.error);
        return 1;
      }
      us.push_back(r.total_ms * 1000.0);
    }
    const double total = std::chrono::duration<double>(Clock::now() - start).count();
    fmt::print("sequential: 1 client, {} B body, 3000 requests: {:.0f} req/s, per request mean "
               "{:.1f} us, p50 {:.1f} us, p99 {:.1f} us\n",
               body_bytes, 3000 / total, total / 3000 * 1e6, percentile(us, 0.5),
               percentile(us, 0.99));
  }

  // Many clients, each on its own connection and thread.
  {
    std::atomic<bool> stop{false};
    std::atomic<long> failures{0};
    std::vector<std::vector<double>> latencies(static_cast<std::size_t>(clients));
    std::vector<std::thread> pool;
    const auto start = Clock::now();
    for (int c = 0; c < clients; ++c) {
      pool.emplace_back([&, c] {
        HttpClient client(client_options);
        while (!stop) {
          const auto r = client.post("/v1/infer", body);
          if (r.ok()) {
            latencies[static_cast<std::size_t>(c)].push_back(r.total_ms * 1000.0);
          } else {
            ++failures;
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    for (auto& t : pool) {
      t.join();
    }
    const double total = std::chrono::duration<double>(Clock::now() - start).count();
    std::vector<double> all;
    for (const auto& l : latencies) {
      all.insert(all.end(), l.begin(), l.end());
    }
    fmt::print("concurrent: {} clients, {} server worker(s), {} B body, {:.1f} s: {} requests, "
               "{:.0f} req/s, latency p50 {:.1f} us, p99 {:.1f} us, {} failed\n",
               clients, threads, body_bytes, total, all.size(),
               static_cast<double>(all.size()) / total, percentile(all, 0.5),
               percentile(all, 0.99), failures.load());
  }

  // The throttle following a three-rate trace (8, 16, 4 Mbit/s for 0.6 s each), up and down.
  const std::vector<TracePoint> trace = {{0, 8000}, {0.6, 16000}, {1.2, 4000}};
  for (const bool upload : {true, false}) {
    auto throttled = client_options;
    const auto made = Clock::now(); // the throttle's origin, within microseconds
    throttled.throttle = std::make_shared<Throttle>(trace);
    HttpClient client(throttled);
    const std::size_t bytes = 2'050'000;
    const auto start = Clock::now();
    const auto r = upload ? client.post("/v1/infer", "upload:" + std::string(bytes, 'u'))
                          : client.post("/v1/infer", fmt::format("download:{}", bytes));
    if (!r.ok()) {
      fmt::print(stderr, "throttled request failed: {}\n", r.error);
      return 1;
    }
    // Uplink from the start of sending, downlink from its first byte.
    const double from_s = std::chrono::duration<double>(start - made).count() +
                          (upload ? 0.0 : r.first_byte_ms / 1000.0);
    const double elapsed = (r.total_ms - (upload ? 0.0 : r.first_byte_ms)) / 1000.0;
    const std::size_t moved = upload ? r.bytes_up : r.bytes_down;
    const double expected =
        throttled.throttle->schedule().time_to_carry(from_s, static_cast<double>(moved)) - from_s;
    const double achieved_kbps = static_cast<double>(moved) * 8 / 1000.0 / elapsed;
    const double target_kbps = static_cast<double>(moved) * 8 / 1000.0 / expected;
    fmt::print("throttle: {} {} B in {:.3f} s: achieved {:.0f} kbit/s, trace {:.0f} kbit/s "
               "({:+.2f}%)\n",
               upload ? "uplink" : "downlink", moved, elapsed, achieved_kbps, target_kbps,
               (achieved_kbps / target_kbps - 1) * 100);
  }
  server.stop();
  runner.join();
  return 0;
}
