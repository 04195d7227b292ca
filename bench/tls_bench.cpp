// Request latency over HTTPS against plain HTTP on loopback, side by side in one run.
//
// Two in-process edge servers (HttpServer + EdgeHandler, one worker, OpenCV at 1 thread) on
// the same model, one plain and one with TLS (a CA and a certificate for 127.0.0.1 made at
// run time with the OpenSSL API). One kept-alive client each; the requests alternate plain,
// TLS, plain, ... so that both see the same machine load. Reported per transport: median, p90
// and mean total request time of POST /v1/infer at the edge-only cut (exit E, cut 0, fp32
// input), of POST /v1/probe with a body of the same size and a 64-byte reply (the same
// transfer without the model), of GET /v1/health (nearly all round trip), and the median time
// to open a new connection (TCP connect, plus the TLS handshake with TLS).
//
// Usage: tls_bench [--model CARD_OR_ONNX] [--requests N] [--connections K] [--exit E]
// (default models/branchy-alexnet-fmnist.json relative to the working directory, N 300
// requests of each kind per transport after 20 warm-up ones, K 30 new connections, E the last
// exit).

#include "support/test_pki.hpp"
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

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace edgent;

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

struct Stats {
  double median = 0, p90 = 0, mean = 0;
};

Stats summary_of(std::vector<double> v) {
  Stats s;
  if (v.empty()) {
    return s;
  }
  s.median = edgent::stats::median(v);
  s.p90 = edgent::stats::quantile(v, 0.9);
  s.mean = edgent::stats::mean(v);
  return s;
}

/// An edge server on its own thread; stops on destruction.
class Server {
public:
  Server(std::shared_ptr<const model::OnnxGraph> graph, net::ServerOptions options)
      : m_handler(std::move(graph), 1, 1), m_server(m_handler, std::move(options)) {
    m_server.start();
    m_thread = std::thread([this] { m_server.run(); });
  }
  ~Server() {
    m_server.stop();
    m_thread.join();
  }
  std::uint16_t port() const { return m_server.port(); }

private:
  runtime::EdgeHandler m_handler;
  net::HttpServer m_server;
  std::thread m_thread;
};

/// One transport's client and the times it measured.
struct Side {
  std::string name;
  net::ClientOptions options;
  std::unique_ptr<net::HttpClient> client;
  std::vector<double> infer_ms, probe_ms, health_ms, connect_ms;
  long failed = 0;
};

void timed(Side& side, const std::string& body, int exit, bool record) {
  const auto r = side.client->post("/v1/infer", body);
  if (!r.ok() || net::decode_tensor(r.body).exit != exit || r.connect_ms > 0) {
    ++side.failed;
  } else if (record) {
    side.infer_ms.push_back(r.total_ms);
  }
  const auto p = side.client->post("/v1/probe", std::string(body.size(), '\0'),
                                   "application/octet-stream",
                                   {{"X-Edgent-Probe-Reply-Bytes", "64"}});
  if (!p.ok() || p.connect_ms > 0) {
    ++side.failed;
  } else if (record) {
    side.probe_ms.push_back(p.total_ms);
  }
  const auto h = side.client->get("/v1/health");
  if (!h.ok() || h.connect_ms > 0) {
    ++side.failed;
  } else if (record) {
    side.health_ms.push_back(h.total_ms);
  }
}

} // namespace

