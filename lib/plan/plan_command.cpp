#include "plan/plan_command.hpp"

#include "core/artifact.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/log.hpp"
#include "core/parse_number.hpp"
#include "data/trace.hpp"
#include "plan/cascade_plan.hpp"
#include "plan/measured_network.hpp"
#include "plan/plan_json.hpp"
#include "plan/sweep_json.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>

// Writes edgent.plan/1 (plan/plan_json.cpp) and edgent.sweep/1 (plan/sweep_json.cpp).

namespace edgent::plan {

namespace {

constexpr const char* kTool = "edgent-plan";

bool parse_double(std::string_view s, double& out) {
  const auto v = edgent::parse_double(s);
  out = v.value_or(0.0);
  return v.has_value();
}

Network make_network(const PlanOptions& o, double kbps) {
  Network n = offload_network(o.up_kbps > 0 ? o.up_kbps : kbps,
                              o.down_kbps > 0 ? o.down_kbps : kbps, o.rtt_ms, o.queue_ms);
  n.up_fixed_ms = o.up_fixed_ms;
  n.down_fixed_ms = o.down_fixed_ms;
  n.device_scale = o.device_scale;
  return n;
}

SweepRow sweep_row(const LatencyModel& model, double kbps, double deadline, Strategy s,
                   const Decision& d) {
  SweepRow row;
  row.bandwidth_kbps = kbps;
  row.deadline_ms = deadline;
  row.strategy = strategy_name(s);
  row.feasible = d.feasible;
  row.plan = to_record(model, d);
  row.predicted = d.predicted;
  row.reward = reward_of(model, d, deadline);
  return row;
}

std::string csv_cell(const nlohmann::json& v) {
  if (v.is_null()) {
    return "";
  }
  if (v.is_string()) {
    return v.get<std::string>();
  }
  if (v.is_boolean()) {
    return v.get<bool>() ? "1" : "0";
  }
  if (v.is_number_float()) {
    return fmt::format("{:.6g}", v.get<double>());
  }
  return v.dump();
}

int run_sweep(const PlanOptions& o, const LatencyModel& model, const SearchSpace& space,
              const std::string& model_sha) {
  std::vector<double> bws;
  if (!o.sweep_bandwidth.empty()) {
    bws = parse_range(o.sweep_bandwidth, /*geometric=*/true, "--sweep-bandwidth");
  } else {
    if (!(o.bandwidth_kbps > 0)) {
      throw UsageError("a deadline sweep needs --bandwidth");
    }
    bws = {o.bandwidth_kbps};
  }
  std::vector<double> deadlines;
  if (!o.sweep_deadline.empty()) {
    deadlines = parse_range(o.sweep_deadline, /*geometric=*/false, "--sweep-deadline");
  } else {
    if (!(o.deadline_ms > 0)) {
      throw UsageError("a bandwidth sweep needs --deadline");
    }
    deadlines = {o.deadline_ms};
  }
  constexpr double kMaxCells = 1e6;
  if (static_cast<double>(bws.size()) * static_cast<double>(deadlines.size()) > kMaxCells) {
    throw UsageError(fmt::format("the sweep has {} x {} points; at most {} are allowed",
                                 bws.size(), deadlines.size(), kMaxCells));
  }
  SweepArtifact sweep;
  sweep.rtt_ms = o.rtt_ms;
  sweep.edge_queue_ms = o.queue_ms;
  sweep.up_fixed_ms = o.up_fixed_ms;
  sweep.down_fixed_ms = o.down_fixed_ms;
  sweep.model_sha256 = model_sha;
  for (const double bw : bws) {
    for (const double dl : deadlines) {
      for (const Strategy s : all_strategies()) {
        const Decision d = decide(model, make_network(o, bw), dl, s, space);
        sweep.rows.push_back(sweep_row(model, bw, dl, s, d));
      }
    }
  }
  nlohmann::json doc = to_json(sweep);
  if (!o.csv.empty()) {
    const std::vector<std::string> cols{"bandwidth_kbps", "deadline_ms", "strategy", "feasible",
                                        "exit", "cut", "order", "codec", "accuracy", "device_ms",
                                        "edge_ms", "up_ms", "down_ms", "total_ms", "reward"};
    std::string text = fmt::format("{}\n", fmt::join(cols, ","));
    for (const auto& row : doc["rows"]) {
      std::vector<std::string> cells;
      for (const auto& c : cols) {
        cells.push_back(csv_cell(row[c]));
      }
      text += fmt::format("{}\n", fmt::join(cells, ","));
    }
    write_file_atomic(o.csv, text);
  }
  log::info("{} rows ({} bandwidths x {} deadlines x {} strategies)", doc["rows"].size(),
            bws.size(), deadlines.size(), all_strategies().size());
  write_artifact(o.output, std::move(doc), "sweep", kTool);
  return to_int(ExitCode::ok);
}

} // namespace

CascadeDecision plan_cascade(const LatencyModel& model, const Network& net, double deadline_ms,
                             const std::string& table_file, const std::string& model_sha256,
                             CascadeStatistic statistic, const SearchSpace& space) {
  const model::CascadeTable table = read_cascade_table_for(table_file, model_sha256, model.problem());
  return decide_cascade(model, net, deadline_ms, table, statistic, space);
}

PlanOptions with_measured_network(const PlanOptions& o) {
  const std::string& path = !o.network_profile.empty()  ? o.network_profile
                            : !o.inputs.device_profile.empty() ? o.inputs.device_profile
                                                               : o.inputs.edge_profile;
  if (path.empty()) {
    return o;
  }
  const auto measured = measured_network(read_artifact(path, "profile"));
  if (!measured) {
    if (!o.network_profile.empty()) {
      throw ConfigError("the profile has no network section; measure one with "
                        "edgent-profile --edge URL",
                        path, "network");
    }
    return o;
  }
  PlanOptions out = o;
  const std::string from = fmt::format("from {} (measured against {})", path, measured->edge);
  if (!o.rtt_set) {
    out.rtt_ms = measured->rtt_ms;
    log::verbose("rtt {:.3f} ms {}", out.rtt_ms, from);
  }
  out.up_fixed_ms = measured->up_fixed_ms();
  out.down_fixed_ms = measured->down_fixed_ms();
  log::verbose("fixed cost per transfer {:.3f} ms up, {:.3f} ms down {}", out.up_fixed_ms,
               out.down_fixed_ms, from);
  const bool sweep = !o.sweep_bandwidth.empty() || !o.sweep_deadline.empty();
  if (!sweep && !(o.bandwidth_kbps > 0) && !(o.up_kbps > 0) && !(o.down_kbps > 0) &&
      o.trace.empty()) {
    if (measured->up_kbps && measured->down_kbps) {
      out.up_kbps = *measured->up_kbps;
      out.down_kbps = *measured->down_kbps;
      log::verbose("bandwidth {:.0f} kbit/s up, {:.0f} kbit/s down {}", out.up_kbps,
                   out.down_kbps, from);
    } else {
      log::verbose("{} has no finite fitted rate: give the bandwidth", path);
    }
  }
  return out;
}

std::vector<double> parse_range(const std::string& text, bool geometric,
                                const std::string& option) {
  const auto a = text.find(':');
  const auto b = a == std::string::npos ? a : text.find(':', a + 1);
  double lo = 0;
  double hi = 0;
  double n = 0;
  if (b == std::string::npos || !parse_double(std::string_view(text).substr(0, a), lo) ||
      !parse_double(std::string_view(text).substr(a + 1, b - a - 1), hi) ||
      !parse_double(std::string_view(text).substr(b + 1), n) || n != std::floor(n) || n < 1 ||
      n > 100000 || !(lo > 0) || hi < lo) {
    throw UsageError(fmt::format(
        "{}: expected lo:hi:n with 0 < lo <= hi and a count n in 1..100000, got '{}'", option,
        text));
  }
  std::vector<double> out;
  const auto count = static_cast<int>(n);
  for (int i = 0; i < count; ++i) {
    const double f = count == 1 ? 0.0 : static_cast<double>(i) / (count - 1);
    out.push_back(geometric ? lo * std::pow(hi / lo, f) : lo + (hi - lo) * f);
  }
  return out;
}

int run(const PlanOptions& options) {
  const PlanOptions o = with_measured_network(options);
  const bool sweep = !o.sweep_bandwidth.empty() || !o.sweep_deadline.empty();
  if (!sweep && !(o.deadline_ms > 0)) {
    throw UsageError("--deadline must be > 0 ms");
  }
  const Strategy strategy = parse_strategy(o.strategy);
  const CascadeStatistic statistic = parse_cascade_statistic(o.cascade_latency);
  if (!o.cascades.empty() && (sweep || strategy != Strategy::edgent || o.time_decisions > 0)) {
    throw UsageError("--cascades plans one edgent plan: no sweep, other strategy or "
                     "--time-decisions");
  }
  if (o.cascades.empty() && o.cascade_latency != "mean") {
    throw UsageError("--cascade-latency needs --cascades");
  }
  const SearchSpace space = space_from_orders(o.inputs.orders);
  const LoadedProblem loaded = load_problem(o.inputs);
  const LatencyModel model(loaded.problem);
  if (sweep) {
    return run_sweep(o, model, space, loaded.model_sha256);
  }

  double kbps = o.bandwidth_kbps;
  if (!o.trace.empty()) {
    const data::Trace trace = data::read_trace(o.trace, o.scale);
    kbps = trace.at(o.at_s);
    log::verbose("{}: bandwidth at {} s: {} kbps", trace.path, o.at_s, kbps);
  } else if (!(kbps > 0) && !(o.up_kbps > 0 && o.down_kbps > 0)) {
    throw UsageError("give --bandwidth, --up and --down, --trace with --at, or a profile "
                     "with a network section (edgent-profile --edge)");
  }
  const Network net = make_network(o, kbps);
  Decision d;
  std::optional<CascadeDecision> cd;
  if (!o.cascades.empty()) {
    cd = plan_cascade(model, net, o.deadline_ms, o.cascades, loaded.model_sha256, statistic, space);
    d.found = true;
    d.feasible = cd->feasible;
    d.predicted = cd->expected;
    d.accuracy = cd->accuracy;
    log::verbose("cascade {} at cut {}: accuracy {:.4f}, expected {:.3f} ms, p95 {:.3f} ms",
                 model::cascade_to_string(cd->cascade), cd->cut, cd->accuracy,
                 cd->expected.total_ms, cd->p95_ms);
  } else {
    d = decide(model, net, o.deadline_ms, strategy, space);
  }

  if (o.time_decisions > 0) {
    const auto start = std::chrono::steady_clock::now();
    double sink = 0;
    for (long i = 0; i < o.time_decisions; ++i) {
      Network n = net;
      n.up_kbps *= 1.0 + 1e-9 * static_cast<double>(i % 7); // defeat hoisting
      sink += decide(model, n, o.deadline_ms, strategy, space).predicted.total_ms;
    }
    const double us = std::chrono::duration<double, std::micro>(
                          std::chrono::steady_clock::now() - start)
                          .count();
    std::size_t ncand = candidates(model, strategy, space).size();
    log::info("timed {} decisions over {} candidates: {:.3f} us/decision (checksum {:.3g})",
              o.time_decisions, ncand, us / static_cast<double>(o.time_decisions), sink);
  }

  PlanArtifact plan;
  plan.strategy = strategy_name(strategy);
  plan.feasible = d.feasible;
  plan.deadline_ms = o.deadline_ms;
  if (kbps > 0) {
    plan.bandwidth_kbps = kbps;  // else only up/down
  }
  plan.up_kbps = net.up_kbps;
  plan.down_kbps = net.down_kbps;
  plan.rtt_ms = net.rtt_ms;
  plan.edge_queue_ms = net.edge_queue_ms;
  plan.up_fixed_ms = net.up_fixed_ms;
  plan.down_fixed_ms = net.down_fixed_ms;
  plan.device_scale = net.device_scale;
  plan.model_sha256 = loaded.model_sha256;
  plan.accuracy_known = model.problem().accuracy_known();
  plan.plan = cd ? to_record(model, *cd, statistic) : to_record(model, d);
  plan.predicted = d.predicted;
  plan.reward = cd ? (cd->feasible ? reward(cd->accuracy, cd->latency(statistic), o.deadline_ms) : 0.0)
                   : reward_of(model, d, o.deadline_ms);
  write_artifact(o.output, to_json(plan), "plan", kTool);
  if (!d.feasible) {
    log::warn("no plan meets the {} ms deadline; wrote the fastest ({:.3f} ms), flagged "
              "infeasible",
              o.deadline_ms, cd ? cd->latency(statistic) : d.predicted.total_ms);
    return to_int(ExitCode::infeasible);
  }
  return to_int(ExitCode::ok);
}

} // namespace edgent::plan
