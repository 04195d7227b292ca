#include "plan/cascade_plan.hpp"

#include "core/artifact.hpp"
#include "core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

namespace edgent::plan {

namespace {

/// Every statistic and its name, in the enum's order: the one list the names come from.
constexpr std::array<std::pair<CascadeStatistic, const char*>, 3> kStatistics{{
    {CascadeStatistic::mean, "mean"},
    {CascadeStatistic::p95, "p95"},
    {CascadeStatistic::max, "max"},
}};

} // namespace

const char* cascade_statistic_name(CascadeStatistic s) {
  return kStatistics[static_cast<std::size_t>(s)].second;
}

const std::vector<std::string>& cascade_statistic_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& [statistic, name] : kStatistics) {
      n.emplace_back(name);
    }
    return n;
  }();
  return names;
}

std::optional<CascadeStatistic> find_cascade_statistic(const std::string& name) {
  for (const auto& [statistic, known] : kStatistics) {
    if (name == known) {
      return statistic;
    }
  }
  return std::nullopt;
}

CascadeStatistic parse_cascade_statistic(const std::string& name, const std::string& option) {
  if (const auto s = find_cascade_statistic(name)) {
    return *s;
  }
  throw UsageError(fmt::format("{}: expected mean, p95 or max, got '{}'", option, name));
}

std::optional<CascadeShape> cascade_shape(const PlanProblem& problem,
                                          const model::Cascade& cascade) {
  CascadeShape shape;
  for (const int exit : cascade.exits) {
    const auto it = std::find_if(problem.exits.begin(), problem.exits.end(),
                                 [&](const ExitCosts& e) { return e.exit == exit; });
    if (it == problem.exits.end()) {
      return std::nullopt;
    }
    shape.exit_index.push_back(static_cast<int>(it - problem.exits.begin()));
  }
  const ExitCosts& last = problem.exits[static_cast<std::size_t>(shape.exit_index.back())];
  const auto is_cut = [](const ExitCosts& e, int c) {
    return std::binary_search(e.cuts.begin(), e.cuts.end(), c);
  };
  for (std::size_t i = 0; i + 1 < shape.exit_index.size(); ++i) {
    const ExitCosts& own = problem.exits[static_cast<std::size_t>(shape.exit_index[i])];
    if (own.unit_names.empty() || last.unit_names.empty()) {
      return std::nullopt;
    }
    const int b = model::shared_prefix(own.unit_names, last.unit_names);
    if (b < 1 || b >= own.units() || !is_cut(own, b) || !is_cut(last, b) ||
        (!shape.branch.empty() && b < shape.branch.back())) {
      return std::nullopt;
    }
    shape.branch.push_back(b);
  }
  shape.branch.push_back(last.units());
  return shape;
}

namespace {

bool lossless(const Codec& c) { return c.name == "fp32" || c.name == "fp32+zstd"; }

} // namespace

CascadeDecision evaluate_cascade(const LatencyModel& model, const Network& net,
                                 const model::CascadeRecord& record, const CascadeShape& shape,
                                 int cut, int codec) {
  CascadeDecision d;
  d.cascade = record.cascade;
  d.shape = shape;
  d.cut = cut;
  d.codec = codec;
  d.accuracy = record.accuracy;
  d.leave = record.leave;
  d.found = true;
  std::vector<std::pair<double, double>> dist; // (total ms, P)
  for (std::size_t i = 0; i < shape.exit_index.size(); ++i) {
    const Breakdown b = model.cascade_latency(shape, cut, codec, i, net);
    d.per_exit.push_back(b);
    d.max_ms = std::max(d.max_ms, b.total_ms);
    const double p = record.leave[i];
    d.expected.device_ms += p * b.device_ms;
    d.expected.codec_ms += p * b.codec_ms;
    d.expected.edge_ms += p * b.edge_ms;
    d.expected.up_ms += p * b.up_ms;
    d.expected.down_ms += p * b.down_ms;
    // An exit nobody leaves at costs nothing, even over a dead link.
    if (p > 0) {
      d.expected.total_ms += p * b.total_ms;
      dist.emplace_back(b.total_ms, p);
    }
  }
  std::sort(dist.begin(), dist.end());
  double cumulative = 0;
  for (const auto& [ms, p] : dist) {
    cumulative += p;
    d.p95_ms = ms;
    if (cumulative >= 0.95 - 1e-12) {
      break;
    }
  }
  return d;
}

