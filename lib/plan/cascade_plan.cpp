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

namespace {

/// A cascade's latency statistics from each exit's total latency and P(leave there), in the
/// cascade's order; @p dist is scratch space. The one place they are computed, so that the
/// search and evaluate_cascade agree to the bit.
struct CascadeStats {
  double mean = 0;
  double p95 = 0;
  double max = 0;
};

/// The mean alone, which the search needs without the sort: Σ P(leave) x latency over the
/// exits some input leaves at (an exit nobody leaves at costs nothing, even over a dead link).
double mean_of(const std::vector<double>& total, const std::vector<double>& leave) {
  double mean = 0;
  for (std::size_t i = 0; i < total.size(); ++i) {
    if (leave[i] > 0) {
      mean += leave[i] * total[i];
    }
  }
  return mean;
}

CascadeStats cascade_stats(const std::vector<double>& total, const std::vector<double>& leave,
                           std::vector<std::pair<double, double>>& dist) {
  CascadeStats s;
  s.mean = mean_of(total, leave);
  dist.clear();
  for (std::size_t i = 0; i < total.size(); ++i) {
    s.max = std::max(s.max, total[i]);
    if (leave[i] > 0) {
      dist.emplace_back(total[i], leave[i]);
    }
  }
  std::sort(dist.begin(), dist.end());
  double cumulative = 0;
  for (const auto& [ms, p] : dist) {
    cumulative += p;
    s.p95 = ms;
    if (cumulative >= 0.95 - 1e-12) {
      break;
    }
  }
  return s;
}

double stat_of(const CascadeStats& s, CascadeStatistic statistic) {
  switch (statistic) {
  case CascadeStatistic::mean:
    return s.mean;
  case CascadeStatistic::p95:
    return s.p95;
  case CascadeStatistic::max:
    break;
  }
  return s.max;
}

} // namespace

namespace {

/// The decision for @p record at (@p cut, @p codec) with its exits' breakdowns @p per_exit.
CascadeDecision make_decision(const model::CascadeRecord& record, const CascadeShape& shape,
                              int cut, int codec, std::vector<Breakdown> per_exit) {
  CascadeDecision d;
  d.cascade = record.cascade;
  d.shape = shape;
  d.cut = cut;
  d.codec = codec;
  d.accuracy = record.accuracy;
  d.leave = record.leave;
  d.found = true;
  d.per_exit = std::move(per_exit);
  std::vector<double> total;
  for (std::size_t i = 0; i < d.per_exit.size(); ++i) {
    const Breakdown& b = d.per_exit[i];
    total.push_back(b.total_ms);
    const double p = record.leave[i];
    d.expected.device_ms += p * b.device_ms;
    d.expected.codec_ms += p * b.codec_ms;
    d.expected.edge_ms += p * b.edge_ms;
    d.expected.up_ms += p * b.up_ms;
    d.expected.down_ms += p * b.down_ms;
  }
  std::vector<std::pair<double, double>> dist;
  const CascadeStats s = cascade_stats(total, record.leave, dist);
  d.expected.total_ms = s.mean;
  d.p95_ms = s.p95;
  d.max_ms = s.max;
  return d;
}

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

CascadeDecision evaluate_cascade(const LatencyModel& model, const Network& net,
                                 const model::CascadeRecord& record, const CascadeShape& shape,
                                 int cut, int codec) {
  std::vector<Breakdown> per_exit;
  for (std::size_t i = 0; i < shape.exit_index.size(); ++i) {
    per_exit.push_back(model.cascade_latency(shape, cut, codec, i, net));
  }
  return make_decision(record, shape, cut, codec, std::move(per_exit));
}

CascadeCandidates::CascadeCandidates(const LatencyModel& model, const model::CascadeTable& table,
                                     const SearchSpace& space) {
  const PlanProblem& problem = model.problem();
  require_unit_names(problem);
  std::vector<int> codecs;
  for (std::size_t k = 0; k < problem.codecs.size(); ++k) {
    if (lossless(problem.codecs[k])) {
      codecs.push_back(static_cast<int>(k));
    }
  }
  const std::vector<int> device_only{-1};
  std::vector<std::size_t> order(table.entries.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return table.entries[a].accuracy > table.entries[b].accuracy;
  });
  for (const std::size_t index : order) {
    const model::CascadeRecord& record = table.entries[index];
    std::optional<CascadeShape> shape = cascade_shape(problem, record.cascade);
    if (!shape) {
      continue;
    }
    Entry entry;
    entry.first = m_candidates.size();
    const ExitCosts& last = problem.exits[static_cast<std::size_t>(shape->exit_index.back())];
    for (const int cut : last.cuts) {
      const bool offload = cut < last.units();
      if (offload && !space.device_first) {
        continue;
      }
      for (const int codec : offload ? codecs : device_only) {
        m_candidates.push_back(Candidate{cut, codec, m_terms.size()});
        for (std::size_t i = 0; i < shape->exit_index.size(); ++i) {
          m_terms.push_back(model.cascade_terms(*shape, cut, codec, i));
        }
      }
    }
    entry.end = m_candidates.size();
    if (entry.end == entry.first) {
      continue;
    }
    entry.record = record;
    entry.shape = std::move(*shape);
    m_entries.push_back(std::move(entry));
  }
  if (m_entries.empty()) {
    throw ConfigError(kNoCascadeFits, {}, "entries");
  }
}

