#include "plan/problem_from_artifacts.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "model/accuracy_json.hpp"
#include "model/card_from_onnx.hpp"
#include "model/model_card.hpp"
#include "model/onnx_graph.hpp"
#include "model/partition.hpp"
#include "net/tensor_wire.hpp"
#include "profile/profile_json.hpp"
#include "regress/latency_fit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <tuple>

namespace edgent::plan {

namespace {

constexpr double kMaxBytes = 1e12; // sizes above a terabyte are a broken artifact
constexpr double kMaxUnitMs = 1e9;  // a unit over 11 days is a broken fit or profile

bool is_profile(const Artifact& a) {
  return a.doc.is_object() && a.doc.value("schema", "").rfind("edgent.profile/", 0) == 0;
}

void check_model_sha(const Artifact& other, const std::string& model_sha, const char* what) {
  const bool profile = is_profile(other);
  const JsonView holder = profile ? other.root().at("provenance") : other.root();
  const std::string sha = holder.at("model_sha256").string();
  if (sha != model_sha) {
    throw ConfigError(fmt::format("{} belongs to another model (model_sha256 {} is not the "
                                  "card's onnx_sha256 {})",
                                  what, sha, model_sha),
                      other.file, profile ? "provenance.model_sha256" : "model_sha256");
  }
}

/// Unit latencies of one role: a fit's prediction or a profile's measured median.
class UnitLatency {
public:
  explicit UnitLatency(const Artifact& a)
      : m_root(a.root()), m_file(a.file), m_profile(is_profile(a)) {
    if (!m_profile) {
      m_fit = regress::latency_fit_from_artifact(a);
    } else {
      const profile::Profile profile = profile::read_profile(a);
      for (std::size_t i = 0; i < profile.units.size(); ++i) {
        const profile::ProfileUnit& u = profile.units[i];
        if (!u.exit) {
          profile.missing(fmt::format("units[{}].exit", i));
        }
        if (!u.unit) {
          profile.missing(fmt::format("units[{}].unit", i));
        }
        m_measured[{*u.exit, *u.unit}] = u.ms;
        // A block is measured whole: its time goes to its first unit, the others cost 0, so
        // that a segment between cut points sums to what was measured.
        for (int k = *u.unit + 1; k <= u.last_unit.value_or(*u.unit); ++k) {
          m_measured[{*u.exit, k}] = 0.0;
        }
      }
      std::tie(m_fit.net_overhead_ms, m_fit.net_overhead_per_byte_ms) =
          regress::profile_net_overhead(profile);
      m_fit.request = regress::profile_request_overhead(profile);
      m_fit.codecs = regress::profile_codec_costs(profile);
    }
  }
  /// What a segment run as a request costs beyond the rotation (the fit's or the profile's).
  const regress::RequestOverhead& request() const { return m_fit.request; }
  /// The codec's time on this role (zeros when not measured).
  CodecTime codec(const std::string& name) const {
    const auto it = m_fit.codecs.find(name);
    if (it == m_fit.codecs.end()) {
      return {};
    }
    const regress::CodecCost& c = it->second;
    return CodecTime{c.encode.intercept, c.encode.slope, c.decode.intercept, c.decode.slope,
                     c.encode_first_ms};
  }
  /// Applies a fit's block correction to each block of a chain (the units between two
  /// consecutive @p cuts when more than one; @p fp32_bytes[u] is the tensor after unit u, [0]
  /// the input), as the fit predicts a block (regress::correct_block). A profile measured its
  /// blocks whole: nothing to correct.
  void correct_blocks(std::vector<double>& unit_ms, const std::vector<int>& cuts,
                      const std::vector<double>& fp32_bytes) const {
    if (m_profile) {
      return;
    }
    for (std::size_t k = 0; k + 1 < cuts.size(); ++k) {
      const auto from = static_cast<std::size_t>(cuts[k]);
      const auto to = static_cast<std::size_t>(cuts[k + 1]);
      if (to - from < 2 || to > unit_ms.size()) {
        continue;
      }
      std::vector<double> parts(unit_ms.begin() + static_cast<std::ptrdiff_t>(from),
                                unit_ms.begin() + static_cast<std::ptrdiff_t>(to));
      std::vector<double> bytes(fp32_bytes.begin() + static_cast<std::ptrdiff_t>(from + 1),
                                fp32_bytes.begin() + static_cast<std::ptrdiff_t>(to));
      regress::correct_block(m_fit, parts, bytes);
      std::copy(parts.begin(), parts.end(), unit_ms.begin() + static_cast<std::ptrdiff_t>(from));
    }
  }
  /// What a unit's time includes for running as a net of its own, per boundary: ms, and ms
  /// per byte of the tensor crossing it (the fit's, or the profile's measurement).
  double net_ms() const { return m_fit.net_overhead_ms; }
  double net_ms_per_byte() const { return m_fit.net_overhead_per_byte_ms; }
  double ms(int exit, int unit, const std::string& type, const model::Features& features) const {
    if (!m_profile) {
      // A prediction is only as sane as the fit's coefficients: blame the fit, not the model.
      const double ms = m_fit.predict(type, features);
      if (!std::isfinite(ms) || ms > kMaxUnitMs) {
        throw ConfigError(fmt::format("predicts {:g} ms for unit {} ({}) of exit {}: the "
                                      "coefficients are out of range; refit with edgent-fit",
                                      ms, unit, type, exit),
                          m_file, fit_key(type, features));
      }
      return ms;
    }
    const auto it = m_measured.find({exit, unit});
    if (it == m_measured.end()) {
      m_root.at("units").fail(fmt::format("has no measurement of exit {} unit {}", exit, unit));
    }
    return it->second;
  }

private:
  /// The key of the fit's model that predicts a unit of @p type (as LatencyFit::predict picks).
  std::string fit_key(const std::string& type, const model::Features& features) const {
    if (type == "conv") {
      const std::string shaped = regress::conv_shape_type(features);
      if (m_fit.has_type(shaped)) {
        return "models." + shaped;
      }
    }
    return m_fit.has_type(type) ? "models." + type : "fallback";
  }

