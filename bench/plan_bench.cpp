// plan_bench: what planning costs per request, as edgent-infer plans each request from the
// fits (--device-fit/--edge-fit, with --cascades the whole cascade table). Times, per
// bandwidth, the fixed-exit search (plan::decide) and the cascade search
// as edgent-infer runs it (plan::CascadeCandidates::decide over candidates prepared once),
// and beside it, in the same run, plan::decide_cascade (which prepares them in each call) and
// the plain exhaustive cascade search (plan::evaluate_cascade on every cascade, cut and codec,
// as the search was first written), checking that all pick the same plan. Prints the median
// of --calls calls, µs.
//
//   plan_bench --model M --accuracy A --device-fit D --edge-fit E --cascades C
//              [--deadline MS (20)] [--bandwidths "50 250 1500"] [--rtt MS (0.2)]
//              [--device-scale K (1)] [--calls N (200)]
#include "bench_common.hpp"

#include "core/artifact.hpp"
#include "core/error.hpp"
#include "plan/cascade_plan.hpp"
#include "plan/latency_model.hpp"
#include "plan/planner.hpp"
#include "plan/problem_from_artifacts.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace edgent;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <typename F> double median_us(int calls, F&& f) {
  std::vector<double> us;
  for (int i = 0; i < calls; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
                     .count());
  }
  return median(std::move(us));
}

/// The cascade search as first written: every cascade, cut and lossless codec through
/// evaluate_cascade in the table's order, the best by the same order as decide_cascade.
plan::CascadeDecision exhaustive(const plan::LatencyModel& model, const plan::Network& net,
                                 double deadline, const model::CascadeTable& table) {
  const plan::PlanProblem& problem = model.problem();
  std::vector<int> codecs;
  for (std::size_t k = 0; k < problem.codecs.size(); ++k) {
    if (problem.codecs[k].name == "fp32" || problem.codecs[k].name == "fp32+zstd") {
      codecs.push_back(static_cast<int>(k));
    }
  }
  plan::CascadeDecision best;
  for (const model::CascadeRecord& record : table.entries) {
    const auto shape = plan::cascade_shape(problem, record.cascade);
    if (!shape) {
      continue;
    }
    const plan::ExitCosts& last = problem.exits[static_cast<std::size_t>(shape->exit_index.back())];
    for (const int cut : last.cuts) {
      const bool offload = cut < last.units();
      for (const int codec : offload ? codecs : std::vector<int>{-1}) {
        plan::CascadeDecision d = plan::evaluate_cascade(model, net, record, *shape, cut, codec);
        const double l = d.expected.total_ms;
        d.feasible = std::isfinite(l) && l <= deadline;
        const double lb = best.expected.total_ms;
        bool better = !best.found;
        if (!better) {
          if (d.feasible != best.feasible) {
            better = d.feasible;
          } else if (d.feasible && d.accuracy != best.accuracy) {
            better = d.accuracy > best.accuracy;
          } else if (l != lb) {
            better = l < lb;
          } else {
            better = d.accuracy > best.accuracy;
          }
        }
        if (better) {
          best = std::move(d);
        }
      }
    }
  }
  return best;
}

} // namespace

int main(int argc, char** argv) {
  plan::ModelInputs in;
  std::string cascades;
  double deadline = 20, rtt = 0.2, scale = 1;
  std::string bandwidths = "50 250 1500";
  int calls = 200;
  const int rc = bench::parse_options(
      "plan_bench", argc, argv,
      {{"--model", [&](const std::string& v) { in.model = v; }},
       {"--accuracy", [&](const std::string& v) { in.accuracy = v; }},
       {"--device-fit", [&](const std::string& v) { in.device_fit = v; }},
       {"--edge-fit", [&](const std::string& v) { in.edge_fit = v; }},
       {"--cascades", [&](const std::string& v) { cascades = v; }},
       {"--deadline", [&](const std::string& v) { deadline = std::stod(v); }},
       {"--bandwidths", [&](const std::string& v) { bandwidths = v; }},
       {"--rtt", [&](const std::string& v) { rtt = std::stod(v); }},
       {"--device-scale", [&](const std::string& v) { scale = std::stod(v); }},
       {"--calls", [&](const std::string& v) { calls = std::max(1, std::stoi(v)); }}});
  if (rc != 0) {
    return rc;
  }
  if (in.model.empty() || in.device_fit.empty() || in.edge_fit.empty() || cascades.empty()) {
    std::fprintf(stderr, "plan_bench: --model, --device-fit, --edge-fit and --cascades are "
                         "required\n");
    return 2;
  }
  try {
    const plan::LoadedProblem loaded = plan::load_problem(in);
    const plan::LatencyModel model(loaded.problem);
    const model::CascadeTable table =
        plan::read_cascade_table_for(cascades, loaded.model_sha256, model.problem());
    std::optional<plan::CascadeCandidates> candidates;
    const double prepare_us = median_us(calls, [&] { candidates.emplace(model, table); });
    std::printf("plan_bench: %zu cascade entries, %zu candidates (prepared once in %.1f us), "
                "deadline %g ms, RTT %g ms, device scale %g, median of %d calls\n",
                table.entries.size(), candidates->size(), prepare_us, deadline, rtt, scale,
                calls);
    std::printf("%8s %14s %16s %18s %19s %8s %s\n", "kbit/s", "fixed exits us",
                "cascade search us", "decide_cascade us", "exhaustive search us", "ratio",
                "same plan");
    std::istringstream list(bandwidths);
    double kbps = 0;
    bool all_same = true;
    while (list >> kbps) {
      plan::Network net;
      net.up_kbps = net.down_kbps = kbps;
      net.rtt_ms = rtt;
      net.device_scale = scale;
      net.up_overhead_bytes = plan::kOffloadUpOverheadBytes;
      net.down_overhead_bytes = plan::kOffloadDownOverheadBytes;
      const double fixed_us = median_us(calls, [&] {
        (void)plan::decide(model, net, deadline, plan::Strategy::edgent);
      });
      plan::CascadeDecision fast, once, slow;
      // Alternate the searches call by call so that drift hits them alike.
      std::vector<double> fast_us, once_us, slow_us;
      for (int i = 0; i < calls; ++i) {
        fast_us.push_back(median_us(1, [&] {
          fast = candidates->decide(net, deadline, plan::CascadeStatistic::mean);
        }));
        once_us.push_back(median_us(1, [&] {
          once = plan::decide_cascade(model, net, deadline, table, plan::CascadeStatistic::mean);
        }));
        slow_us.push_back(median_us(1, [&] { slow = exhaustive(model, net, deadline, table); }));
      }
      const auto same_plan = [](const plan::CascadeDecision& a, const plan::CascadeDecision& b) {
        return a.cascade.exits == b.cascade.exits &&
               a.cascade.thresholds == b.cascade.thresholds && a.cut == b.cut &&
               a.codec == b.codec && a.expected.total_ms == b.expected.total_ms;
      };
      const bool same = same_plan(fast, slow) && same_plan(once, slow);
      all_same = all_same && same;
      const double f = median(fast_us), o = median(once_us), s = median(slow_us);
      std::printf("%8g %14.1f %16.1f %18.1f %19.1f %8.1f %s\n", kbps, fixed_us, f, o, s, s / f,
                  same ? "yes" : "NO");
    }
    return all_same ? 0 : 1;
  } catch (const Error& e) {
    std::fprintf(stderr, "plan_bench: error: %s\n", e.what());
    return 1;
  }
}