CascadeDecision CascadeCandidates::decide(const Network& net, double deadline_ms,
                                          CascadeStatistic statistic) const {
  // Entries are visited by accuracy, highest first: once a plan is feasible, no entry of
  // lower accuracy can beat it.
  struct Best {
    const Entry* entry = nullptr;
    const Candidate* candidate = nullptr;
    double latency = 0;
    bool feasible = false;
  } best;
  std::vector<double> total;
  std::vector<std::pair<double, double>> dist;
  for (const Entry& entry : m_entries) {
    const model::CascadeRecord& record = entry.record;
    if (best.entry && best.feasible && record.accuracy < best.entry->record.accuracy) {
      break;
    }
    const std::size_t exits = entry.shape.exit_index.size();
    for (std::size_t c = entry.first; c < entry.end; ++c) {
      const Candidate& candidate = m_candidates[c];
      total.clear();
      for (std::size_t i = 0; i < exits; ++i) {
        total.push_back(cascade_breakdown(m_terms[candidate.terms + i], net).total_ms);
      }
      const double l = statistic == CascadeStatistic::mean
                           ? mean_of(total, record.leave)
                           : stat_of(cascade_stats(total, record.leave, dist), statistic);
      const bool feasible = std::isfinite(l) && l <= deadline_ms;
      // Feasible first; among feasible the highest accuracy, then the lowest statistic;
      // among infeasible the lowest statistic, then the highest accuracy; the first seen
      // on a full tie.
      bool better = !best.entry;
      if (!better) {
        const double best_accuracy = best.entry->record.accuracy;
        if (feasible != best.feasible) {
          better = feasible;
        } else if (feasible && record.accuracy != best_accuracy) {
          better = record.accuracy > best_accuracy;
        } else if (l != best.latency) {
          better = l < best.latency;
        } else {
          better = record.accuracy > best_accuracy;
        }
      }
      if (better) {
        best = Best{&entry, &candidate, l, feasible};
      }
    }
  }
  const Entry& entry = *best.entry;
  const Candidate& candidate = *best.candidate;
  std::vector<Breakdown> per_exit;
  for (std::size_t i = 0; i < entry.shape.exit_index.size(); ++i) {
    per_exit.push_back(cascade_breakdown(m_terms[candidate.terms + i], net));
  }
  CascadeDecision d =
      make_decision(entry.record, entry.shape, candidate.cut, candidate.codec, std::move(per_exit));
  d.feasible = best.feasible;
  return d;
}

CascadeDecision decide_cascade(const LatencyModel& model, const Network& net, double deadline_ms,
                               const model::CascadeTable& table, CascadeStatistic statistic,
                               const SearchSpace& space) {
  return CascadeCandidates(model, table, space).decide(net, deadline_ms, statistic);
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
