// Edge-serve throughput at the edge-only cut against the plain forward loop it wraps.
//
// Serve: the real server in-process (HttpServer + EdgeHandler, N worker threads, OpenCV at
// 1 thread) with C client threads, each on its own kept-alive connection, posting the input
// (exit 5, cut 0, fp32) for a fixed time. Plain: N threads, each with its own OpenCV net of
// the exit's whole chain, calling forward() for the same time. Prints req/s of both and the
// ratio serve / plain (target >= 0.9) per CPU second of the server: the process's CPU time
// less its client threads' (each client thread times its own), since an edge does not run its
// devices' clients. Beside it the same with the clients' CPU charged to the server, and per
// wall-clock second (CPU time is the fair one on a machine shared with other jobs). On
// loopback the kernel's receive work runs in the sender's system call, so each side's CPU
// time holds some of the other's TCP work; the two shares are about the same size.
//
// Also the SegmentRunner loop the handler wraps (same threads, no HTTP), to separate the
// transport's cost from the nets'.
//
// Usage: serve_bench [--model CARD_OR_ONNX] [--threads N] [--clients C] [--seconds S]
//                    [--rounds R] [--exit E]
// (default models/branchy-alexnet-fmnist.json relative to the working directory, N 2, C 16,
// S 3 per phase, R 3 rounds of the three phases, medians reported, E = the last exit).

#include "bench_common.hpp"
#include "core/log.hpp"
#include "core/stats.hpp"
#include "model/model_card.hpp"
#include "model/onnx_graph.hpp"
#include "model/partition.hpp"
#include "model/segment_runner.hpp"
#include "net/http_client.hpp"
#include "net/http_server.hpp"
#include "net/tensor_mat.hpp"
#include "net/tensor_wire.hpp"
#include "runtime/edge_handler.hpp"

#include <fmt/format.h>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sys/resource.h>
#include <memory>
#include <random>
#include <string>
#include <functional>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

/// CPU time this process has used (all threads, user + system), seconds.
double process_cpu_s() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

/// Work done in one timed phase.
struct Rate {
  double per_s = 0;      ///< per wall-clock second
  double per_cpu_s = 0;  ///< per second of this process's CPU time (robust to other load)
};

/// CPU time the calling thread has used, seconds.
double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// One timed phase: its wall-clock and CPU seconds and the steps done.
struct Timed {
  double elapsed_s = 0;
  double cpu_s = 0;
  /// CPU seconds of the loop threads alone (the clients, in the serve phase).
  double loop_cpu_s = 0;
  long steps = 0;
  /// @p n things done in this phase, per wall-clock and per CPU second.
  Rate rate(long n) const {
    return {static_cast<double>(n) / elapsed_s, static_cast<double>(n) / cpu_s};
  }
};

/// Runs @p step(i) in a loop on @p threads threads (i = thread index) for @p seconds, all
/// starting together.
Timed timed_loops(unsigned threads, double seconds, const std::function<void(unsigned)>& step) {
  std::atomic<bool> go{false};
  std::atomic<bool> stop{false};
  std::vector<long> counts(threads, 0);
  std::vector<double> loop_cpu(threads, 0.0);
  std::vector<std::thread> pool;
  for (unsigned i = 0; i < threads; ++i) {
    pool.emplace_back([&, i] {
      while (!go) {
        std::this_thread::yield();
      }
      const double cpu0 = thread_cpu_s();
      while (!stop) {
        step(i);
        ++counts[i];
      }
      loop_cpu[i] = thread_cpu_s() - cpu0;
    });
  }
  const auto start = Clock::now();
  const double cpu0 = process_cpu_s();
  go = true;
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : pool) {
    t.join();
  }
  Timed t;
  t.cpu_s = process_cpu_s() - cpu0;
  t.elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
  for (unsigned i = 0; i < threads; ++i) {
    t.steps += counts[i];
    t.loop_cpu_s += loop_cpu[i];
  }
  return t;
}

/// Forward passes per second of @p threads threads, each with its own net read from @p onnx.
Rate plain_rate(const std::string& onnx, const cv::Mat& input, unsigned threads,
                  double seconds) {
  std::vector<cv::dnn::Net> nets;
  std::vector<cv::Mat> inputs;
  for (unsigned i = 0; i < threads; ++i) {
    nets.push_back(cv::dnn::readNetFromONNX(onnx.data(), onnx.size()));
    inputs.push_back(input.clone());
    nets.back().setInput(inputs.back());
    nets.back().forward();  // warm-up: allocation and layer setup outside the timing
  }
  const Timed t = timed_loops(threads, seconds, [&](unsigned i) {
    nets[i].setInput(inputs[i]);
    nets[i].forward();
  });
  return t.rate(t.steps);
}