  JsonView m_root;
  std::string m_file;
  bool m_profile;
  regress::LatencyFit m_fit;  ///< a profile's: only its net and request overheads are set
  std::map<std::pair<std::int64_t, std::int64_t>, double> m_measured;
};

/// One unit as the planner needs it.
struct ChainUnit {
  std::string name;          ///< empty when a hand-made card leaves it out
  std::string type;
  model::Features features;  ///< Edgent features plus "flops"
  double output_bytes = 0;
  double param_bytes = 0;      ///< weights the unit reads, bytes (fp32)
};

/// One exit's units and valid cuts.
struct ChainCosts {
  std::vector<ChainUnit> units;
  std::vector<int> cuts;
};

/// A chain written into a hand-made card (exits[].chain and optional exits[].cuts), for models
/// described without an ONNX file (test fixtures, what-if studies).
ChainCosts chain_from_card(const model::ExitCard& ex) {
  ChainCosts out;
  for (const model::ChainUnitCard& u : ex.chain) {
    ChainUnit cu;
    cu.name = u.name;
    cu.type = u.type;
    cu.features = u.features;
    if (!cu.features.count("flops")) {
      cu.features["flops"] = u.flops.value_or(0.0);  // the reader requires it then
    }
    cu.output_bytes = u.output_bytes;
    cu.param_bytes = 4 * u.params.value_or(0.0);
    out.units.push_back(std::move(cu));
  }
  out.cuts = ex.cuts;
  if (out.cuts.empty()) {
    for (int c = 0; c <= static_cast<int>(ex.chain.size()); ++c) {
      out.cuts.push_back(c);
    }
  }
  return out;
}

/// Every exit's chain: from the model analysis of the card's ONNX file, or, when the card's
/// exits carry a hand-written `chain`, from the card.
std::vector<ChainCosts> exit_chains(const model::ModelCard& card, const std::string& card_file) {
  std::vector<ChainCosts> out;
  if (!card.exits.empty() && !card.exits.front().chain.empty()) {
    for (std::size_t i = 0; i < card.exits.size(); ++i) {
      if (card.exits[i].chain.empty()) {
        throw SchemaError("missing required key", card_file, fmt::format("exits[{}].chain", i));
      }
      out.push_back(chain_from_card(card.exits[i]));
    }
    return out;
  }
  const std::filesystem::path onnx = card.onnx;
  const std::filesystem::path path =
      onnx.is_absolute() ? onnx : std::filesystem::path(card_file).parent_path() / onnx;
  const auto graph = model::OnnxGraph::from_file(path.string());
  model::check_card_matches_onnx(card, card_file, *graph);
  for (const model::ExitChain& chain : model::analyse(*graph).exits) {
    ChainCosts c;
    for (const model::Unit& unit : chain.units) {
      ChainUnit cu;
      cu.name = unit.name;
      cu.type = std::string(model::unit_type_name(unit.type));
      cu.features = unit.features;
      cu.features["flops"] = unit.flops;
      cu.output_bytes = static_cast<double>(unit.output_bytes);
      cu.param_bytes = 4.0 * static_cast<double>(unit.params);
      c.units.push_back(std::move(cu));
    }
    c.cuts = chain.cut_points();
    out.push_back(std::move(c));
  }
  return out;
}

void check_role(const Artifact& fit, const char* role) {
  const std::string got = fit.root().at("role").string();
  if (got != role) {
    throw ConfigError(fmt::format("expected a {} of role '{}', got '{}'",
                                  is_profile(fit) ? "profile" : "fit", role, got),
                      fit.file, "role");
  }
}

} // namespace

PlanProblem problem_from_artifacts(const Artifact& model, const Artifact* accuracy,
                                   const Artifact& device_fit, const Artifact& edge_fit,
                                   const std::vector<Codec>& codecs) {
  if (codecs.empty()) {
    throw ConfigError("the set of allowed codecs is empty", {}, "codecs");
  }
  const model::ModelCard card = model::model_card_from_json(model.doc, model.file);
  // The card is checked against its ONNX first: a card naming another model is the error to
  // report, not the fits that (rightly) disagree with it.
  const std::vector<ChainCosts> chains = exit_chains(card, model.file);
  const std::string& model_sha = card.onnx_sha256;
  check_role(device_fit, "device");
  check_role(edge_fit, "edge");
  check_model_sha(device_fit, model_sha,
                  is_profile(device_fit) ? "the device profile" : "the device fit");
  check_model_sha(edge_fit, model_sha, is_profile(edge_fit) ? "the edge profile" : "the edge fit");
  if (accuracy) {
    check_model_sha(*accuracy, model_sha, "the accuracy table");
  }

  double input_elems = 1;
  for (const std::int64_t d : card.input_shape) {
    input_elems *= static_cast<double>(d);
  }
  const double input_bytes = input_elems * 4;
  if (input_bytes > kMaxBytes) {
    throw SchemaError("the input tensor is implausibly large", model.file, "input.shape");
  }

  PlanProblem problem;
  problem.codecs = codecs;
  const UnitLatency dev(device_fit);
  const UnitLatency edge(edge_fit);
  problem.device_net_ms = dev.net_ms();
  problem.edge_net_ms = edge.net_ms();
  problem.device_net_ms_per_byte = dev.net_ms_per_byte();
  problem.edge_net_ms_per_byte = edge.net_ms_per_byte();
  problem.device_request_ms = dev.request().fixed_ms;
  problem.device_request_ms_per_param_byte = dev.request().per_param_byte_ms;
  problem.edge_request_ms = edge.request().fixed_ms;
  problem.edge_request_ms_per_param_byte = edge.request().per_param_byte_ms;
  problem.device_request_net_ms = dev.request().net_ms;
  problem.edge_request_net_ms = edge.request().net_ms;
  for (Codec& c : problem.codecs) {
    c.device = dev.codec(c.name);
    c.edge = edge.codec(c.name);
  }
  problem.fp32.device = dev.codec("fp32");
  problem.fp32.edge = edge.codec("fp32");
  for (const model::ExitCard& ex : card.exits) {
    ExitCosts e;
    e.exit = ex.exit;  // the reader checks they are numbered 1, 2, ...
    e.accuracy = ex.accuracy;
    const std::size_t index = problem.exits.size();
    if (chains.size() <= index) {
      throw SchemaError(fmt::format("the model has {} exits, the card lists more", chains.size()),
                        model.file, fmt::format("exits[{}]", index));
    }
    const ChainCosts& chain = chains[index];
    e.fp32_bytes.push_back(input_bytes);
    for (std::size_t u = 0; u < chain.units.size(); ++u) {
      const ChainUnit& cu = chain.units[u];
      e.device_ms.push_back(dev.ms(e.exit, static_cast<int>(u + 1), cu.type, cu.features));
      e.edge_ms.push_back(edge.ms(e.exit, static_cast<int>(u + 1), cu.type, cu.features));
      e.fp32_bytes.push_back(cu.output_bytes);
      e.param_bytes.push_back(cu.param_bytes);
      e.unit_names.push_back(cu.name);
    }
    e.cuts = chain.cuts;
    dev.correct_blocks(e.device_ms, e.cuts, e.fp32_bytes);
    edge.correct_blocks(e.edge_ms, e.cuts, e.fp32_bytes);
    if (const auto it = dev.request().exits.find(e.exit); it != dev.request().exits.end()) {
      e.device_chain_request_ms = it->second;
    }
    if (const auto it = edge.request().exits.find(e.exit); it != edge.request().exits.end()) {
      e.edge_chain_request_ms = it->second;
    }
    problem.exits.push_back(std::move(e));
  }
  if (problem.exits.size() != chains.size()) {
    throw SchemaError(fmt::format("lists {} exits, the model has {}", problem.exits.size(),
                                  chains.size()),
                      model.file, "exits");
  }

  if (accuracy) {
    const model::AccuracyTable table = model::read_accuracy(*accuracy);
    std::map<int, double> table_exit_accuracy;
    const auto fail = [&](std::size_t i, const char* key, const std::string& what) {
      throw SchemaError(what, accuracy->file, fmt::format("entries[{}].{}", i, key));
    };
    for (std::size_t i = 0; i < table.entries.size(); ++i) {
      const model::AccuracyRecord& entry = table.entries[i];
      auto ex = std::find_if(problem.exits.begin(), problem.exits.end(),
                             [&](const ExitCosts& x) { return x.exit == entry.exit; });
      if (ex == problem.exits.end()) {
        fail(i, "exit", fmt::format("the model has no exit {}", entry.exit));
      }
      if (entry.cut > ex->units()) {
        fail(i, "cut", fmt::format("must be in [{}, {}], got {}", 0, ex->units(), entry.cut));
      }
      if (!entry.accuracy) {
        fail(i, "accuracy", "must be a number, got null");
      }
      const int cut = entry.cut;
      const double a = *entry.accuracy;
      // The table's fp32 accuracy of the whole chain is the exit's accuracy: a measured table
      // wins over the card's value (null in a card written from a bare ONNX).
      if (entry.codec == "fp32" && entry.cut == ex->units()) {
        table_exit_accuracy[ex->exit] = a;
      }
      auto k = std::find_if(codecs.begin(), codecs.end(),
                            [&](const Codec& c) { return c.name == entry.codec; });
      if (k == codecs.end()) {
        continue; // a codec not allowed in this run
      }
      if (ex->codec_accuracy.empty()) {
        ex->codec_accuracy.resize((ex->units() + 1) * codecs.size());
      }
      const std::size_t at = cut * codecs.size() + static_cast<std::size_t>(k - codecs.begin());
      ex->codec_accuracy[at] = a;
      // Measured mean message size (tables from before it was recorded have none): the
      // payload goes into the model, the wire header is part of the offload overhead.
      if (entry.wire_bytes) {
        const double b = *entry.wire_bytes;
        const auto header = static_cast<double>(net::kHeaderBytes);
        if (b < header) {
          fail(i, "wire_bytes", fmt::format("must be in [{}, {}], got {}", header, kMaxBytes, b));
        }
        if (ex->encoded_bytes.empty()) {
          ex->encoded_bytes.resize((ex->units() + 1) * codecs.size());
        }
        ex->encoded_bytes[at] = b - header;
      }
    }
    for (ExitCosts& e : problem.exits) {
      if (const auto it = table_exit_accuracy.find(e.exit); it != table_exit_accuracy.end()) {
        e.accuracy = it->second;
      }
    }
  }
  validate(problem, model.file);
  if (!problem.accuracy_known()) {
    log::warn("{}: the accuracy of some exits is unknown (null in the card{}): plans rank exits "
              "by depth and say accuracy_known: false; measure them with edgent-eval and pass "
              "--accuracy",
              model.file, accuracy ? " and missing from the accuracy table" : ", no --accuracy");
  }
  return problem;
}

} // namespace edgent::plan

