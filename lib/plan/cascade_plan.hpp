#pragma once

#include "model/cascade_json.hpp"
#include "plan/latency_model.hpp"
#include "plan/plan_json.hpp"
#include "plan/planner.hpp"

#include <optional>
#include <string>
#include <vector>

namespace edgent::plan {

/// Which statistic of a cascade's latency distribution over its exits must meet the deadline.
enum class CascadeStatistic {
  mean, ///< sum over exits of P(leave there) x latency to there
  p95,  ///< the smallest exit latency whose cumulative P(leave) reaches 0.95
  /// the slowest exit's latency, whatever its P(leave): every input meets the deadline. The
  /// mean lets the inputs that go on to late exits miss it; the p95 lets a cascade send up
  /// to 5 % of them over a link that takes seconds.
  max
};

/// "mean" / "p95" / "max".
const char* cascade_statistic_name(CascadeStatistic s);
/// Every statistic's name, in the enum's order (for option checks).
const std::vector<std::string>& cascade_statistic_names();
/// The statistic named @p name; empty for any other name.
std::optional<CascadeStatistic> find_cascade_statistic(const std::string& name);
/// Parses "mean", "p95" or "max"; throws UsageError naming @p option for anything else.
CascadeStatistic parse_cascade_statistic(const std::string& name,
                                         const std::string& option = "--cascade-latency");

/// The layout of @p cascade on @p problem's chains (by unit names, as model::cascade_layout).
/// Empty when an exit is unknown, the chains carry no unit names, or the exits do not branch
/// off the final chain in order at cut points.
std::optional<CascadeShape> cascade_shape(const PlanProblem& problem, const model::Cascade& cascade);

/// One planned cascade: the table's cascade, the cut of its final chain and the codec.
struct CascadeDecision {
  model::Cascade cascade;
  CascadeShape shape;
  int cut = 0;                    ///< cut of the final exit's chain
  int codec = -1;                 ///< index into PlanProblem::codecs; -1 = device-only (cut n)
  double accuracy = 0;            ///< the table's accuracy of the cascade
  std::vector<double> leave;      ///< P(leave) per exit
  std::vector<Breakdown> per_exit;///< predicted latency of an input leaving at each exit
  Breakdown expected;             ///< the per-exit breakdowns weighted by P(leave)
  double p95_ms = 0;              ///< see CascadeStatistic::p95
  double max_ms = 0;              ///< see CascadeStatistic::max
  bool feasible = false;          ///< the statistic meets the deadline
  bool found = false;             ///< false when no cascade of the table fits the model

  /// The statistic the deadline applies to.
  double latency(CascadeStatistic s) const {
    switch (s) {
    case CascadeStatistic::mean:
      return expected.total_ms;
    case CascadeStatistic::p95:
      return p95_ms;
    case CascadeStatistic::max:
      break;
    }
    return max_ms;
  }
};

/// Evaluates @p record at @p cut with @p codec (-1 at cut n) under @p net.
CascadeDecision evaluate_cascade(const LatencyModel& model, const Network& net,
                                 const model::CascadeRecord& record, const CascadeShape& shape,
                                 int cut, int codec);

/// Searches every cascade of @p table, every cut of its final chain and every lossless codec
/// (fp32, fp32+zstd: the table's accuracies hold for the tensor as computed; device-first
/// only): the highest accuracy whose @p statistic meets @p deadline_ms, ties to the lower
/// statistic; with none feasible the lowest statistic (ties to the higher accuracy),
/// feasible = false; on a full tie the table's first entry. A one-exit entry is
/// the fixed-exit plan. Throws ConfigError when the problem has no unit names or no cascade
/// of @p table fits its chains (read_cascade_table_for checks both where the table is read,
/// naming its file). Prepares CascadeCandidates for one search: a caller that searches
/// the same table again keeps those instead.
CascadeDecision decide_cascade(const LatencyModel& model, const Network& net, double deadline_ms,
                               const model::CascadeTable& table, CascadeStatistic statistic,
                               const SearchSpace& space = {});

/// decide_cascade's candidates with everything that does not depend on the network done
/// once: the table's entries that fit the model, by accuracy (highest first, ties in the
/// table's order), each cut of an entry's final chain with each lossless codec, and each
/// exit's CascadeTerms. edgent-infer plans every request with it: a search applies the
/// request's network to stored terms and computes nothing else per candidate.
class CascadeCandidates {
public:
  /// Throws ConfigError as decide_cascade does. Keeps no reference to its arguments.
  CascadeCandidates(const LatencyModel& model, const model::CascadeTable& table,
                    const SearchSpace& space = {});

  /// decide_cascade's search under @p net.
  CascadeDecision decide(const Network& net, double deadline_ms,
                         CascadeStatistic statistic) const;

  /// How many (entry, cut, codec) candidates a search may score.
  std::size_t size() const { return m_candidates.size(); }

private:
  struct Entry {
    model::CascadeRecord record;
    CascadeShape shape;
    std::size_t first = 0; ///< its candidates: [first, end) of m_candidates
    std::size_t end = 0;
  };
  struct Candidate {
    int cut = 0;
    int codec = -1;
    std::size_t terms = 0; ///< its exits' terms start here in m_terms, in the cascade's order
  };
  std::vector<Entry> m_entries;
  std::vector<Candidate> m_candidates;
  std::vector<CascadeTerms> m_terms;
};

/// The plan record of @p decision: exit = the cascade's final exit, device-first, the cut and
/// codec, the table's accuracy, and the cascade (none for a one-exit entry: a fixed-exit plan).
PlanRecord to_record(const LatencyModel& model, const CascadeDecision& decision,
                     CascadeStatistic statistic);

/// Reads the cascade table @p file (edgent.cascade/1) and checks it against the model it is
/// planned for: measured on the ONNX with @p model_sha256, and at least one cascade fits the
/// chains of @p problem (which need unit names). Whether one fits does not depend on the
/// network, so every reader of a table checks it once, here. Throws SchemaError, or
/// ConfigError naming the file and the key.
model::CascadeTable read_cascade_table_for(const std::string& file,
                                           const std::string& model_sha256,
                                           const PlanProblem& problem);

/// A cascade search as the config map runs it per bandwidth state.
struct CascadeSearch {
  model::CascadeTable table;
  CascadeStatistic statistic = CascadeStatistic::mean;
};

} // namespace edgent::plan
