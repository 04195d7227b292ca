#include "plan/problem_from_artifacts.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>

namespace edgent::plan {

namespace {

constexpr double kMaxBytes = 1e12; // sizes above a terabyte are a broken artifact

double feature_value(const JsonView& fit_model, const std::string& name, const JsonView& features,
                     double flops) {
  if (auto v = features.find(name)) {
    return v->number();
  }
  if (name == "flops") {
    return flops;
  }
  throw SchemaError(fmt::format("the unit has no feature '{}' that the fit uses", name),
                    features.file(), features.path().empty() ? fit_model.path() : features.path());
}

double apply_linear(const JsonView& m, const JsonView& features, double flops) {
  const auto names = m.at("features");
  const auto coef = m.at("coef");
  if (names.size() != coef.size()) {
    m.fail("features and coef differ in length");
  }
  double y = m.at("intercept").number();
  for (std::size_t i = 0; i < names.size(); ++i) {
    y += coef.at(i).number() * feature_value(m, names.at(i).string(), features, flops);
  }
  return y;
}

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
  explicit UnitLatency(const Artifact& a) : m_root(a.root()), m_profile(is_profile(a)) {
    if (m_profile) {
      for (const JsonView& u : m_root.at("units").elements()) {
        const auto exit = u.at("exit").integer(1, 1000);
        const auto unit = u.at("unit").integer(1, 1000000);
        m_measured[{exit, unit}] = u.at("median_ms").number(0, 1e9);
      }
    }
  }
  double ms(int exit, int unit, const std::string& type, const JsonView& features,
            double flops) const {
    if (!m_profile) {
      return predict_unit_ms(m_root, type, features, flops);
    }
    const auto it = m_measured.find({exit, unit});
    if (it == m_measured.end()) {
      m_root.at("units").fail(fmt::format("has no measurement of exit {} unit {}", exit, unit));
    }
    return it->second;
  }

private:
  JsonView m_root;
  bool m_profile;
  std::map<std::pair<std::int64_t, std::int64_t>, double> m_measured;
};

void check_role(const Artifact& fit, const char* role) {
  const std::string got = fit.root().at("role").string();
  if (got != role) {
    throw ConfigError(fmt::format("expected a {} of role '{}', got '{}'",
                                  is_profile(fit) ? "profile" : "fit", role, got),
                      fit.file, "role");
  }
}

} // namespace

double predict_unit_ms(const JsonView& fit, const std::string& type, const JsonView& features,
                       double flops) {
  const JsonView models = fit.at("models");
  double y = 0;
  if (auto m = models.find(type)) {
    y = apply_linear(*m, features, flops);
  } else {
    y = apply_linear(fit.at("fallback"), features, flops);
  }
  if (!std::isfinite(y)) {
    fit.fail(fmt::format("prediction for a '{}' unit is not finite", type));
  }
  return std::max(0.0, y);
}

