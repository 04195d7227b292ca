#include "dynamic/config_map_json.hpp"

#include "core/error.hpp"
#include "core/json_view.hpp"

#include <cmath>
#include <limits>

// edgent.configmap/1 (lib/schema/configmap.1.json):
//   deadline_ms, rtt_ms, edge_queue_ms, model_sha256, resolution,
//   objective {name "accuracy"|"reward", throughput_unit "us"|"ms"|"s"},
//     (absent in maps written before it: the reward, per ms)
//   segmentation {method "pelt", cost "<formula>", penalty "<formula>", penalty_k, sigma_min,
//                 min_segment, bin_s, floor_kbps},
//   detector {method "bocpd", model "<description>", hazard_run, sigma, prior_sigma,
//             floor_kbps, max_run, up_margin, step_s},
//     cost, penalty and model describe the method for people; readers ignore them
//   traces [{path, sha256, scale, segments}],
//   states [{lo_kbps, hi_kbps|null, bandwidth_kbps, strategy, feasible, score,
//            plan {exit, cut, order, codec, accuracy|null},
//            predicted {device_ms, codec_ms, edge_ms, up_ms, down_ms, total_ms}}]
//     score: the objective's value at bandwidth_kbps ("reward" in maps written before it)

namespace edgent::dynamic {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

} // namespace

nlohmann::json objective_to_json(const plan::Objective& o) {
  return {{"name", plan::objective_name(o.kind)},
          {"throughput_unit", plan::throughput_unit_name(o.throughput_unit_ms)}};
}

nlohmann::json config_map_to_json(const ConfigMap& map) {
  const MapSettings& s = map.settings;
  nlohmann::json j;
  j["deadline_ms"] = map.deadline_ms;
  j["rtt_ms"] = map.rtt_ms;
  j["edge_queue_ms"] = map.edge_queue_ms;
  j["model_sha256"] = map.model_sha256;
  j["resolution"] = s.resolution;
  j["objective"] = objective_to_json(s.objective);
  j["segmentation"] = {{"method", "pelt"},
                       {"cost", "normal mean of ln(max(kbps, floor_kbps)) over bin_s bins"},
                       {"penalty", "penalty_k * sigma^2 * ln(n), sigma = MAD(diff)/(0.6745*sqrt 2)"},
                       {"penalty_k", s.segmentation.penalty_k},
                       {"sigma_min", s.segmentation.sigma_min},
                       {"min_segment", s.segmentation.min_segment},
                       {"bin_s", s.segmentation.bin_s},
                       {"floor_kbps", s.segmentation.floor_kbps}};
  j["detector"] = {{"method", "bocpd"},
                   {"model", "normal ln-bandwidth, known sigma, normal prior on the mean"},
                   {"hazard_run", s.detector.hazard_run},
                   {"sigma", s.detector.sigma},
                   {"prior_sigma", s.detector.prior_sigma},
                   {"floor_kbps", s.detector.floor_kbps},
                   {"max_run", s.detector.max_run},
                   {"up_margin", s.up_margin},
                   {"step_s", s.step_s}};
  j["traces"] = nlohmann::json::array();
  for (const TraceRef& t : map.traces) {
    j["traces"].push_back(
        {{"path", t.path}, {"sha256", t.sha256}, {"scale", t.scale}, {"segments", t.segments}});
  }
  j["states"] = nlohmann::json::array();
  for (const MapState& st : map.states) {
    j["states"].push_back(
        {{"lo_kbps", st.lo_kbps},
         {"hi_kbps", std::isfinite(st.hi_kbps) ? nlohmann::json(st.hi_kbps) : nlohmann::json()},
         {"bandwidth_kbps", st.bandwidth_kbps},
         {"strategy", st.strategy},
         {"feasible", st.feasible},
         {"score", st.score},
         {"plan", plan::plan_to_json(st.plan)},
         {"predicted", plan::breakdown_to_json(st.predicted)}});
  }
  return j;
}

ConfigMap config_map_from_artifact(const Artifact& art) {
  const JsonView root = art.root();
  ConfigMap map;
  map.deadline_ms = root.at("deadline_ms").number(1e-9, 1e9);
  map.rtt_ms = root.at("rtt_ms").number(0, 1e9);
  map.edge_queue_ms = root.at("edge_queue_ms").number(0, 1e9);
  map.model_sha256 = root.at("model_sha256").string();
  MapSettings& s = map.settings;
  s.resolution = root.at("resolution").number(1 + 1e-9, 1e9);
  if (root.has("objective")) {
    const JsonView obj = root.at("objective");
    const std::string name = obj.at("name").string();
    try {
      s.objective.kind = plan::parse_objective(name);
      s.objective.throughput_unit_ms = plan::parse_throughput_unit(obj.at("throughput_unit").string());
    } catch (const Error& e) {
      obj.fail(e.detail());
    }
  } else {
    // Maps from before the objective was recorded were all built by the reward, per ms.
    s.objective.kind = plan::Objective::Kind::reward;
    s.objective.throughput_unit_ms = 1;
  }
  const JsonView seg = root.at("segmentation");
  s.segmentation.penalty_k = seg.at("penalty_k").number(0, 1e9);
  s.segmentation.sigma_min = seg.at("sigma_min").number(0, 1e9);
  s.segmentation.min_segment = static_cast<std::size_t>(seg.at("min_segment").integer(1, 1 << 30));
  s.segmentation.bin_s = seg.at("bin_s").number(1e-6, 1e9);
  s.segmentation.floor_kbps = seg.at("floor_kbps").number(1e-9, 1e12);
  const JsonView det = root.at("detector");
  if (det.at("method").string() != "bocpd") {
    det.at("method").fail("only \"bocpd\" is supported");
  }
  s.detector.hazard_run = det.at("hazard_run").number(1, 1e12);
  s.detector.sigma = det.at("sigma").number(1e-9, 1e9);
  s.detector.prior_sigma = det.at("prior_sigma").number(1e-9, 1e9);
  s.detector.floor_kbps = det.at("floor_kbps").number(1e-9, 1e12);
  s.detector.max_run = static_cast<std::size_t>(det.at("max_run").integer(2, 1 << 20));
  s.up_margin = det.at("up_margin").number(0, 1e6);
  s.step_s = det.at("step_s").number(1e-6, 1e9);
  for (const JsonView& t : root.at("traces").elements()) {
    map.traces.push_back(TraceRef{t.at("path").string(), t.at("sha256").string(),
                                  t.at("scale").number(1e-12, 1e12),
                                  static_cast<std::size_t>(t.at("segments").integer(0, 1LL << 40))});
  }
  const auto states = root.at("states").elements();
  if (states.empty()) {
    root.at("states").fail("lists no states");
  }
  for (const JsonView& v : states) {
    MapState st;
    st.lo_kbps = v.at("lo_kbps").number(0, 1e15);
    const auto hi = v.at("hi_kbps").optional_number();
    st.hi_kbps = hi ? *hi : kInf;
    st.bandwidth_kbps = v.at("bandwidth_kbps").number(0, 1e15);
    st.strategy = v.at("strategy").string();
    st.feasible = v.at("feasible").boolean();
    st.score = v.has("score") ? v.at("score").number() : v.at("reward").number();
    st.plan = plan::plan_from_json(v.at("plan"));
    st.predicted = plan::breakdown_from_json(v.at("predicted"));
    if (!map.states.empty() && !(st.lo_kbps > map.states.back().lo_kbps)) {
      v.at("lo_kbps").fail("states must be sorted by ascending lo_kbps");
    }
    map.states.push_back(std::move(st));
  }
  return map;
}

} // namespace edgent::dynamic
