#include "plan/plan_json.hpp"

#include "core/artifact.hpp"
#include "core/error.hpp"
#include "plan/sweep_json.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace edgent::plan {
namespace {

Artifact as_artifact(const nlohmann::json& body, const char* kind) {
  nlohmann::json doc = body;
  doc["schema"] = std::string("edgent.") + kind + "/1";
  return parse_artifact(doc.dump(), "a.json", kind);
}

PlanArtifact sample_plan() {
  PlanArtifact p;
  p.strategy = "edgent";
  p.feasible = true;
  p.deadline_ms = 40;
  p.up_kbps = 1000;
  p.down_kbps = 2000;
  p.rtt_ms = 10;
  p.model_sha256 = std::string(64, 'a');
  p.accuracy_known = true;
  p.plan = PlanRecord{2, 3, Order::device_first, "int8", 0.9};
  p.predicted.device_ms = 1;
  p.predicted.edge_ms = 2;
  p.predicted.up_ms = std::numeric_limits<double>::infinity();
  p.predicted.total_ms = std::numeric_limits<double>::infinity();
  p.reward = 0.5;
  return p;
}

TEST(PlanJson, PlanRoundTrips) {
  const nlohmann::json body = to_json(sample_plan());
  EXPECT_TRUE(body["bandwidth_kbps"].is_null()) << "only up and down were given";
  EXPECT_TRUE(body["predicted"]["up_ms"].is_null()) << "infinite";
  EXPECT_EQ(to_json(read_plan(as_artifact(body, "plan"))), body);
}

TEST(PlanJson, PlanReaderNamesTheKey) {
  nlohmann::json body = to_json(sample_plan());
  body["plan"]["order"] = "sideways";
  try {
    (void)read_plan(as_artifact(body, "plan"));
    FAIL() << "no error";
  } catch (const SchemaError& e) {
    EXPECT_EQ(e.key(), "plan.order") << e.message();
    EXPECT_EQ(e.file(), "a.json");
  }
  body = to_json(sample_plan());
  body.erase("deadline_ms");
  body.erase("strategy");
  const PlanArtifact old = read_plan(as_artifact(body, "plan"));
  EXPECT_FALSE(old.deadline_ms) << "hand-made plans may leave it out";
}

TEST(PlanJson, SweepRoundTrips) {
  SweepArtifact s;
  s.rtt_ms = 10;
  s.model_sha256 = "m";
  SweepRow row;
  row.bandwidth_kbps = 500;
  row.deadline_ms = 40;
  row.strategy = "edgent";
  row.plan = PlanRecord{1, 0, Order::edge_first, "fp16", std::nullopt};
  row.predicted.total_ms = 12;
  s.rows = {row, row};
  const nlohmann::json body = to_json(s);
  EXPECT_EQ(body["rows"][0]["codec"], "fp16");
  EXPECT_TRUE(body["rows"][0]["accuracy"].is_null());
  EXPECT_EQ(to_json(read_sweep(as_artifact(body, "sweep"))), body);
}

} // namespace
} // namespace edgent::plan