namespace edgent::plan {

std::vector<Codec> codecs_from_names(const std::vector<std::string>& names) {
  if (names.empty()) {
    throw ConfigError("the set of allowed codecs is empty", {}, "--codecs");
  }
  std::vector<Codec> out;
  for (const std::string& name : names) {
    for (const Codec& c : out) {
      if (c.name == name) {
        throw UsageError(fmt::format("codec '{}' is listed twice", name));
      }
    }
    out.push_back(Codec{name, default_codec_ratio(name)});
  }
  return out;
}

SearchSpace space_from_orders(const std::vector<std::string>& names) {
  if (names.empty()) {
    throw ConfigError("the set of allowed orders is empty", {}, "--orders");
  }
  SearchSpace s{false, false};
  for (const std::string& name : names) {
    (parse_order(name) == Order::device_first ? s.device_first : s.edge_first) = true;
  }
  return s;
}

LoadedProblem load_problem(const ModelInputs& in) {
  const std::vector<Codec> codecs = codecs_from_names(in.codecs);
  if (!in.accuracy.empty() && !in.data.empty()) {
    throw UsageError("--accuracy and --data exclude each other: --data measures the accuracy "
                     "table --accuracy would give", {}, "--data");
  }
  const Artifact model = model::load_model_artifact(in.model);
  const auto read_role = [](const std::string& fit, const std::string& profile,
                            const char* role) {
    if (fit.empty() == profile.empty()) {
      throw UsageError(fmt::format("give exactly one of --{0}-fit and --{0}-profile", role));
    }
    return fit.empty() ? read_artifact(profile, "profile") : read_artifact(fit, "fit");
  };
  const Artifact device = read_role(in.device_fit, in.device_profile, "device");
  const Artifact edge = read_role(in.edge_fit, in.edge_profile, "edge");
  std::optional<Artifact> accuracy;
  if (!in.accuracy.empty()) {
    accuracy = read_artifact(in.accuracy, "accuracy");
  } else if (!in.data.empty()) {
    log::info("measuring the accuracy table on {} ({} codecs, {} images at most)", in.data,
              in.codecs.size(), in.data_limit == 0 ? std::string("all") : std::to_string(in.data_limit));
    if (!in.measure_accuracy) {
      throw UsageError("--data: this tool cannot measure an accuracy table; give --accuracy");
    }
    accuracy = in.measure_accuracy(in.model, in.data, in.data_limit, in.codecs);
  }
  LoadedProblem out;
  out.problem = problem_from_artifacts(model, accuracy ? &*accuracy : nullptr, device, edge, codecs);
  out.model_sha256 = model::model_card_from_json(model.doc, model.file).onnx_sha256;
  return out;
}

} // namespace edgent::plan
