#pragma once

// The property the artifact libFuzzer target and the gcc suite check on arbitrary bytes: every
// JSON artifact reader — parse_artifact (schema, kind, version) and each kind's parser into
// structs, as the tools call them — yields a value or an edgent::Error, never another
// exception, a crash or a hang. Kinds whose readers need companions (an accuracy table or a
// fit needs a model card) are read together with the hand-written plan fixture
// (tests/data/plan), the way edgent-plan reads them.

#include "core/artifact.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "dynamic/config_map.hpp"
#include "model/model_card.hpp"
#include "plan/latency_model.hpp"
#include "plan/plan_json.hpp"
#include "plan/problem_from_artifacts.hpp"
#include "regress/latency_fit.hpp"

#include <cstdlib>
#include <string>
#include <string_view>

namespace edgent::fuzz {

/// The plan fixture: a model card with hand-written chains (no ONNX file), its accuracy
/// table and device and edge fits, read once.
struct ArtifactFixture {
  Artifact model;
  Artifact accuracy;
  Artifact device_fit;
  Artifact edge_fit;
  std::vector<plan::Codec> codecs;
  plan::LatencyModel latency;

  static const ArtifactFixture& get() {
    static const ArtifactFixture f = load();
    return f;
  }

private:
  static ArtifactFixture load() {
    const std::string dir = std::string(EDGENT_SOURCE_DIR) + "/tests/data/plan/";
    Artifact model = read_artifact(dir + "model.json", "model");
    Artifact accuracy = read_artifact(dir + "accuracy.json", "accuracy");
    Artifact device = read_artifact(dir + "device_fit.json", "fit");
    Artifact edge = read_artifact(dir + "edge_fit.json", "fit");
    auto codecs = plan::codecs_from_names(plan::ModelInputs{}.codecs);
    plan::LatencyModel latency(plan::problem_from_artifacts(model, &accuracy, device, edge, codecs));
    return ArtifactFixture{std::move(model), std::move(accuracy), std::move(device),
                           std::move(edge), std::move(codecs), std::move(latency)};
  }
};

/// Whether a model card's exits carry hand-written chains: only then is it planned here, as
/// otherwise problem_from_artifacts would open the ONNX file the card names.
inline bool has_hand_written_chains(const nlohmann::json& doc) {
  if (!doc.is_object()) {
    return false;
  }
  const auto exits = doc.find("exits");
  return exits != doc.end() && exits->is_array() && !exits->empty() &&
         exits->front().is_object() && exits->front().contains("chain");
}

/// The kind read from @p input: artifact_kinds()[first byte % count].
inline std::string_view fuzz_artifact_kind(std::string_view input) {
  const auto kinds = artifact_kinds();
  return kinds[static_cast<unsigned char>(input[0]) % kinds.size()].name;
}

/// The first byte picks the kind (fuzz_artifact_kind), the rest is the artifact's text. Returns
/// true when every reader of that kind accepted it.
inline bool check_artifact_bytes(std::string_view input) {
  if (input.empty()) {
    return false;
  }
  const std::string_view kind = fuzz_artifact_kind(input);
  const std::string_view text = input.substr(1);
  const ArtifactFixture& fx = ArtifactFixture::get();
  try {
    const Artifact art = parse_artifact(text, "fuzz.json", kind);
    if (art.version < 1) {
      std::abort();
    }
    // A fit or profile is read in the role it declares (edgent-plan's --device-fit/--edge-fit).
    const bool edge_role = art.doc.is_object() && art.doc.contains("role") &&
                           art.doc["role"] == "edge";
    const auto plan_with = [&](const Artifact& model, const Artifact* accuracy,
                               const Artifact* role) {
      const plan::LatencyModel m(plan::problem_from_artifacts(
          model, accuracy, role && !edge_role ? *role : fx.device_fit,
          role && edge_role ? *role : fx.edge_fit, fx.codecs));
      (void)m;
    };
    if (kind == "model") {
      // Two readers: the card (edgent-infer, edgent-eval) and, for a card with hand-written
      // chains, the planner's (edgent-plan). Accepted when either takes it.
      bool card_ok = false;
      try {
        (void)model::model_card_from_json(art.doc, art.file);
        card_ok = true;
      } catch (const Error&) {
      }
      if (!has_hand_written_chains(art.doc)) {
        return card_ok;
      }
      try {
        plan_with(art, &fx.accuracy, nullptr);
      } catch (const Error&) {
        return card_ok;
      }
    } else if (kind == "accuracy") {
      plan_with(fx.model, &art, nullptr);
    } else if (kind == "profile") {
      // edgent-fit fits it; edgent-plan plans from it in measured-latency mode.
      try {
        (void)regress::fit_profile(art, regress::FitSettings{});
      } catch (const Error&) {
      }
      plan_with(fx.model, &fx.accuracy, &art);
    } else if (kind == "fit") {
      const regress::LatencyFit fit = regress::latency_fit_from_artifact(art);
      (void)fit.predict("conv", regress::Features{{"flops", 1e6}, {"in_size", 784}});
      plan_with(fx.model, &fx.accuracy, &art);
    } else if (kind == "plan") {
      // As edgent-infer --plan reads it.
      const plan::PlanArtifact plan = plan::read_plan(art);
      (void)dynamic::choice_from_record(fx.latency, plan.plan);
    } else if (kind == "cascade") {
      // As edgent-plan --cascades and edgent-mapbuild --cascades read it.
      const model::CascadeTable table = model::read_cascade_table(art);
      (void)plan::decide_cascade(fx.latency, plan::offload_network(1000, 1000, 10), 40, table,
                                 plan::CascadeStatistic::mean);
    } else if (kind == "configmap") {
      const dynamic::ConfigMap map = dynamic::config_map_from_artifact(art);
      if (map.states.empty()) {
        std::abort();
      }
      (void)map.lookup(1000);
      for (const dynamic::MapState& st : map.states) {
        (void)dynamic::choice_from_record(fx.latency, st.plan);
      }
    }
    // sweep, evaluation and run are written for people and scripts; no tool reads them back
    // beyond parse_artifact.
    return true;
  } catch (const Error&) {
    return false;
  }
}

} // namespace edgent::fuzz
