// Load generator: the real edgent-serve binary on loopback under N closed-loop clients.
//
// For each run (the edge-only cut 0 of the last exit, then a middle cut point of the same
// exit) it starts `edgent-serve -m MODEL --threads T --max-inflight M` on a free port, warms it
// up with one request per body and then --warmup seconds of full load (not counted, so that
// every worker has loaded its nets), then counts N client threads for S seconds, each on its
// own kept-alive connection (lib/net/http_client), each posting the next body as soon as the
// last answer arrived. The bodies are real tensors in the wire format: a few Fashion-MNIST test
// images (cut 0), or the head output the device would send (the middle cut), encoded fp32.
// A 200 must decode to the exit's output; a 503 (over --max-inflight) is the server's
// intended answer to overload and is counted apart, and that connection waits --busy-wait-ms
// before its next request. Everything else is a real error, counted by kind.
//
// Prints per run: requests, req/s, errors by kind, latency p50/p95/p99 of the answered
// requests, and the server's RSS (VmRSS from /proc/<pid>/status, sampled each second) in the
// first 10 s against the last 10 s (halves of the run when it is shorter than 20 s).
// Exits 1 when a run had a real error or RSS growth >= --max-rss-growth percent, 2 on bad
// arguments, 0 otherwise (also when the dataset is missing: the run is skipped).
//
// Usage: edgent_load --serve BIN [--model CARD] [--data DIR] [--conns N] [--seconds S]
//                    [--threads T] [--max-inflight M] [--busy-wait-ms W] [--warmup W]
//                    [--images K] [--max-rss-growth PCT]

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/stats.hpp"
#include "data/dataset.hpp"
#include "eval/accuracy.hpp"
#include "model/model_card.hpp"
#include "model/onnx_graph.hpp"
#include "model/partition.hpp"
#include "model/segment_runner.hpp"
#include "net/http_client.hpp"
#include "net/tensor_mat.hpp"
#include "net/tensor_wire.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct LoadOptions {
  std::string serve_bin;
  std::string model = "models/branchy-alexnet-fmnist.json";
  std::string data = edgent::data::kFashionMnistDir;
  unsigned conns = 64;
  double seconds = 60;
  unsigned threads = 2;
  unsigned max_inflight = 32;
  unsigned busy_wait_ms = 100;
  unsigned images = 8;
  double warmup_s = 2;
  double max_rss_growth = 10.0;
};

/// One edgent-serve child process on a free loopback port; SIGKILLed if still running when
/// destroyed.
class ServeChild {
public:
  ServeChild(const LoadOptions& o, const fs::path& dir) : m_dir(dir) {
    fs::remove(dir / "port");  // a previous run's
    std::vector<std::string> args{o.serve_bin,
                                  "--model", o.model,
                                  "--port", "0",
                                  "--port-file", (dir / "port").string(),
                                  "--threads", std::to_string(o.threads),
                                  "--max-inflight", std::to_string(o.max_inflight)};
    std::vector<char*> argv;
    for (auto& a : args) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, (dir / "serve.log").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int rc = posix_spawn(&m_pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      m_pid = -1;
      throw edgent::IoError(fmt::format("cannot start: {}", std::strerror(rc)), o.serve_bin);
    }
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < deadline) {
      std::ifstream in(dir / "port");
      unsigned port = 0;
      if (in >> port && port > 0 && port < 65536) {
        m_port = static_cast<std::uint16_t>(port);
        return;
      }
      int status = 0;
      if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
        m_pid = -1;
        throw edgent::NetError("edgent-serve exited before listening: " + log());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw edgent::NetError("edgent-serve wrote no port file within 60 s: " + log());
  }
  ~ServeChild() {
    if (m_pid > 0) {
      ::kill(m_pid, SIGKILL);
      int status = 0;
      ::waitpid(m_pid, &status, 0);
    }
  }
  ServeChild(const ServeChild&) = delete;
  ServeChild& operator=(const ServeChild&) = delete;

  pid_t pid() const { return m_pid; }
  std::uint16_t port() const { return m_port; }

