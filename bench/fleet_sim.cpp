// Fleet simulation: many devices and several edges over the fitted latency model, with
// queueing (lib/plan/fleet_sim: the runtime's plan search and queue estimate, leastconn
// dispatch as HAProxy's, each edge's service time from its fit on --workers workers).
//
// For every (devices, edges) of --devices x --edges it simulates --seconds of requests at
// --rate per device and prints throughput, deadline-miss rate, on-time accuracy (expected: the
// plans' accuracies), the fraction offloaded, 503 fallbacks, the edges' mean and p95 wait and
// their utilisation. With --measured grid.csv (experiments/scale.sh grid) it prints the
// measured cell beside each simulated one that both cover. With --residuals RECORDS (an
// edgent-infer -o run of one device on an idle edge) each simulated request's device, edge
// and link parts are scaled by ratios measured / predicted drawn from those records, so the
// simulation carries the latency model's error on the machine that ran them.
//
// Usage: fleet_sim --model CARD [--accuracy TABLE] --device-fit FIT --edge-fit FIT
//                  --deadline MS (--bandwidth KBPS | --trace CSV [--trace-scale K]) [--rtt MS]
//                  [--rate R] [--seconds S] [--devices "1 8 32 64"] [--edges "1 2 3"]
//                  [--workers W] [--max-queue Q] [--load-blind] [--poisson] [--seed N]
//                  [--measured grid.csv] [--residuals RECORDS]... [--csv out.csv]
// Exits 2 on bad arguments or artifacts, 1 on other failures.

#include "core/error.hpp"
#include "data/trace.hpp"
#include "plan/fleet_sim.hpp"
#include "plan/model_input_options.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

struct SimOptions {
  edgent::plan::ModelInputs inputs;
  edgent::plan::FleetOptions fleet;
  std::string trace;
  std::vector<int> devices{1, 8, 32, 64};
  std::vector<int> edges{1, 2, 3};
  bool load_blind = false;
  std::string measured;
  std::vector<std::string> residuals;
  std::string csv;
};

/// A measured cell of experiments/scale.sh grid: throughput, miss rate, on-time accuracy,
/// fraction offloaded.
struct Measured {
  double req_s = 0, miss = 0, on_time = 0, offloaded = 0;
};

std::map<std::pair<int, int>, Measured> read_measured(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    throw edgent::IoError("cannot read", path);
  }
  std::map<std::pair<int, int>, Measured> cells;
  std::string line;
  std::getline(in, line);  // header
  int row = 1;
  while (std::getline(in, line)) {
    ++row;
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string v; std::getline(ss, v, ',');) {
      f.push_back(v);
    }
    try {
      if (f.size() < 7) {
        throw std::invalid_argument("short");
      }
      cells[{std::stoi(f[0]), std::stoi(f[1])}] = {std::stod(f[3]), std::stod(f[4]),
                                                   std::stod(f[5]), std::stod(f[6])};
    } catch (const std::exception&) {
      throw edgent::SchemaError(fmt::format("line {}: expected devices,edges,requests,req_s,"
                                            "miss_rate,on_time_accuracy,offloaded,...",
                                            row),
                                path);
    }
  }
  return cells;
}

