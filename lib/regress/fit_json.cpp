#include "regress/fit_json.hpp"

#include "core/json_view.hpp"

#include <algorithm>

// edgent.fit/1 (lib/schema/fit.1.json):
//   role, model_sha256, profile_sha256,
//   models: { <type>: { features [..], coef [..], intercept, train_set, r2, mape_train,
//                       median_ape_train, cv_mape, mape_heldout|null, median_ape_heldout|null,
//                       n, n_heldout } },
//   fallback: { same keys, features ["flops"] },
//   load: { same keys, features ["model_bytes"] } | null,
//   net_overhead_ms, net_overhead_per_byte_ms,
//   block_correction {method "none"|"factor"|"boundary", value, blocks,
//                     cv_mape {<method>: leave-one-block-out MAPE}} | absent (= none)
//   request_overhead {gap_ms, fixed_ms, per_param_byte_ms, net_ms?, exits [{exit, ms}]} | absent
//     net_ms: what each net of a request beyond its first costs after the gap (absent = 0)
//   codecs {<codec>: {encode {ms, ms_per_byte}, decode {ms, ms_per_byte},
//                     encode_first_ms}} | absent

namespace edgent::regress {

double BlockCorrection::apply(double sum_ms, std::size_t parts) const {
  if (method == "factor") {
    return std::max(0.0, value * sum_ms);
  }
  if (method == "boundary" && parts > 1) {
    return std::max(0.0, sum_ms - value * static_cast<double>(parts - 1));
  }
  return sum_ms;
}

namespace {

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
  if (fit.block_correction.blocks > 0) {
    j["block_correction"] = {{"method", fit.block_correction.method},
                             {"value", fit.block_correction.value},
                             {"blocks", fit.block_correction.blocks},
                             {"cv_mape", fit.block_correction.cv_mape}};
  }
  if (fit.request.gap_ms > 0) {
    nlohmann::json exits = nlohmann::json::array();
    for (const auto& [exit, extra] : fit.request.exits) {
      exits.push_back({{"exit", exit}, {"ms", extra}});
    }
    j["request_overhead"] = {{"gap_ms", fit.request.gap_ms},
                             {"fixed_ms", fit.request.fixed_ms},
                             {"per_param_byte_ms", fit.request.per_param_byte_ms},
                             {"net_ms", fit.request.net_ms},
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
  if (const auto bc = root.find("block_correction")) {
    BlockCorrection& c = fit.block_correction;
    c.method = bc->at("method").string();
    if (c.method != "none" && c.method != "factor" && c.method != "boundary") {
      bc->at("method").fail("must be \"none\", \"factor\" or \"boundary\"");
    }
    c.value = bc->at("value").number(-1e6, 1e6);
    c.blocks = static_cast<int>(bc->at("blocks").integer(0, 1 << 20));
    if (const auto cv = bc->find("cv_mape")) {
      for (const std::string& m : cv->keys()) {
        c.cv_mape[m] = cv->at(m).number(0, 1e9);
      }
    }
  }
  if (const auto req = root.find("request_overhead")) {
    fit.request.gap_ms = req->at("gap_ms").number(0, 1e9);
    fit.request.fixed_ms = req->at("fixed_ms").number(0, 1e6);
    fit.request.per_param_byte_ms = req->at("per_param_byte_ms").number(0, 1e6);
    if (const auto net = req->find("net_ms")) {
      fit.request.net_ms = net->number(0, 1e6);
    }
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