  /// SIGTERM, then the exit code (-1 when it died of a signal or did not exit within 30 s).
  int stop() {
    ::kill(m_pid, SIGTERM);
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < deadline) {
      int status = 0;
      if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
        m_pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

  std::string log() const {
    std::ifstream in(m_dir / "serve.log");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

private:
  fs::path m_dir;
  pid_t m_pid = -1;
  std::uint16_t m_port = 0;
};

/// VmRSS of @p pid in KiB, or nullopt when unreadable.
std::optional<double> rss_kib(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::stod(line.substr(6));
    }
  }
  return std::nullopt;
}

/// What the client threads of one run counted.
struct Tally {
  long requests = 0;
  long ok = 0;
  long busy = 0;
  std::map<std::string, long> errors;
  std::vector<float> latency_ms;  ///< answered (200) requests only
  std::string first_error;

  void merge(Tally&& t) {
    requests += t.requests;
    ok += t.ok;
    busy += t.busy;
    for (const auto& [k, v] : t.errors) {
      errors[k] += v;
    }
    latency_ms.insert(latency_ms.end(), t.latency_ms.begin(), t.latency_ms.end());
    if (first_error.empty()) {
      first_error = std::move(t.first_error);
    }
  }
};

double percentile(const std::vector<float>& v, double q) {
  return v.empty() ? 0.0 : edgent::stats::quantile(std::vector<double>(v.begin(), v.end()), q);
}

double mean_of(const std::vector<double>& v) {
  return v.empty() ? 0.0 : edgent::stats::mean(v);
}

struct RunSpec {
  std::string name;
  int exit = 0;
  int cut = 0;
  int n = 0;  ///< units of the exit's chain: the answer is the tensor at cut n
  std::vector<std::string> bodies;
};

