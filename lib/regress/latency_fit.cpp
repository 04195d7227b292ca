#include "regress/latency_fit.hpp"

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/log.hpp"
#include "model/unit_type.hpp"

#include <fmt/format.h>

#include <cmath>
#include <tuple>

// edgent.fit/1:
//   role, model_sha256, profile_sha256,
//   models: { <type>: { features [..], coef [..], intercept, train_set, r2, mape_train,
//                       median_ape_train, cv_mape, mape_heldout|null, median_ape_heldout|null,
//                       n, n_heldout } },
//   fallback: { same keys, features ["flops"] },
//   load: { same keys, features ["model_bytes"] } | null,
//   net_overhead_ms, net_overhead_per_byte_ms,
//   request_overhead {gap_ms, fixed_ms, per_param_byte_ms, exits [{exit, ms}]} | absent
//   codecs {<codec>: {encode {ms, ms_per_byte}, decode {ms, ms_per_byte},
//                     encode_first_ms}} | absent

namespace edgent::regress {

namespace {

/// Whether fits keep a model per kernel shape for units of the type named @p type.
bool per_kernel_shape(const std::string& type) {
  const auto unit_type = model::unit_type_from_name(type);
  return unit_type && model::unit_type_traits(*unit_type).per_kernel_shape;
}

const std::vector<std::string> kFlops{"flops"};

Features features_of(const JsonView& v) {
  Features f;
  for (const std::string& key : v.keys()) {
    f[key] = v.at(key).number();
  }
  return f;
}

bool has_all(const Features& f, const std::vector<std::string>& names) {
  for (const auto& n : names) {
    if (!f.count(n)) {
      return false;
    }
  }
  return true;
}

/// Fits @p samples on the Edgent features, adding flops when CV says it helps.
TypeFit fit_type(const std::string& type, const std::vector<Sample>& samples,
                 const std::vector<std::string>& base, const FitSettings& options) {
  const std::size_t need = base.size() + 2;
  if (samples.size() < need) {
    throw ConfigError(fmt::format("{} samples of type '{}' are too few to fit {} (need {})",
                                  samples.size(), type, fmt::join(base, ", "), need),
                      {}, "sweep");
  }
  std::vector<std::vector<std::string>> candidates{base};
  if (std::find(base.begin(), base.end(), "flops") == base.end()) {
    std::vector<std::string> with_flops = base;
    with_flops.push_back("flops");
    bool all = samples.size() >= with_flops.size() + 2;
    for (const Sample& s : samples) {
      all = all && s.features.count("flops");
    }
    if (all) {
      candidates.push_back(with_flops);
    }
  }
  TypeFit best;
  bool first = true;
  for (const auto& names : candidates) {
    const double cv = cross_validated_mape(samples, names, options.folds, options.seed);
    if (first || cv < best.cv_mape) {
      best.cv_mape = cv;
      best.model = fit_linear(samples, names);
      first = false;
    }
  }
  best.train = evaluate(best.model, samples);
  return best;
}

nlohmann::json type_fit_json(const TypeFit& f) {
  nlohmann::json j = to_json(f.model);
  j["r2"] = f.train.r2;
  j["mape_train"] = f.train.mape;
  j["median_ape_train"] = f.train.median_ape;
  j["cv_mape"] = f.cv_mape;
  j["n"] = f.train.n;
  j["train_set"] = f.train_set;
  j["mape_heldout"] = f.heldout ? nlohmann::json(f.heldout->mape) : nlohmann::json();
  j["median_ape_heldout"] = f.heldout ? nlohmann::json(f.heldout->median_ape) : nlohmann::json();
  j["n_heldout"] = f.heldout ? f.heldout->n : 0;
  return j;
}

TypeFit type_fit_from_json(const JsonView& v) {
  TypeFit f;
  f.model = linear_model_from_json(v);
  f.train.r2 = v.at("r2").number();
  f.train.mape = v.at("mape_train").number(0, 1e9);
  f.train.n = static_cast<std::size_t>(v.at("n").integer(0, 1 << 30));
  if (const auto set = v.find("train_set")) {
    f.train_set = set->string();
  }
  if (const auto cv = v.find("cv_mape"); cv && !cv->is_null()) {
    f.cv_mape = cv->number(0, 1e9);
  }
  if (const auto h = v.find("mape_heldout"); h && !h->is_null()) {
    FitQuality q;
    q.mape = h->number(0, 1e9);
    q.median_ape = v.at("median_ape_heldout").number(0, 1e9);
    q.n = static_cast<std::size_t>(v.at("n_heldout").integer(0, 1 << 30));
    f.heldout = q;
  }
  return f;
}

} // namespace

const std::vector<std::string>& edgent_features(const std::string& type) {
  static const std::vector<std::string> load{"model_bytes"};
  static const std::vector<std::string> none;
  if (type == "load") {
    return load;
  }
  const auto unit_type = model::unit_type_from_name(type);
  return unit_type ? model::unit_type_traits(*unit_type).regression_features : none;
}

std::string conv_shape_type(const Features& features) {
  const auto ka = features.find("kernel_area");
  const auto sa = features.find("stride_area");
  if (ka == features.end() || sa == features.end()) {
    return "conv";
  }
  const auto k = std::lround(std::sqrt(ka->second));
  const auto st = std::lround(std::sqrt(sa->second));
  if (static_cast<double>(k * k) == ka->second && static_cast<double>(st * st) == sa->second) {
    return fmt::format("conv@{}x{}/{}", k, k, st);
  }
  return fmt::format("conv@k{}/{}", ka->second, sa->second);
}

double LatencyFit::predict(const std::string& type, const Features& features) const {
  if (per_kernel_shape(type)) {
    if (const auto shaped = types.find(conv_shape_type(features)); shaped != types.end()) {
      return shaped->second.model.predict(features);
    }
  }
  const auto it = types.find(type);
  if (it != types.end()) {
    return it->second.model.predict(features);
  }
  return fallback.model.predict(features);
}

double LatencyFit::segment_ms(const std::vector<double>& unit_ms,
                              const std::vector<double>& boundary_bytes) const {
  if (unit_ms.empty()) {
    return 0;
  }
  double sum = 0;
  double largest = 0;
  for (const double ms : unit_ms) {
    sum += ms;
    largest = std::max(largest, ms);
  }
  for (std::size_t i = 0; i + 1 < unit_ms.size(); ++i) {
    sum -= net_overhead_ms + net_overhead_per_byte_ms * (i < boundary_bytes.size() ? boundary_bytes[i] : 0.0);
  }
  return std::max(largest, sum);
}

std::string profile_estimate_key(const JsonView& profile_root) {
  const auto settings = profile_root.find("settings");
  if (!settings) {
    return "median_ms";
  }
  const auto estimate = settings->find("estimate");
  if (!estimate) {
    return "median_ms";
  }
  const std::string key = estimate->string();
  if (key != "median_ms" && key != "mean_ms") {
    estimate->fail("must be \"median_ms\" or \"mean_ms\"");
  }
  return key;
}

std::pair<double, double> profile_net_overhead(const JsonView& profile_root) {
  const auto overhead = profile_root.find("net_overhead");
  if (!overhead) {
    return {0.0, 0.0};
  }
  const std::string ms = profile_estimate_key(profile_root);
  const auto per_byte = overhead->find("per_byte");
  return {std::max(0.0, overhead->at(ms).number(-1e6, 1e6)),
          per_byte ? std::max(0.0, per_byte->at(ms).number(-1e6, 1e6)) : 0.0};
}

RequestOverhead profile_request_overhead(const JsonView& profile_root) {
  RequestOverhead out;
  const auto requests = profile_root.find("requests");
  if (!requests) {
    return out;
  }
  const std::string ms = profile_estimate_key(profile_root);
  std::map<std::int64_t, double> chain_ms;
  for (const JsonView& e : profile_root.at("exits").elements()) {
    chain_ms[e.at("exit").integer(1, 1000)] = e.at(ms).number(0, 1e9);
  }
  std::vector<double> bytes;
  std::vector<double> extra;
  for (const JsonView& e : requests->at("exits").elements()) {
    const auto exit = e.at("exit").integer(1, 1000);
    const auto chain = chain_ms.find(exit);
    if (chain == chain_ms.end()) {
      e.at("exit").fail(fmt::format("has no entry in exits[] to compare with"));
    }
    bytes.push_back(e.at("param_bytes").number(0, 1e15));
    extra.push_back(e.at(ms).number(0, 1e9) - chain->second);
    out.exits[static_cast<int>(exit)] = std::max(0.0, extra.back());
  }
  const stats::Line line = stats::fit_nonnegative_line(bytes, extra);
  out.gap_ms = requests->at("gap_ms").number(0, 1e9);
  out.fixed_ms = line.intercept;
  out.per_param_byte_ms = line.slope;
  return out;
}

std::map<std::string, CodecCost> profile_codec_costs(const JsonView& profile_root) {
  std::map<std::string, CodecCost> out;
  const auto codecs = profile_root.find("codecs");
  if (!codecs) {
    return out;
  }
  const std::string ms = profile_estimate_key(profile_root);
  std::map<std::pair<std::string, std::string>, std::pair<std::vector<double>, std::vector<double>>> points;
  for (const JsonView& c : codecs->elements()) {
    const std::string op = c.at("op").string();
    if (op != "encode" && op != "decode") {
      c.at("op").fail("must be \"encode\" or \"decode\"");
    }
    auto& [x, y] = points[{c.at("codec").nonempty_string(), op}];
    x.push_back(c.at("fp32_bytes").number(0, 1e15));
    y.push_back(c.at(ms).number(0, 1e9));
  }
  for (const auto& [key, xy] : points) {
    CodecCost& cost = out[key.first];
    (key.second == "encode" ? cost.encode : cost.decode) = stats::fit_nonnegative_line(xy.first, xy.second);
  }
  if (const auto requests = profile_root.find("requests"); requests && requests->has("codecs")) {
    for (const JsonView& c : requests->at("codecs").elements()) {
      const auto it = out.find(c.at("codec").nonempty_string());
      if (it != out.end() && c.at("op").string() == "encode") {
        it->second.encode_first_ms = c.at(ms).number(0, 1e9);
      }
    }
  }
  return out;
}

LatencyFit fit_profile(const Artifact& profile, const FitSettings& options) {
  const JsonView root = profile.root();
  const std::string ms = profile_estimate_key(root);
  LatencyFit fit;
  fit.role = root.at("role").nonempty_string();
  fit.model_sha256 = root.at("provenance").at("model_sha256").string();
  fit.profile_sha256 = sha256_hex(profile.doc.dump());

  std::map<std::string, std::vector<Sample>> train;
  std::map<std::string, std::vector<Sample>> near;
  std::map<std::string, std::vector<Sample>> heldout;
  std::vector<Sample> all_train;  // for the FLOPs fallback
  for (const JsonView& p : root.at("sweep").elements()) {
    Sample s{features_of(p.at("features")), p.at(ms).number(0, 1e9)};
    if (s.ms <= 0) {
      continue;  // a zero median cannot carry a relative error
    }
    train[p.at("type").nonempty_string()].push_back(s);
    if (const auto flag = p.find("near_model"); flag && flag->boolean()) {
      near[p.at("type").nonempty_string()].push_back(s);
    }
    all_train.push_back(s);
  }
  for (const JsonView& u : root.at("units").elements()) {
    Sample s{features_of(u.at("features")), u.at(ms).number(0, 1e9)};
    if (!s.features.count("flops") && u.has("flops")) {
      s.features["flops"] = u.at("flops").number();
    }
    if (s.ms <= 0) {
      continue;
    }
    auto& dest = options.include_units ? train : heldout;
    dest[u.at("type").nonempty_string()].push_back(s);
    if (options.include_units) {
      all_train.push_back(s);
    }
  }
  fit.fallback = fit_type("fallback", all_train, kFlops, options);
  for (const auto& [type, samples] : train) {
    const auto& names = edgent_features(type);
    if (names.empty() || !has_all(samples.front().features, names)) {
      continue;  // no Edgent model for this type: the FLOPs fallback covers it
    }
    const auto& local = near[type];
    const bool use_near = !options.include_units && local.size() >= std::max<std::size_t>(8, 3 * (names.size() + 2));
    fit.types[type] = fit_type(type, use_near ? local : samples, names, options);
    fit.types[type].train_set = use_near ? "near-model" : "sweep";
  }
  // Conv models per kernel shape, from the near-model points of that shape.
  if (const auto conv = fit.types.find("conv"); conv != fit.types.end() && conv->second.train_set == "near-model") {
    std::map<std::string, std::vector<Sample>> by_shape;
    for (const Sample& s : near["conv"]) {
      by_shape[conv_shape_type(s.features)].push_back(s);
    }
    const auto& names = edgent_features("conv");
    for (const auto& [shape, samples] : by_shape) {
      if (shape != "conv" && samples.size() >= std::max<std::size_t>(8, 3 * (names.size() + 2))) {
        fit.types[shape] = fit_type(shape, samples, names, options);
        fit.types[shape].train_set = "near-model";
      }
    }
  }
  for (const auto& [type, samples] : heldout) {
    if (!fit.types.count(type)) {
      log::warn("{}: no regression for unit type '{}': using the FLOPs-based fallback", profile.file,
                type);
      continue;
    }
    // Each type's held-out error is that of the predictions used (a conv's by its shape's
    // model when there is one); a shape's model also reports its own units.
    std::vector<double> predicted;
    std::map<std::string, std::pair<std::vector<double>, std::vector<Sample>>> by_shape;
    for (const Sample& s : samples) {
      predicted.push_back(fit.predict(type, s.features));
      if (per_kernel_shape(type) && fit.types.count(conv_shape_type(s.features))) {
        auto& [p, group] = by_shape[conv_shape_type(s.features)];
        p.push_back(predicted.back());
        group.push_back(s);
      }
    }
    fit.types[type].heldout = evaluate(predicted, samples);
    for (const auto& [shape, group] : by_shape) {
      fit.types[shape].heldout = evaluate(group.first, group.second);
    }
  }
  std::tie(fit.net_overhead_ms, fit.net_overhead_per_byte_ms) = profile_net_overhead(root);
  fit.request = profile_request_overhead(root);
  fit.codecs = profile_codec_costs(root);
  if (const auto load = root.find("load")) {
    std::vector<Sample> samples;
    for (const JsonView& l : load->elements()) {
      samples.push_back({{{"model_bytes", l.at("model_bytes").number(0, 1e12)}}, l.at(ms).number(0, 1e9)});
    }
    if (samples.size() >= 3) {
      fit.load = fit_type("load", samples, edgent_features("load"), options);
    }
  }
  return fit;
}

nlohmann::json to_json(const LatencyFit& fit) {
  nlohmann::json models = nlohmann::json::object();
  for (const auto& [type, f] : fit.types) {
    models[type] = type_fit_json(f);
  }
  nlohmann::json j{{"role", fit.role},
                   {"model_sha256", fit.model_sha256},
                   {"profile_sha256", fit.profile_sha256},
                   {"models", models},
                   {"fallback", type_fit_json(fit.fallback)},
                   {"load", fit.load ? type_fit_json(*fit.load) : nlohmann::json()},
                   {"net_overhead_ms", fit.net_overhead_ms},
                   {"net_overhead_per_byte_ms", fit.net_overhead_per_byte_ms}};
  if (fit.request.gap_ms > 0) {
    nlohmann::json exits = nlohmann::json::array();
    for (const auto& [exit, extra] : fit.request.exits) {
      exits.push_back({{"exit", exit}, {"ms", extra}});
    }
    j["request_overhead"] = {{"gap_ms", fit.request.gap_ms},
                             {"fixed_ms", fit.request.fixed_ms},
                             {"per_param_byte_ms", fit.request.per_param_byte_ms},
                             {"exits", std::move(exits)}};
  }
  if (!fit.codecs.empty()) {
    const auto line = [](const stats::Line& l) {
      return nlohmann::json{{"ms", l.intercept}, {"ms_per_byte", l.slope}};
    };
    nlohmann::json codecs = nlohmann::json::object();
    for (const auto& [name, cost] : fit.codecs) {
      codecs[name] = {{"encode", line(cost.encode)},
                      {"decode", line(cost.decode)},
                      {"encode_first_ms", cost.encode_first_ms}};
    }
    j["codecs"] = std::move(codecs);
  }
  return j;
}

LatencyFit latency_fit_from_artifact(const Artifact& artifact) {
  const JsonView root = artifact.root();
  LatencyFit fit;
  fit.role = root.at("role").nonempty_string();
  fit.model_sha256 = root.at("model_sha256").string();
  fit.profile_sha256 = root.at("profile_sha256").string();
  const JsonView models = root.at("models");
  for (const std::string& type : models.keys()) {
    fit.types[type] = type_fit_from_json(models.at(type));
  }
  fit.fallback = type_fit_from_json(root.at("fallback"));
  if (const auto load = root.find("load"); load && !load->is_null()) {
    fit.load = type_fit_from_json(*load);
  }
  if (const auto overhead = root.find("net_overhead_ms")) {
    fit.net_overhead_ms = overhead->number(0, 1e6);
  }
  if (const auto per_byte = root.find("net_overhead_per_byte_ms")) {
    fit.net_overhead_per_byte_ms = per_byte->number(0, 1e6);
  }
  if (const auto req = root.find("request_overhead")) {
    fit.request.gap_ms = req->at("gap_ms").number(0, 1e9);
    fit.request.fixed_ms = req->at("fixed_ms").number(0, 1e6);
    fit.request.per_param_byte_ms = req->at("per_param_byte_ms").number(0, 1e6);
    if (const auto exits = req->find("exits")) {
      for (const JsonView& e : exits->elements()) {
        fit.request.exits[static_cast<int>(e.at("exit").integer(1, 1000))] = e.at("ms").number(0, 1e6);
      }
    }
  }
  if (const auto codecs = root.find("codecs")) {
    const auto line = [](const JsonView& v) {
      return stats::Line{v.at("ms").number(0, 1e6), v.at("ms_per_byte").number(0, 1e6), 0.0};
    };
    for (const std::string& name : codecs->keys()) {
      const JsonView c = codecs->at(name);
      const auto first = c.find("encode_first_ms");
      fit.codecs[name] = CodecCost{line(c.at("encode")), line(c.at("decode")),
                                   first ? first->number(0, 1e6) : 0.0};
    }
  }
  return fit;
}

} // namespace edgent::regress
