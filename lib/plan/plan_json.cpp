#include "plan/plan_json.hpp"

#include "core/error.hpp"
#include "plan/cascade_plan.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

// edgent.plan/1 (lib/schema/plan.1.json):
//   strategy, feasible, deadline_ms, bandwidth_kbps|null, up_kbps, down_kbps, rtt_ms,
//   edge_queue_ms, up_fixed_ms, down_fixed_ms, device_scale (absent = 1), model_sha256,
//   accuracy_known,
//   plan      {exit, cut, order "device-first"|"edge-first", codec "<name>"|"none", accuracy|null,
//              cascade {exits [..], thresholds [..], leave [..], latency_ms [..],
//                       statistic "mean"|"p95"|"max", expected_ms, p95_ms}   // only for a cascade
//             }
//   predicted {device_ms, codec_ms, edge_ms, up_ms, down_ms, total_ms}
//             // null = infinite (no link); codec_ms absent (0) in plans written before it
//   reward
// The plan and predicted objects are also those of edgent.configmap/1 states[].

namespace edgent::plan {

PlanRecord to_record(const LatencyModel& model, const Decision& decision) {
  const PlanProblem& p = model.problem();
  PlanRecord r;
  r.exit = p.exits[decision.choice.exit_index].exit;
  r.cut = decision.choice.cut;
  r.order = decision.choice.order;
  r.codec = decision.choice.codec < 0 ? "none" : p.codecs[decision.choice.codec].name;
  r.accuracy = decision.accuracy;
  return r;
}

nlohmann::json plan_to_json(const PlanRecord& plan) {
  nlohmann::json j;
  j["exit"] = plan.exit;
  j["cut"] = plan.cut;
  j["order"] = order_name(plan.order);
  j["codec"] = plan.codec;
  j["accuracy"] = json_or_null(plan.accuracy);
  if (plan.cascade) {
    const CascadePlan& c = *plan.cascade;
    j["cascade"] = {{"exits", c.cascade.exits},   {"thresholds", c.cascade.thresholds},
                    {"leave", c.leave},           {"latency_ms", c.latency_ms},
                    {"statistic", c.statistic},   {"expected_ms", c.expected_ms},
                    {"p95_ms", c.p95_ms}};
  }
  return j;
}

namespace {

nlohmann::json ms(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

double ms_from(const JsonView& v, const char* key) {
  const auto x = v.at(key).optional_number();
  return x ? *x : std::numeric_limits<double>::infinity();
}

} // namespace

nlohmann::json breakdown_to_json(const Breakdown& b) {
  return nlohmann::json{{"device_ms", ms(b.device_ms)}, {"codec_ms", ms(b.codec_ms)},
                        {"edge_ms", ms(b.edge_ms)},     {"up_ms", ms(b.up_ms)},
                        {"down_ms", ms(b.down_ms)},     {"total_ms", ms(b.total_ms)}};
}

PlanRecord plan_from_json(const JsonView& v) {
  PlanRecord r;
  r.exit = static_cast<int>(v.at("exit").integer(1, 1000));
  r.cut = static_cast<int>(v.at("cut").integer(0, 1000000));
  const std::string order = v.at("order").string();
  if (order == "device-first") {
    r.order = Order::device_first;
  } else if (order == "edge-first") {
    r.order = Order::edge_first;
  } else {
    v.at("order").fail("must be \"device-first\" or \"edge-first\"");
  }
  r.codec = v.at("codec").nonempty_string();
  const auto a = v.at("accuracy").optional_number();
  if (a && !(*a >= 0 && *a <= 1)) {
    v.at("accuracy").fail("must be in [0, 1] or null");
  }
  r.accuracy = a;
  if (const auto cv = v.find("cascade")) {
    CascadePlan c;
    for (const JsonView& e : cv->at("exits").elements()) {
      c.cascade.exits.push_back(static_cast<int>(e.integer(1, 1000)));
    }
    for (const JsonView& t : cv->at("thresholds").elements()) {
      // NaN cannot be written in JSON; anything outside [0, 1] is refused here.
      c.cascade.thresholds.push_back(t.number(0, 1));
    }
    try {
      model::check_cascade(c.cascade, v.file());
    } catch (const ConfigError& e) {
      cv->at(e.key().substr(0, e.key().find('['))).fail(e.detail());
    }
    if (c.cascade.final_exit() != r.exit) {
      cv->at("exits").fail(fmt::format("must end at the plan's exit {}", r.exit));
    }
    if (r.order != Order::device_first) {
      v.at("order").fail("a cascade runs device-first");
    }
    for (const JsonView& p : cv->at("leave").elements()) {
      c.leave.push_back(p.number(0, 1));
    }
    for (const JsonView& ms : cv->at("latency_ms").elements()) {
      c.latency_ms.push_back(ms.is_null() ? std::numeric_limits<double>::infinity() : ms.number(0, 1e12));
    }
    if (c.leave.size() != c.cascade.exits.size() || c.latency_ms.size() != c.cascade.exits.size()) {
      cv->at("leave").fail("leave and latency_ms need one value per exit");
    }
    if (const auto st = cv->find("statistic")) {
      c.statistic = st->string();
      if (!find_cascade_statistic(c.statistic)) {
        st->fail("must be \"mean\", \"p95\" or \"max\"");
      }
    }
    if (const auto e = cv->find("expected_ms"); e && !e->is_null()) {
      c.expected_ms = e->number();
    }
    if (const auto e = cv->find("p95_ms"); e && !e->is_null()) {
      c.p95_ms = e->number();
    }
    r.cascade = std::move(c);
  }
  return r;
}

Breakdown breakdown_from_json(const JsonView& v) {
  Breakdown b;
  b.device_ms = ms_from(v, "device_ms");
  // Absent in artifacts written before the device codec was predicted.
  b.codec_ms = v.has("codec_ms") ? ms_from(v, "codec_ms") : 0.0;
  b.edge_ms = ms_from(v, "edge_ms");
  b.up_ms = ms_from(v, "up_ms");
  b.down_ms = ms_from(v, "down_ms");
  b.total_ms = ms_from(v, "total_ms");
  return b;
}

PlanArtifact read_plan(const Artifact& artifact) {
  const JsonView root = artifact.root();
  PlanArtifact p;
  p.plan = plan_from_json(root.at("plan"));
  p.predicted = breakdown_from_json(root.at("predicted"));
  p.model_sha256 = root.at("model_sha256").string();
  if (const auto v = root.find("deadline_ms")) {
    p.deadline_ms = v->number(0, 1e9);
  }
  if (const auto v = root.find("strategy")) {
    p.strategy = v->string();
  }
  if (const auto v = root.find("feasible")) {
    p.feasible = v->boolean();
  }
  if (const auto v = root.find("bandwidth_kbps")) {
    p.bandwidth_kbps = v->optional_number();
  }
  const std::pair<const char*, double*> numbers[] = {
      {"up_kbps", &p.up_kbps},         {"down_kbps", &p.down_kbps},
      {"rtt_ms", &p.rtt_ms},           {"edge_queue_ms", &p.edge_queue_ms},
      {"up_fixed_ms", &p.up_fixed_ms}, {"down_fixed_ms", &p.down_fixed_ms},
      {"reward", &p.reward}};
  for (const auto& [key, dest] : numbers) {
    if (const auto v = root.find(key)) {
      *dest = v->number();
    }
  }
  if (const auto v = root.find("device_scale")) {
    p.device_scale = v->number(1e-6, 1e6);
  }
  if (const auto v = root.find("accuracy_known")) {
    p.accuracy_known = v->boolean();
  }
  return p;
}

nlohmann::json to_json(const PlanArtifact& p) {
  nlohmann::json doc;
  doc["strategy"] = p.strategy;
  doc["feasible"] = p.feasible;
  doc["deadline_ms"] = json_or_null(p.deadline_ms);
  doc["bandwidth_kbps"] = json_or_null(p.bandwidth_kbps);
  doc["up_kbps"] = p.up_kbps;
  doc["down_kbps"] = p.down_kbps;
  doc["rtt_ms"] = p.rtt_ms;
  doc["edge_queue_ms"] = p.edge_queue_ms;
  doc["up_fixed_ms"] = p.up_fixed_ms;
  doc["down_fixed_ms"] = p.down_fixed_ms;
  if (p.device_scale != 1) {
    doc["device_scale"] = p.device_scale;
  }
  doc["model_sha256"] = p.model_sha256;
  doc["accuracy_known"] = p.accuracy_known;
  doc["plan"] = plan_to_json(p.plan);
  doc["predicted"] = breakdown_to_json(p.predicted);
  doc["reward"] = p.reward;
  return doc;
}

} // namespace edgent::plan