int main(int argc, char** argv) {
  std::string model_path = "models/branchy-alexnet-fmnist.json";
  int requests = 300;
  int connections = 30;
  int exit = 0;
  if (const int rc = bench::parse_options(
          "tls_bench", argc, argv,
          {{"--model", [&](const std::string& v) { model_path = v; }},
           {"--requests", [&](const std::string& v) { requests = std::stoi(v); }},
           {"--connections", [&](const std::string& v) { connections = std::stoi(v); }},
           {"--exit", [&](const std::string& v) { exit = std::stoi(v); }}});
      rc != 0) {
    return rc;
  }
  if (requests < 1 || connections < 1) {
    std::fprintf(stderr, "tls_bench: --requests and --connections must be > 0\n");
    return 2;
  }
  try {
    log::set_level(log::Level::quiet);
    cv::setNumThreads(1);
    const bench::BenchModel m = bench::load_bench_model(model_path, exit);
    const auto& graph = m.graph;
    exit = m.exit;
    const std::string& body = m.body;

    net::testing::TestPki pki;
    Server plain_server(graph, {});
    net::ServerOptions tls_options;
    tls_options.tls_cert_file = pki.path("server.pem");
    tls_options.tls_key_file = pki.path("server.key");
    Server tls_server(graph, tls_options);

    Side sides[2];
    sides[0].name = "plain HTTP";
    sides[0].options.port = plain_server.port();
    sides[1].name = "HTTPS";
    sides[1].options.port = tls_server.port();
    sides[1].options.tls = true;
    sides[1].options.ca_file = pki.path("ca.pem");
    for (auto& s : sides) {
      s.client = std::make_unique<net::HttpClient>(s.options);
      const auto first = s.client->get("/v1/health");  // connect outside the timing
      if (!first.ok()) {
        std::fprintf(stderr, "tls_bench: %s: %s\n", s.name.c_str(), first.error.c_str());
        return 1;
      }
    }
    fmt::print("# tls_bench: {} (sha256 {}), exit {}, cut 0 (edge-only), fp32 request {} bytes\n",
               graph->file(), graph->sha256().substr(0, 16), exit, body.size());
    fmt::print("# {} timed requests of each kind per transport, alternating, after 20 warm-up; "
               "{} cores, load average before: {}\n",
               requests, std::thread::hardware_concurrency(), load_average());
    for (int i = 0; i < 20 + requests; ++i) {
      for (auto& s : sides) {
        timed(s, body, exit, i >= 20);
      }
    }
    for (int i = 0; i < connections; ++i) {
      for (auto& s : sides) {
        net::HttpClient fresh(s.options);
        const auto r = fresh.get("/v1/health");
        if (r.ok()) {
          s.connect_ms.push_back(r.connect_ms);
        } else {
          ++s.failed;
        }
      }
    }
    for (const auto& s : sides) {
      const Stats infer = summary_of(s.infer_ms);
      const Stats health = summary_of(s.health_ms);
      const Stats probe = summary_of(s.probe_ms);
      const Stats connect = summary_of(s.connect_ms);
      fmt::print("{:<10}  infer median {:.3f} ms, p90 {:.3f}, mean {:.3f} | probe median {:.3f} "
                 "ms, p90 {:.3f} | health median {:.3f} ms, p90 {:.3f} | new connection median "
                 "{:.3f} ms | {} failed\n",
                 s.name, infer.median, infer.p90, infer.mean, probe.median, probe.p90,
                 health.median, health.p90, connect.median, s.failed);
    }
    const Stats p_infer = summary_of(sides[0].infer_ms), t_infer = summary_of(sides[1].infer_ms);
    const Stats p_health = summary_of(sides[0].health_ms), t_health = summary_of(sides[1].health_ms);
    fmt::print("TLS - plain: infer median {:+.3f} ms ({:+.1f}%), probe median {:+.3f} ms, health "
               "median {:+.3f} ms, new connection median {:+.3f} ms\n",
               t_infer.median - p_infer.median,
               100.0 * (t_infer.median - p_infer.median) / p_infer.median,
               summary_of(sides[1].probe_ms).median - summary_of(sides[0].probe_ms).median,
               t_health.median - p_health.median,
               summary_of(sides[1].connect_ms).median - summary_of(sides[0].connect_ms).median);
    fmt::print("# load average after: {}\n", load_average());
    return sides[0].failed + sides[1].failed == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tls_bench: %s\n", e.what());
    return 1;
  }
}
