#include "runtime/plan_source.hpp"

#include "core/artifact.hpp"
#include "core/error.hpp"
#include "model/model_card.hpp"
#include "runtime/device_runner.hpp"

#include "plan/cascade_plan.hpp"
#include "plan/problem_from_artifacts.hpp"
#include "support/fixture_fits.hpp"
#include "support/plan_problems.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <unistd.h>

namespace edgent::runtime {
namespace {

const std::string kCard = std::string(EDGENT_SOURCE_DIR) + "/models/branchy-alexnet-fmnist.json";

using testing::hand_problem;

using testing::TempDir;

/// Writes an edgent.plan/1 file with @p plan, a prediction of 12 ms and a 40 ms deadline.
std::string write_plan(const TempDir& dir, const plan::PlanRecord& plan, const std::string& sha) {
  plan::Breakdown predicted;
  predicted.device_ms = 7;
  predicted.edge_ms = 2;
  predicted.up_ms = 2;
  predicted.down_ms = 1;
  predicted.total_ms = 12;
  const std::string path = dir.file("plan.json");
  write_artifact(path,
                 {{"plan", plan::plan_to_json(plan)},
                  {"predicted", plan::breakdown_to_json(predicted)},
                  {"model_sha256", sha},
                  {"deadline_ms", 40.0}},
                 "plan", "edgent-plan");
  return path;
}

struct Model {
  std::shared_ptr<const model::OnnxGraph> graph;
  Model() {
    const model::ModelCard card = model::read_model_card(kCard);
    graph = model::OnnxGraph::from_file(model::onnx_path(card, kCard));
  }
};

TEST(FixedPlanSource, ReadsThePlanFileAndGivesItsPlanToEveryRequest) {
  const TempDir dir("plan-source");
  const plan::PlanRecord record{1, 2, plan::Order::device_first, "int8", 0.8};
  const std::string path = write_plan(dir, record, "abc");
  FixedPlan fixed = read_fixed_plan(path, "abc", /*deadline_ms=*/0);
  EXPECT_DOUBLE_EQ(fixed.deadline_ms, 40) << "the plan's deadline when none is given";
  EXPECT_DOUBLE_EQ(read_fixed_plan(path, "abc", 25).deadline_ms, 25) << "the given one wins";
  EXPECT_DOUBLE_EQ(read_fixed_plan(path, "", 0).deadline_ms, 40) << "no sha: nothing to check";

  FixedPlanSource source(std::move(fixed), nullptr);
  EXPECT_EQ(source.mode(), PlanMode::fixed);
  EXPECT_EQ(source.latency_model(), nullptr);
  for (const double kbps : {100.0, 10000.0}) {
    RequestConditions at;
    at.network = plan::offload_network(kbps, kbps, 5);
    at.measured_kbps = kbps;
    const PlanChoice c = source.next(at);
    EXPECT_EQ(c.plan.exit, 1);
    EXPECT_EQ(c.plan.cut, 2);
    EXPECT_EQ(c.plan.codec, "int8");
    ASSERT_TRUE(c.predicted) << "without fits the plan file's prediction stands";
    EXPECT_DOUBLE_EQ(c.predicted->total_ms, 12);
    EXPECT_TRUE(c.state.is_null());
  }
}

TEST(FixedPlanSource, RefusesAPlanMadeForAnotherModel) {
  const TempDir dir("plan-source");
  const std::string path = write_plan(dir, {1, 0, plan::Order::device_first, "fp32", {}}, "abc");
  try {
    read_fixed_plan(path, "def", 0);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("made for model abc"), std::string::npos) << e.what();
    EXPECT_EQ(e.key(), "model_sha256");
  }
}

TEST(FixedPlanSource, PreparesItsPlanAndKnowsWhenNoRequestOffloads) {
  const Model m;
  DeviceRunner runner(m.graph, nullptr, 1);
  const TempDir dir("plan-source");
  const int n = runner.segments().chain(1).size();
  const std::string sha = m.graph->sha256();

  FixedPlanSource device_only(
      read_fixed_plan(write_plan(dir, {1, n, plan::Order::device_first, "none", {}}, sha), sha, 0),
      nullptr);
  device_only.prepare(runner, {});
  EXPECT_TRUE(device_only.device_only(runner));

  FixedPlanSource edge_only(
      read_fixed_plan(write_plan(dir, {1, 0, plan::Order::device_first, "fp32", {}}, sha), sha, 0),
      nullptr);
  EXPECT_FALSE(edge_only.device_only(runner));

  FixedPlanSource bad(
      read_fixed_plan(write_plan(dir, {99, 0, plan::Order::device_first, "fp32", {}}, sha), sha, 0),
      nullptr);
  EXPECT_THROW(bad.prepare(runner, {}), ConfigError);
}

/// The default model's latency model with the plan fixture's fits (written into @p dir).
std::shared_ptr<const plan::LatencyModel> fixture_latency(const Model& m, const TempDir& dir) {
  testing::write_fixture_fits(dir.path().string(), m.graph->sha256());
  plan::ModelInputs mi;
  mi.model = kCard;
  mi.device_fit = dir.file("device.fit.json");
  mi.edge_fit = dir.file("edge.fit.json");
  return std::make_shared<const plan::LatencyModel>(plan::load_problem(mi).problem);
}

TEST(FitsPlanner, LoadsThePlanForTheStartSoThatTheFirstRequestLoadsNothing) {
  const Model m;
  const TempDir dir("plan-source");
  const auto latency = fixture_latency(m, dir);
  DeviceRunner runner(m.graph, nullptr, 1);
  FitsPlanner planner(latency, /*deadline_ms=*/1000, plan::Strategy::device_only);
  EXPECT_EQ(runner.segments().cached(), 0u);
  const RequestConditions start;
  planner.prepare(runner, start);
  const std::size_t loaded = runner.segments().cached();
  EXPECT_GT(loaded, 0u);
  const PlanChoice first = planner.next(start);
  const std::vector<int> shape = runner.segments().cut_shape(first.plan.exit, 0);
  const cv::Mat input(static_cast<int>(shape.size()), shape.data(), CV_32F, cv::Scalar(0.5));
  const RunResult r = runner.run(1, input, first.plan, std::chrono::steady_clock::now(), 1000);
  EXPECT_EQ(r.exit, first.plan.exit);
  EXPECT_EQ(runner.segments().cached(), loaded);
}

TEST(FitsPlanner, LoadsThePlansOfASlowerDeviceToo) {
  // Cascades, device-only (no link): with a deadline the loosest plan meets only as profiled,
  // a device 25 % slower is planned another cascade, whose trunk pieces no other plan loads;
  // it is loaded before the first request too.
  const Model m;
  const TempDir dir("plan-source");
  const auto latency = fixture_latency(m, dir);
  plan::CascadeSearch search;
  search.table = plan::read_cascade_table_for(
      std::string(EDGENT_SOURCE_DIR) + "/models/branchy-alexnet-fmnist.cascade.json",
      m.graph->sha256(), latency->problem());
  const PlanChoice loose =
      FitsPlanner(latency, 1e9, plan::Strategy::edgent, search).next(RequestConditions{});
  ASSERT_TRUE(loose.predicted);
  FitsPlanner planner(latency, loose.predicted->total_ms * 1.05, plan::Strategy::edgent, search);
  RequestConditions slow;
  slow.network.device_scale = 1.25;
  const PlanChoice as_profiled = planner.next(RequestConditions{});
  const PlanChoice slower = planner.next(slow);
  const auto exits = [](const PlanChoice& c) {
    return c.plan.cascade ? c.plan.cascade->cascade.exits : std::vector<int>{c.plan.exit};
  };
  ASSERT_NE(exits(as_profiled), exits(slower)) << "the case needs two cascades";
  DeviceRunner runner(m.graph, nullptr, 1);
  planner.prepare(runner, RequestConditions{});
  const std::size_t loaded = runner.segments().cached();
  for (const PlanChoice* c : {&as_profiled, &slower}) {
    const std::vector<int> shape = runner.segments().cut_shape(c->plan.exit, 0);
    const cv::Mat input(static_cast<int>(shape.size()), shape.data(), CV_32F, cv::Scalar(0.5));
    (void)runner.run(1, input, c->plan, std::chrono::steady_clock::now(), 1000);
    EXPECT_EQ(runner.segments().cached(), loaded) << "exit " << c->plan.exit;
  }
}

TEST(FitsPlanner, PlansEachRequestAtItsNetworkAsTheSearchDoes) {
  const auto latency = std::make_shared<const plan::LatencyModel>(hand_problem());
  FitsPlanner planner(latency, /*deadline_ms=*/30, plan::Strategy::edgent);
  EXPECT_EQ(planner.mode(), PlanMode::fits);
  EXPECT_DOUBLE_EQ(planner.deadline_ms(), 30);
  EXPECT_EQ(planner.latency_model(), latency.get());
  for (const double kbps : {1.0, 50.0, 1000.0, 100000.0}) {
    RequestConditions at;
    at.network = plan::offload_network(kbps, kbps, 1);
    const PlanChoice c = planner.next(at);
    const plan::Decision d = plan::decide(*latency, at.network, 30, plan::Strategy::edgent);
    const plan::PlanRecord want = plan::to_record(*latency, d);
    EXPECT_EQ(c.plan.exit, want.exit) << kbps;
    EXPECT_EQ(c.plan.cut, want.cut) << kbps;
    EXPECT_EQ(c.plan.order, want.order) << kbps;
    EXPECT_EQ(c.plan.codec, want.codec) << kbps;
    ASSERT_TRUE(c.predicted);
    EXPECT_DOUBLE_EQ(c.predicted->total_ms, d.predicted.total_ms) << kbps;
    EXPECT_TRUE(c.state.is_null());
  }
  // A slow link keeps the work on the device; a fast one offloads.
  RequestConditions slow;
  slow.network = plan::offload_network(1, 1, 1);
  EXPECT_EQ(planner.next(slow).plan.codec, "none");
  RequestConditions fast;
  fast.network = plan::offload_network(1e6, 1e6, 0.1);
  EXPECT_NE(planner.next(fast).plan.codec, "none");
}

TEST(FitsPlanner, ABusyEdgePushesThePlanTowardTheDevice) {
  const auto latency = std::make_shared<const plan::LatencyModel>(hand_problem());
  FitsPlanner planner(latency, /*deadline_ms=*/30, plan::Strategy::edgent);
  RequestConditions idle;
  idle.network = plan::offload_network(1e6, 1e6, 0.1, /*edge_queue_ms=*/0);
  const PlanChoice offload = planner.next(idle);
  EXPECT_NE(offload.plan.codec, "none") << "an idle edge on a fast link takes the work";
  EXPECT_EQ(offload.plan.exit, 2);
  // The same request while the edge reports a queue: its wait counts against the deadline.
  RequestConditions queued = idle;
  queued.network.edge_queue_ms = 10;
  const PlanChoice later = planner.next(queued);
  ASSERT_TRUE(offload.predicted && later.predicted);
  if (later.plan.codec != "none") {
    EXPECT_GE(later.predicted->total_ms, offload.predicted->total_ms + 10 - 1e-9);
  }
  RequestConditions busy = idle;
  busy.network.edge_queue_ms = 100;
  const PlanChoice local = planner.next(busy);
  EXPECT_EQ(local.plan.codec, "none") << "nothing offloaded meets the deadline behind the queue";
  EXPECT_EQ(local.plan.cut, 2) << "device-only";
  EXPECT_EQ(local.plan.exit, 1) << "the deepest exit the device alone meets the deadline with";
  EXPECT_NE(planner.next(idle).plan.codec, "none") << "and back once the queue drains";
}

TEST(FitsPlanner, DeviceOnlyStrategiesNeverOffload) {
  const Model m;
  const DeviceRunner runner(m.graph, nullptr, 1);
  const auto latency = std::make_shared<const plan::LatencyModel>(hand_problem());
  EXPECT_TRUE(FitsPlanner(latency, 30, plan::Strategy::device_only).device_only(runner));
  EXPECT_TRUE(FitsPlanner(latency, 30, plan::Strategy::exit_only).device_only(runner));
  EXPECT_FALSE(FitsPlanner(latency, 30, plan::Strategy::edgent).device_only(runner));
  EXPECT_FALSE(FitsPlanner(latency, 30, plan::Strategy::edge_only).device_only(runner));
}

} // namespace
} // namespace edgent::runtime