/// One run against a fresh server; returns true when it passed.
bool run_once(const LoadOptions& o, const RunSpec& spec, const fs::path& dir) {
  fmt::print("run {}: exit {}, cut {}, fp32, {} B/request, {} connections, {:.0f} s, "
             "edgent-serve --threads {} --max-inflight {}\n",
             spec.name, spec.exit, spec.cut, spec.bodies.front().size(), o.conns, o.seconds,
             o.threads, o.max_inflight);
  std::fflush(stdout);
  ServeChild server(o, dir);

  edgent::net::ClientOptions copts;
  copts.port = server.port();
  copts.timeout = std::chrono::milliseconds(10000);
  copts.backoff_initial = std::chrono::milliseconds(10);
  copts.backoff_max = std::chrono::milliseconds(200);
  {
    // Warm-up: every body once, so that the segment nets are loaded before the clock starts.
    edgent::net::HttpClient warm(copts);
    for (const auto& body : spec.bodies) {
      const auto r = warm.post("/v1/infer", body);
      if (!r.ok()) {
        fmt::print("  warm-up request failed: {} {} {} {}\n", edgent::net::to_string(r.outcome),
                   r.status, r.error, r.body);
        return false;
      }
    }
  }

  std::atomic<bool> go{false};
  std::atomic<bool> measuring{false};
  std::atomic<bool> stop{false};
  std::vector<Tally> tallies(o.conns);
  std::vector<std::thread> clients;
  for (unsigned c = 0; c < o.conns; ++c) {
    clients.emplace_back([&, c] {
      Tally& t = tallies[c];
      t.latency_ms.reserve(4096);
      edgent::net::HttpClient client(copts);
      std::size_t next = c % spec.bodies.size();
      while (!go) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      while (!stop) {
        const bool counted = measuring;
        const auto start = Clock::now();
        const auto r = client.post("/v1/infer", spec.bodies[next]);
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        next = (next + 1) % spec.bodies.size();
        if (!counted) {
          if (r.outcome == edgent::net::Outcome::http_status && r.status == 503) {
            std::this_thread::sleep_for(std::chrono::milliseconds(o.busy_wait_ms));
          }
          continue;
        }
        ++t.requests;
        std::string error;
        if (r.ok()) {
          try {
            const auto reply = edgent::net::decode_tensor(r.body);
            if (reply.exit != spec.exit || reply.cut != spec.n) {
              error = "bad_reply";
            }
          } catch (const std::exception&) {
            error = "bad_reply";
          }
          if (error.empty()) {
            ++t.ok;
            t.latency_ms.push_back(static_cast<float>(ms));
            continue;
          }
        } else if (r.outcome == edgent::net::Outcome::http_status && r.status == 503) {
          ++t.busy;
          std::this_thread::sleep_for(std::chrono::milliseconds(o.busy_wait_ms));
          continue;
        } else if (r.outcome == edgent::net::Outcome::http_status) {
          error = fmt::format("http_{}", r.status);
        } else {
          error = std::string(edgent::net::to_string(r.outcome));
          // No connection: the client's backoff answers at once, so pace the retries.
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        ++t.errors[error];
        if (t.first_error.empty()) {
          t.first_error = fmt::format("{}: {} {}", error, r.error, r.body.substr(0, 200));
        }
      }
    });
  }

  // RSS each second from the start of the load, by this (the main) thread.
  std::vector<std::pair<double, double>> rss;  // (seconds since start, KiB)
  go = true;
  // Full concurrency before the clock starts, so that every worker has loaded its nets.
  std::this_thread::sleep_for(std::chrono::duration<double>(o.warmup_s));
  const auto t0 = Clock::now();
  measuring = true;
  const auto end = t0 + std::chrono::duration<double>(o.seconds);
  for (int i = 0;; ++i) {
    const auto at = t0 + std::chrono::seconds(i);
    if (at > end) {
      break;
    }
    std::this_thread::sleep_until(at);
    if (const auto kib = rss_kib(server.pid())) {
      rss.emplace_back(std::chrono::duration<double>(Clock::now() - t0).count(), *kib);
    }
  }
  std::this_thread::sleep_until(end);
  stop = true;
  for (auto& t : clients) {
    t.join();
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  if (const auto kib = rss_kib(server.pid())) {
    rss.emplace_back(elapsed, *kib);
  }
  const int server_code = server.stop();

  Tally all;
  for (auto& t : tallies) {
    all.merge(std::move(t));
  }
  const double window = std::min(10.0, o.seconds / 2.0);
  std::vector<double> first, last;
  for (const auto& [t, kib] : rss) {
    if (t <= window) {
      first.push_back(kib);
    }
    if (t >= elapsed - window) {
      last.push_back(kib);
    }
  }
  const double rss_first = mean_of(first);
  const double rss_last = mean_of(last);
  const bool have_rss = !first.empty() && !last.empty() && rss_first > 0;
  const double growth = have_rss ? (rss_last - rss_first) / rss_first * 100.0 : 0.0;
  long real_errors = 0;
  std::string error_list;
  for (const auto& [kind, count] : all.errors) {
    real_errors += count;
    error_list += fmt::format("{}{} {}", error_list.empty() ? "" : ", ", kind, count);
  }
  if (server_code != 0) {
    ++real_errors;
    error_list += fmt::format("{}server exit {}", error_list.empty() ? "" : ", ", server_code);
  }

  fmt::print("  requests     {} in {:.1f} s: {:.1f} req/s sent, {:.1f} req/s answered 200\n",
             all.requests, elapsed, static_cast<double>(all.requests) / elapsed,
             static_cast<double>(all.ok) / elapsed);
  fmt::print("  busy (503)   {} (intended: over --max-inflight {})\n", all.busy, o.max_inflight);
  fmt::print("  real errors  {}\n", error_list.empty() ? "none" : error_list);
  if (!all.first_error.empty()) {
    fmt::print("  first error  {}\n", all.first_error);
  }
  fmt::print("  latency ms   p50 {:.2f}  p95 {:.2f}  p99 {:.2f}  (200 answers, incl. queueing)\n",
             percentile(all.latency_ms, 0.50), percentile(all.latency_ms, 0.95),
             percentile(all.latency_ms, 0.99));
  if (have_rss) {
    fmt::print("  server RSS   first {:.0f} s {:.1f} MiB, last {:.0f} s {:.1f} MiB, growth {:+.2f}% "
               "({} samples)\n",
               window, rss_first / 1024.0, window, rss_last / 1024.0, growth, rss.size());
  } else {
    fmt::print("  server RSS   n/a (the server was gone for a whole window; {} samples)\n",
               rss.size());
  }
  const bool passed = real_errors == 0 && all.ok > 0 && have_rss && growth < o.max_rss_growth;
  fmt::print("  verdict      {}\n", passed ? "pass"
                                           : fmt::format("FAIL ({})",
                                                         real_errors > 0 ? "real errors"
                                                         : all.ok == 0   ? "nothing answered"
                                                         : !have_rss     ? "no RSS samples"
                                                                         : "RSS growth"));
  std::fflush(stdout);
  return passed;
}

int run_load(const LoadOptions& o) {
  if (!fs::exists(fs::path(o.data) / "t10k-images-idx3-ubyte.gz")) {
    fmt::print("edgent_load: skipped: no Fashion-MNIST test set in {}\n", o.data);
    return 0;
  }
  const auto card = edgent::model::read_model_card(o.model);
  edgent::model::SegmentRunner runner(
      edgent::model::OnnxGraph::from_file(edgent::model::onnx_path(card, o.model)), 1);
  const auto& exits = runner.partition().exits;
  const edgent::model::ExitChain& chain = exits.back();
  const int n = chain.size();
  std::vector<int> inner;
  for (const int c : chain.cut_points()) {
    if (c > 0 && c < n) {
      inner.push_back(c);
    }
  }
  if (inner.empty()) {
    throw edgent::ConfigError("the last exit has no cut point between input and output", o.model);
  }
  const int middle = inner[inner.size() / 2];

  const auto d = edgent::data::load_fashion_mnist(o.data, edgent::data::Split::test, o.images);
  const edgent::data::Normalization norm{card.norm_scale, card.norm_mean, card.norm_std};
  const auto set = edgent::eval::make_labelled_set(d, norm, runner.cut_shape(chain.exit, 0));

  std::vector<RunSpec> runs(2);
  runs[0] = {"edge-only", chain.exit, 0, n, {}};
  runs[1] = {"middle-cut", chain.exit, middle, n, {}};
  std::uint64_t id = 1;
  for (auto& run : runs) {
    for (const cv::Mat& image : set.images) {
      const cv::Mat head = run.cut == 0 ? image : runner.run(run.exit, 0, run.cut, image);
      run.bodies.push_back(edgent::net::encode_tensor(
          edgent::net::to_wire(head, id++, static_cast<std::uint16_t>(run.exit),
                               static_cast<std::uint16_t>(run.cut)),
          edgent::net::CodecSpec{}));
    }
  }

  const fs::path dir = fs::temp_directory_path() / fmt::format("edgent_load_{}", ::getpid());
  fs::create_directories(dir);
  bool passed = true;
  for (const auto& run : runs) {
    passed = run_once(o, run, dir) && passed;
  }
  fs::remove_all(dir);
  fmt::print("edgent_load: {}\n", passed ? "pass" : "FAIL");
  return passed ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
  LoadOptions o;
  CLI::App app{"Closed-loop load on the real edgent-serve over loopback"};
  app.add_option("--serve", o.serve_bin, "The edgent-serve binary")->required();
  app.add_option("--model", o.model, "Model card served and used to make the requests")
      ->capture_default_str();
  app.add_option("--data", o.data, "Fashion-MNIST directory (skip when missing)")
      ->capture_default_str();
  app.add_option("--conns", o.conns, "Client connections, one thread each")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1024u));
  app.add_option("--seconds", o.seconds, "Length of each run, s")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 86400.0));
  app.add_option("--threads", o.threads, "edgent-serve --threads")
      ->capture_default_str()
      ->check(CLI::Range(1u, 256u));
  app.add_option("--max-inflight", o.max_inflight, "edgent-serve --max-inflight")
      ->capture_default_str()
      ->check(CLI::Range(1u, 100000u));
  app.add_option("--busy-wait-ms", o.busy_wait_ms,
                 "A connection answered 503 waits this long before its next request")
      ->capture_default_str();
  app.add_option("--warmup", o.warmup_s,
                 "Seconds of full load before each run's clock starts (not counted)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--images", o.images, "Test images encoded as request bodies")
      ->capture_default_str()
      ->check(CLI::Range(1u, 10000u));
  app.add_option("--max-rss-growth", o.max_rss_growth,
                 "Fail when server RSS grows by this many percent or more")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    return run_load(o);
  } catch (const edgent::Error& e) {
    std::fprintf(stderr, "edgent_load: error: %s\n", e.message().c_str());
    return static_cast<int>(e.exit_code());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "edgent_load: error: %s\n", e.what());
    return 1;
  }
}