namespace {

constexpr const char* kNoCascadeFits = "no cascade of the table fits the model's chains";

void require_unit_names(const PlanProblem& problem) {
  if (std::any_of(problem.exits.begin(), problem.exits.end(),
                  [](const ExitCosts& e) { return e.unit_names.empty(); })) {
    throw ConfigError("cascades need the model's unit names (an ONNX model, or named units in "
                      "a hand-made card's chains)",
                      "model", "exits");
  }
}

} // namespace

CascadeDecision decide_cascade(const LatencyModel& model, const Network& net, double deadline_ms,
                               const model::CascadeTable& table, CascadeStatistic statistic,
                               const SearchSpace& space) {
  const PlanProblem& problem = model.problem();
  require_unit_names(problem);
  std::vector<int> codecs;
  for (std::size_t k = 0; k < problem.codecs.size(); ++k) {
    if (lossless(problem.codecs[k])) {
      codecs.push_back(static_cast<int>(k));
    }
  }
  CascadeDecision best;
  const auto better = [&](const CascadeDecision& a, const CascadeDecision& b) {
    if (!b.found) {
      return true;
    }
    const double la = a.latency(statistic);
    const double lb = b.latency(statistic);
    if (a.feasible != b.feasible) {
      return a.feasible;
    }
    if (!a.feasible) {
      return la < lb;
    }
    if (a.accuracy != b.accuracy) {
      return a.accuracy > b.accuracy;
    }
    return la < lb;
  };
  for (const model::CascadeRecord& record : table.entries) {
    const std::optional<CascadeShape> shape = cascade_shape(problem, record.cascade);
    if (!shape) {
      continue;
    }
    const ExitCosts& last = problem.exits[static_cast<std::size_t>(shape->exit_index.back())];
    for (const int cut : last.cuts) {
      const bool offload = cut < last.units();
      if (offload && !space.device_first) {
        continue;
      }
      for (const int codec : offload ? codecs : std::vector<int>{-1}) {
        CascadeDecision d = evaluate_cascade(model, net, record, *shape, cut, codec);
        const double l = d.latency(statistic);
        d.feasible = std::isfinite(l) && l <= deadline_ms;
        if (better(d, best)) {
          best = std::move(d);
        }
      }
    }
  }
  if (!best.found) {
    throw ConfigError(kNoCascadeFits, {}, "entries");
  }
  return best;
}

PlanRecord to_record(const LatencyModel& model, const CascadeDecision& d,
                     CascadeStatistic statistic) {
  const PlanProblem& p = model.problem();
  PlanRecord r;
  r.exit = d.cascade.final_exit();
  r.cut = d.cut;
  r.order = Order::device_first;
  r.codec = d.codec < 0 ? "none" : p.codecs[static_cast<std::size_t>(d.codec)].name;
  r.accuracy = d.accuracy;
  if (!d.cascade.fixed()) {
    CascadePlan c;
    c.cascade = d.cascade;
    c.leave = d.leave;
    for (const Breakdown& b : d.per_exit) {
      c.latency_ms.push_back(b.total_ms);
    }
    c.statistic = cascade_statistic_name(statistic);
    c.expected_ms = d.expected.total_ms;
    c.p95_ms = d.p95_ms;
    r.cascade = std::move(c);
  }
  return r;
}

model::CascadeTable read_cascade_table_for(const std::string& file,
                                           const std::string& model_sha256,
                                           const PlanProblem& problem) {
  const Artifact art = read_artifact(file, "cascade");
  model::CascadeTable table = model::read_cascade_table(art);
  if (table.model_sha256 != model_sha256) {
    throw ConfigError(fmt::format("measured on model {}, not {}: measure it with edgent-eval "
                                  "--cascades",
                                  table.model_sha256, model_sha256),
                      art.file, "model_sha256");
  }
  require_unit_names(problem);
  if (std::none_of(table.entries.begin(), table.entries.end(), [&](const model::CascadeRecord& r) {
        return cascade_shape(problem, r.cascade).has_value();
      })) {
    throw ConfigError(kNoCascadeFits, art.file, "entries");
  }
  return table;
}

} // namespace edgent::plan