int run(SimOptions& o) {
  using namespace edgent::plan;
  const LatencyModel model(load_problem(o.inputs).problem);
  if (!o.trace.empty()) {
    o.fleet.trace = edgent::data::read_trace(o.trace).points();
  }
  o.fleet.load_aware = !o.load_blind;
  for (const std::string& path : o.residuals) {
    std::ifstream in(path);
    if (!in) {
      throw edgent::IoError("cannot read", path);
    }
    const Residuals r = read_residuals(in, path);
    auto& all = o.fleet.residuals.requests;
    all.insert(all.end(), r.requests.begin(), r.requests.end());
  }
  if (!o.residuals.empty()) {
    double device = 0, edge = 0, link = 0;
    for (const Residual& x : o.fleet.residuals.requests) {
      device += x.device;
      edge += x.edge;
      link += x.link;
    }
    const double n = static_cast<double>(o.fleet.residuals.requests.size());
    fmt::print("residuals (measured / predicted, one request's drawn per request): {} requests, "
               "mean device {:.3f}, edge {:.3f}, link {:.3f}\n",
               o.fleet.residuals.requests.size(), device / n, edge / n, link / n);
    std::fflush(stdout);
  }
  const auto measured = o.measured.empty() ? std::map<std::pair<int, int>, Measured>{}
                                           : read_measured(o.measured);
  std::ofstream csv;
  if (!o.csv.empty()) {
    csv.open(o.csv);
    if (!csv) {
      throw edgent::IoError("cannot write", o.csv);
    }
    csv << "devices,edges,requests,req_s,miss_rate,on_time_accuracy,offloaded,busy_fallbacks,"
           "mean_wait_ms,p95_wait_ms,edge_utilization\n";
  }
  fmt::print("{:>7} {:>5} {:>9} {:>8} {:>6} {:>8} {:>9} {:>6} {:>8} {:>8} {:>6}", "devices",
             "edges", "requests", "req/s", "miss", "on-time", "offloaded", "503s", "wait-ms",
             "p95-wait", "util");
  fmt::print("{}\n", measured.empty() ? "" : "   | measured: req/s   miss  on-time offloaded");
  for (const int d : o.devices) {
    for (const int n : o.edges) {
      FleetOptions f = o.fleet;
      f.devices = d;
      f.pool.edges = n;
      const FleetResult r = simulate_fleet(model, f);
      fmt::print("{:>7} {:>5} {:>9} {:>8.1f} {:>5.1f}% {:>7.1f}% {:>8.1f}% {:>6} {:>8.2f} {:>8.2f} "
                 "{:>5.0f}%",
                 d, n, r.requests, r.throughput_rps, r.miss_rate * 100, r.on_time_accuracy * 100,
                 r.offloaded * 100, r.busy_fallbacks, r.mean_wait_ms, r.p95_wait_ms,
                 r.edge_utilization * 100);
      if (const auto m = measured.find({d, n}); m != measured.end()) {
        fmt::print("   |        {:>8.1f} {:>5.1f}% {:>7.1f}% {:>8.1f}%", m->second.req_s,
                   m->second.miss * 100, m->second.on_time * 100, m->second.offloaded * 100);
      }
      fmt::print("\n");
      if (csv) {
        csv << fmt::format("{},{},{},{},{},{},{},{},{},{},{}\n", d, n, r.requests,
                           r.throughput_rps, r.miss_rate, r.on_time_accuracy, r.offloaded,
                           r.busy_fallbacks, r.mean_wait_ms, r.p95_wait_ms, r.edge_utilization);
      }
    }
  }
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  SimOptions o;
  CLI::App app{"Fleet simulation over the fitted latency model: devices x edges with queueing"};
  app.add_option("--model", o.inputs.model, "Model card (edgent.model/1)")->required();
  app.add_option("--accuracy", o.inputs.accuracy, "Accuracy table (edgent.accuracy/1)");
  app.add_option("--device-fit", o.inputs.device_fit, "Device fit (edgent.fit/1)")->required();
  app.add_option("--edge-fit", o.inputs.edge_fit, "Edge fit (edgent.fit/1)")->required();
  app.add_option("--deadline", o.fleet.deadline_ms, "Deadline, ms")->required();
  auto* bw = app.add_option("--bandwidth", o.fleet.kbps, "The link, kbit/s both ways");
  auto* tr = app.add_option("--trace", o.trace, "A bandwidth trace each device replays");
  bw->excludes(tr);
  app.add_option("--trace-scale", o.fleet.trace_scale, "Factor on the trace's rates")
      ->capture_default_str();
  app.add_option("--rtt", o.fleet.rtt_ms, "Round-trip time, ms")->capture_default_str();
  app.add_option("--rate", o.fleet.rate_hz, "Requests per second per device")
      ->capture_default_str();
  app.add_option("--seconds", o.fleet.seconds, "Length of each device's request stream, s")
      ->capture_default_str();
  app.add_option("--devices", o.devices, "Device counts")->delimiter(' ')->capture_default_str();
  app.add_option("--edges", o.edges, "Edge counts")->delimiter(' ')->capture_default_str();
  app.add_option("--workers", o.fleet.pool.workers, "Workers per edge (edgent-serve --threads)")
      ->capture_default_str();
  app.add_option("--max-queue", o.fleet.pool.max_queue,
                 "Requests waiting per edge before a 503 (edgent-serve --max-queue; 0 = no cap)")
      ->capture_default_str();
  app.add_flag("--load-blind", o.load_blind, "Plan at --queue always (edgent-infer "
                                             "--no-queue-estimate)");
  app.add_option("--queue", o.fleet.queue_prior_ms, "The queue estimate's prior, ms")
      ->capture_default_str();
  app.add_flag("--poisson", o.fleet.poisson, "Exponential gaps instead of 1 / rate");
  app.add_option("--seed", o.fleet.seed, "Random seed (device phases, Poisson gaps)")
      ->capture_default_str();
  app.add_option("--measured", o.measured, "experiments/scale.sh's grid.csv, printed beside");
  app.add_option("--residuals", o.residuals,
                 "edgent-infer records (one device, an idle edge) whose measured / predicted "
                 "ratios scale each simulated request's parts");
  app.add_option("--csv", o.csv, "Write the simulated cells as CSV");
  try {
    app.parse(argc, argv);
    if (bw->count() == 0 && tr->count() == 0) {
      throw CLI::RequiredError("--bandwidth or --trace");
    }
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    return run(o);
  } catch (const edgent::Error& e) {
    fmt::print(stderr, "fleet_sim: error: {}\n", e.message());
    return static_cast<int>(e.exit_code());
  } catch (const std::exception& e) {
    fmt::print(stderr, "fleet_sim: error: {}\n", e.what());
    return 1;
  }
}
