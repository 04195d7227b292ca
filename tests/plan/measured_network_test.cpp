// The planner's use of a profile's measured network (lib/plan/measured_network,
// plan::with_measured_network): defaults from the profile, explicit options winning.
#include "plan/measured_network.hpp"

#include "core/artifact.hpp"
#include "core/error.hpp"
#include "plan/latency_model.hpp"
#include "plan/plan_command.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace edgent::plan {
namespace {

nlohmann::json network_section(nlohmann::json up_kbps = 8000.0) {
  return {{"edge", "http://10.77.0.1:8080"},
          {"reconnects", 0},
          {"rtt", {{"samples_ms", {4.0, 5.0, 6.0}}, {"median_ms", 5.0}, {"p95_ms", 6.0}}},
          {"sizes", nlohmann::json::array()},
          {"up", {{"intercept_ms", 7.0}, {"kbps", up_kbps}, {"r2", 0.999}}},
          {"down", {{"intercept_ms", 4.0}, {"kbps", 20000.0}, {"r2", 0.998}}}};
}

class MeasuredNetworkTest : public ::testing::Test {
protected:
  /// A profile artifact holding @p body (role device).
  std::string profile(const std::string& name, nlohmann::json body) const {
    const std::string path = (m_dir / name).string();
    body["role"] = "device";
    write_artifact(path, std::move(body), "profile", "edgent-profile");
    return path;
  }

  edgent::testing::TempDir m_tmp{"measured-network"};
  std::filesystem::path m_dir = m_tmp.path();
};

TEST_F(MeasuredNetworkTest, ReadsTheSectionAndDerivesFixedCosts) {
  const auto m = measured_network(read_artifact(profile("p.json", {{"network", network_section()}}), "profile"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->edge, "http://10.77.0.1:8080");
  EXPECT_DOUBLE_EQ(m->rtt_ms, 5.0);
  EXPECT_DOUBLE_EQ(*m->up_kbps, 8000.0);
  EXPECT_DOUBLE_EQ(*m->down_kbps, 20000.0);
  EXPECT_DOUBLE_EQ(m->up_fixed_ms(), 1.0);    // (7 - 5) / 2
  EXPECT_DOUBLE_EQ(m->down_fixed_ms(), 0.0);  // intercept below the RTT: no extra cost

  EXPECT_FALSE(measured_network(read_artifact(profile("none.json", nlohmann::json::object()), "profile")));
  const auto null_rate = measured_network(
      read_artifact(profile("null.json", {{"network", network_section(nullptr)}}), "profile"));
  ASSERT_TRUE(null_rate);
  EXPECT_FALSE(null_rate->up_kbps);
  EXPECT_THROW(measured_network(read_artifact(
                   profile("neg.json", {{"network", network_section(-1.0)}}), "profile")),
               SchemaError);
  nlohmann::json broken = network_section();
  broken["rtt"].erase("median_ms");
  EXPECT_THROW(measured_network(read_artifact(profile("b.json", {{"network", broken}}), "profile")),
               SchemaError);
}

TEST_F(MeasuredNetworkTest, ProfileValuesAreDefaultsAndFlagsWin) {
  const std::string path = profile("p.json", {{"network", network_section()}});
  PlanOptions o;
  o.inputs.device_profile = path;
  o.rtt_ms = 0;
  PlanOptions m = with_measured_network(o);
  EXPECT_DOUBLE_EQ(m.rtt_ms, 5.0);
  EXPECT_DOUBLE_EQ(m.up_kbps, 8000.0);
  EXPECT_DOUBLE_EQ(m.down_kbps, 20000.0);
  EXPECT_DOUBLE_EQ(m.up_fixed_ms, 1.0);
  EXPECT_DOUBLE_EQ(m.down_fixed_ms, 0.0);

  // --rtt and any bandwidth option win.
  o.rtt_ms = 12;
  o.rtt_set = true;
  o.bandwidth_kbps = 3000;
  m = with_measured_network(o);
  EXPECT_DOUBLE_EQ(m.rtt_ms, 12.0);
  EXPECT_DOUBLE_EQ(m.bandwidth_kbps, 3000.0);
  EXPECT_DOUBLE_EQ(m.up_kbps, 0.0);  // = --bandwidth
  EXPECT_DOUBLE_EQ(m.down_kbps, 0.0);
  EXPECT_DOUBLE_EQ(m.up_fixed_ms, 1.0);
  o.bandwidth_kbps = 0;
  o.up_kbps = 500;
  m = with_measured_network(o);
  EXPECT_DOUBLE_EQ(m.up_kbps, 500.0);
  EXPECT_DOUBLE_EQ(m.down_kbps, 0.0);  // one explicit direction: no measured rate at all
  o.up_kbps = 0;
  o.trace = "some.csv";
  EXPECT_DOUBLE_EQ(with_measured_network(o).up_kbps, 0.0);
  o.trace.clear();
  o.sweep_bandwidth = "100:1000:3";  // sweeps take the RTT and fixed costs, never the rates
  m = with_measured_network(o);
  EXPECT_DOUBLE_EQ(m.up_kbps, 0.0);
  EXPECT_DOUBLE_EQ(m.rtt_ms, 12.0);

  // An explicit --network profile takes precedence over the device profile, and must have a
  // network section; an implicit one without it changes nothing.
  PlanOptions n;
  n.inputs.device_profile = profile("bare.json", nlohmann::json::object());
  EXPECT_DOUBLE_EQ(with_measured_network(n).rtt_ms, 0.0);
  EXPECT_DOUBLE_EQ(with_measured_network(n).up_kbps, 0.0);
  n.network_profile = n.inputs.device_profile;
  EXPECT_THROW(with_measured_network(n), ConfigError);
  n.network_profile = path;
  EXPECT_DOUBLE_EQ(with_measured_network(n).rtt_ms, 5.0);
  PlanOptions e;
  e.inputs.edge_profile = path;
  EXPECT_DOUBLE_EQ(with_measured_network(e).rtt_ms, 5.0);
}

TEST(LatencyModelFixedCost, AddsToEachOffloadedTransfer) {
  Network net = offload_network(8000, 8000, 10);
  const double base_up = 5.0 + transfer_ms(1000 + kOffloadUpOverheadBytes, 8000);
  net.up_fixed_ms = 1.5;
  net.down_fixed_ms = 0.5;
  // A one-unit exit offloaded at cut 0: the fixed costs land on up_ms and down_ms.
  PlanProblem p;
  p.codecs = {{"fp32", 1.0}};
  ExitCosts e;
  e.exit = 1;
  e.device_ms = {2.0};
  e.edge_ms = {1.0};
  e.fp32_bytes = {1000, 40};
  e.cuts = {0, 1};
  p.exits = {e};
  const LatencyModel model(p);
  const Breakdown b = model.latency({0, 0, Order::device_first, 0}, net);
  EXPECT_NEAR(b.up_ms, base_up + 1.5, 1e-9);
  EXPECT_NEAR(b.down_ms, 5.0 + 0.5 + transfer_ms(40 + kOffloadDownOverheadBytes, 8000), 1e-9);
  // Device-only crosses no link and pays nothing.
  const Breakdown d = model.latency({0, 1, Order::device_first, -1}, net);
  EXPECT_DOUBLE_EQ(d.up_ms + d.down_ms, 0.0);
}

} // namespace
} // namespace edgent::plan