PlanProblem problem_from_artifacts(const Artifact& model, const Artifact* accuracy,
                                   const Artifact& device_fit, const Artifact& edge_fit,
                                   const std::vector<Codec>& codecs) {
  if (codecs.empty()) {
    throw ConfigError("the set of allowed codecs is empty", {}, "codecs");
  }
  const JsonView card = model.root();
  const std::string model_sha = card.at("onnx_sha256").nonempty_string();
  check_role(device_fit, "device");
  check_role(edge_fit, "edge");
  check_model_sha(device_fit, model_sha,
                  is_profile(device_fit) ? "the device profile" : "the device fit");
  check_model_sha(edge_fit, model_sha, is_profile(edge_fit) ? "the edge profile" : "the edge fit");
  if (accuracy) {
    check_model_sha(*accuracy, model_sha, "the accuracy table");
  }

  double input_elems = 1;
  for (const JsonView& d : card.at("input").at("shape").elements()) {
    input_elems *= static_cast<double>(d.integer(1, 1 << 20));
  }
  const double input_bytes = input_elems * 4;
  if (input_bytes > kMaxBytes) {
    card.at("input").at("shape").fail("the input tensor is implausibly large");
  }

  PlanProblem problem;
  problem.codecs = codecs;
  const UnitLatency dev(device_fit);
  const UnitLatency edge(edge_fit);
  for (const JsonView& ex : card.at("exits").elements()) {
    ExitCosts e;
    e.exit = static_cast<int>(ex.at("exit").integer(1, 1000));
    if (!problem.exits.empty() && e.exit <= problem.exits.back().exit) {
      ex.at("exit").fail("exits must be listed in ascending order");
    }
    const auto acc = ex.at("accuracy").optional_number();
    if (acc && !(*acc >= 0 && *acc <= 1)) {
      ex.at("accuracy").fail("must be in [0, 1]");
    }
    e.accuracy = acc;
    const auto chain_view = ex.find("chain");
    if (!chain_view) {
      ex.fail("has no 'chain' (the planner needs each exit's unit chain)");
    }
    const auto chain = chain_view->elements();
    if (chain.empty()) {
      chain_view->fail("is empty");
    }
    if (chain.size() > 100000) {
      chain_view->fail("has too many units");
    }
    e.fp32_bytes.push_back(input_bytes);
    int unit = 0;
    for (const JsonView& u : chain) {
      ++unit;
      const std::string type = u.at("type").nonempty_string();
      const JsonView features = u.at("features");
      const double flops = u.at("flops").number(0, 1e18);
      e.device_ms.push_back(dev.ms(e.exit, unit, type, features, flops));
      e.edge_ms.push_back(edge.ms(e.exit, unit, type, features, flops));
      e.fp32_bytes.push_back(u.at("output_bytes").number(0, kMaxBytes));
    }
    const int n = static_cast<int>(chain.size());
    if (auto cuts = ex.find("cuts")) {
      for (const JsonView& c : cuts->elements()) {
        const int cut = static_cast<int>(c.integer(0, n));
        if (!e.cuts.empty() && cut <= e.cuts.back()) {
          c.fail("cuts must be strictly ascending");
        }
        e.cuts.push_back(cut);
      }
    } else {
      for (int c = 0; c <= n; ++c) {
        e.cuts.push_back(c);
      }
    }
    problem.exits.push_back(std::move(e));
  }
  if (problem.exits.empty()) {
    card.at("exits").fail("lists no exits");
  }

  if (accuracy) {
    const JsonView root = accuracy->root();
    for (const JsonView& entry : root.at("entries").elements()) {
      const int exit = static_cast<int>(entry.at("exit").integer(1, 1000));
      const std::string codec = entry.at("codec").string();
      auto ex = std::find_if(problem.exits.begin(), problem.exits.end(),
                             [&](const ExitCosts& x) { return x.exit == exit; });
      if (ex == problem.exits.end()) {
        entry.at("exit").fail(fmt::format("the model has no exit {}", exit));
      }
      const int cut = static_cast<int>(entry.at("cut").integer(0, ex->units()));
      const double a = entry.at("accuracy").number(0, 1);
      auto k = std::find_if(codecs.begin(), codecs.end(),
                            [&](const Codec& c) { return c.name == codec; });
      if (k == codecs.end()) {
        continue; // a codec not allowed in this run
      }
      if (ex->codec_accuracy.empty()) {
        ex->codec_accuracy.resize((ex->units() + 1) * codecs.size());
      }
      ex->codec_accuracy[cut * codecs.size() + (k - codecs.begin())] = a;
    }
  }
  validate(problem, model.file);
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
  const Artifact model = read_artifact(in.model, "model");
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
  }
  LoadedProblem out;
  out.problem = problem_from_artifacts(model, accuracy ? &*accuracy : nullptr, device, edge, codecs);
  out.model_sha256 = model.root().at("onnx_sha256").string();
  return out;
}

} // namespace edgent::plan