/// Runs per second of @p threads threads calling one EdgeHandler-style SegmentRunner each
/// (the serve path without HTTP and the wire codec).
Rate runner_rate(std::shared_ptr<const edgent::model::OnnxGraph> graph, int exit,
                 const cv::Mat& input, unsigned threads, double seconds) {
  std::vector<std::unique_ptr<edgent::model::SegmentRunner>> runners;
  for (unsigned i = 0; i < threads; ++i) {
    runners.push_back(std::make_unique<edgent::model::SegmentRunner>(graph, 1));
    runners.back()->run_exit(exit, input);  // load and warm up outside the timing
  }
  const Timed t =
      timed_loops(threads, seconds, [&](unsigned i) { runners[i]->run_exit(exit, input); });
  return t.rate(t.steps);
}

struct ServeResult {
  Rate rate;         ///< answered requests
  /// Answered requests per CPU second of the server's threads alone (the process's CPU time
  /// less the client threads').
  double per_server_cpu_s = 0;
  long failed = 0;   ///< requests that did not get a 200
  double p50_ms = 0;
  double p99_ms = 0;
};

ServeResult serve_rate(std::shared_ptr<const edgent::model::OnnxGraph> graph, int exit,
                       const std::string& body, unsigned threads, int clients, double seconds) {
  using namespace edgent;
  runtime::EdgeHandler handler(graph, threads, /*threads=*/1);
  net::ServerOptions options;
  options.threads = threads;
  options.io_threads = 1;
  options.max_inflight = static_cast<std::size_t>(clients) * 2;
  net::HttpServer server(handler, options);
  server.start();
  std::thread runner([&] { server.run(); });
  {
    // Load the segment every worker runs before timing.
    net::ClientOptions co;
    co.port = server.port();
    net::HttpClient warm(co);
    for (unsigned i = 0; i < threads * 2; ++i) {
      warm.post("/v1/infer", body);
    }
  }
  std::vector<long> ok(static_cast<std::size_t>(clients), 0);
  std::vector<long> bad(static_cast<std::size_t>(clients), 0);
  std::vector<std::vector<double>> lat(static_cast<std::size_t>(clients));
  std::vector<std::unique_ptr<net::HttpClient>> conns;
  for (int i = 0; i < clients; ++i) {
    net::ClientOptions co;
    co.port = server.port();
    conns.push_back(std::make_unique<net::HttpClient>(co));
    conns.back()->get("/v1/health");  // open the kept-alive connection before timing
  }
  const Timed t = timed_loops(static_cast<unsigned>(clients), seconds, [&](unsigned i) {
    const auto r = conns[i]->post("/v1/infer", body);
    if (r.ok() && net::decode_tensor(r.body).exit == exit) {
      ++ok[i];
      lat[i].push_back(r.total_ms);
    } else {
      ++bad[i];
    }
  });
  server.stop();
  runner.join();
  ServeResult r;
  long total = 0;
  std::vector<double> all;
  for (int i = 0; i < clients; ++i) {
    total += ok[static_cast<std::size_t>(i)];
    r.failed += bad[static_cast<std::size_t>(i)];
    all.insert(all.end(), lat[static_cast<std::size_t>(i)].begin(),
               lat[static_cast<std::size_t>(i)].end());
  }
  if (!all.empty()) {
    r.p50_ms = edgent::stats::median(all);
    r.p99_ms = edgent::stats::quantile(std::move(all), 0.99);
  }
  r.rate = t.rate(total);
  r.per_server_cpu_s = static_cast<double>(total) / std::max(t.cpu_s - t.loop_cpu_s, 1e-9);
  return r;
}

} // namespace

int main(int argc, char** argv) {
  using namespace edgent;
  std::string model_path = "models/branchy-alexnet-fmnist.json";
  unsigned threads = 2;
  int clients = 16;
  double seconds = 3.0;
  int exit = 0;
  int rounds = 3;
  if (const int rc = bench::parse_options(
          "serve_bench", argc, argv,
          {{"--model", [&](const std::string& v) { model_path = v; }},
           {"--threads", [&](const std::string& v) { threads = static_cast<unsigned>(std::stoul(v)); }},
           {"--clients", [&](const std::string& v) { clients = std::stoi(v); }},
           {"--seconds", [&](const std::string& v) { seconds = std::stod(v); }},
           {"--rounds", [&](const std::string& v) { rounds = std::stoi(v); }},
           {"--exit", [&](const std::string& v) { exit = std::stoi(v); }}});
      rc != 0) {
    return rc;
  }
  if (threads < 1 || clients < 1 || rounds < 1 || !(seconds > 0)) {
    std::fprintf(stderr, "serve_bench: --threads, --clients, --rounds and --seconds must be > 0\n");
    return 2;
  }
  try {
    log::set_level(log::Level::quiet);
    cv::setNumThreads(1);
    const bench::BenchModel m = bench::load_bench_model(model_path, exit);
    const auto& graph = m.graph;
    exit = m.exit;
    const model::ExitChain& chain = m.partition.exit(exit);
    std::string onnx;
    model::extract_segment(*graph, chain, 0, chain.size()).SerializeToString(&onnx);
    const cv::Mat& input = m.input;
    const std::string& body = m.body;

    fmt::print("# serve_bench: {} (sha256 {}), exit {} ({} units), cut 0, fp32 request {} bytes\n",
               graph->file(), graph->sha256().substr(0, 16), exit, chain.size(), body.size());
    fmt::print("# {} worker threads, {} clients, {:.1f} s per phase, opencv 1 thread, {} cores, "
               "load average before: {}\n",
               threads, clients, seconds, std::thread::hardware_concurrency(), load_average());
    // Other jobs on the machine make one phase's figure vary by tens of percent, so the
    // phases alternate for several rounds and the medians are compared.
    std::vector<double> plain_s, plain_cpu, direct_s, direct_cpu, serve_s, serve_cpu,
        server_cpu;
    long failed = 0;
    for (int round = 1; round <= rounds; ++round) {
      const Rate plain = plain_rate(onnx, input, threads, seconds);
      const Rate direct = runner_rate(graph, exit, input, threads, seconds);
      const ServeResult served = serve_rate(graph, exit, body, threads, clients, seconds);
      fmt::print("round {}: plain {:.1f}/s ({:.1f}/cpu-s), runner {:.1f}/s ({:.1f}/cpu-s), "
                 "serve {:.1f} req/s ({:.1f}/cpu-s, {:.1f}/server-cpu-s, p50 {:.2f} ms, p99 {:.2f} ms)\n",
                 round, plain.per_s, plain.per_cpu_s, direct.per_s, direct.per_cpu_s,
                 served.rate.per_s, served.rate.per_cpu_s, served.per_server_cpu_s,
                 served.p50_ms, served.p99_ms);
      plain_s.push_back(plain.per_s);
      plain_cpu.push_back(plain.per_cpu_s);
      direct_s.push_back(direct.per_s);
      direct_cpu.push_back(direct.per_cpu_s);
      serve_s.push_back(served.rate.per_s);
      serve_cpu.push_back(served.rate.per_cpu_s);
      server_cpu.push_back(served.per_server_cpu_s);
      failed += served.failed;
    }
    using edgent::stats::median;
    fmt::print("plain forward loop:  {:.1f} inferences/s, {:.1f} per CPU-second ({} threads, "
               "median of {})\n",
               median(plain_s), median(plain_cpu), threads, rounds);
    fmt::print("segment runner loop: {:.1f} inferences/s, {:.1f} per CPU-second (no HTTP)\n",
               median(direct_s), median(direct_cpu));
    fmt::print("edge serve:          {:.1f} req/s, {:.1f} per CPU-second (clients included; {} "
               "clients, {} failed)\n",
               median(serve_s), median(serve_cpu), clients, failed);
    fmt::print("edge serve, server:  {:.1f} per CPU-second of the server's own threads (the "
               "process's CPU less the clients' threads')\n",
               median(server_cpu));
    fmt::print("ratio serve/plain:   {:.3f} per CPU-second of the server (target >= 0.9); {:.3f} with "
               "the clients' CPU charged to it; {:.3f} wall-clock\n",
               median(server_cpu) / median(plain_cpu), median(serve_cpu) / median(plain_cpu),
               median(serve_s) / median(plain_s));
    fmt::print("ratio serve/runner:  {:.3f} wall-clock, {:.3f} per CPU-second (what HTTP, the "
               "wire format and the clients cost)\n",
               median(serve_s) / median(direct_s), median(serve_cpu) / median(direct_cpu));
    fmt::print("# a loaded machine skews the wall-clock ratio: the scheduler shares the cores per "
               "thread, and the serve phase runs {} threads against the plain phase's {}\n",
               static_cast<unsigned>(clients) + threads + 1, threads);
    fmt::print("# load average after: {}\n", load_average());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "serve_bench: error: %s\n", e.what());
    return 1;
  }
}
