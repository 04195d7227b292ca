#include "runtime/infer_config.hpp"

#include "core/error.hpp"

#include <gtest/gtest.h>

namespace edgent::runtime {
namespace {

/// Options that pass: a plan file and a data set (neither is opened).
InferOptions plan_options() {
  InferOptions o;
  o.model = "card.json";
  o.plan = "plan.json";
  o.data = "data";
  return o;
}

std::string usage_message(const InferOptions& o) {
  try {
    validate(o);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(InferConfig, TheModeFollowsThePlanSource) {
  EXPECT_EQ(validate(plan_options()).mode, PlanMode::fixed);
  EXPECT_FALSE(validate(plan_options()).fits_given);
  InferOptions map = plan_options();
  map.plan.clear();
  map.map = "map.json";
  EXPECT_EQ(validate(map).mode, PlanMode::map);
  InferOptions fits = plan_options();
  fits.plan.clear();
  fits.device_fit = "d.json";
  fits.edge_fit = "e.json";
  fits.deadline_ms = 20;
  fits.strategy = "edge-only";
  const InferConfig c = validate(fits);
  EXPECT_EQ(c.mode, PlanMode::fits);
  EXPECT_TRUE(c.fits_given);
  EXPECT_EQ(c.strategy, plan::Strategy::edge_only);
  EXPECT_STREQ(mode_name(PlanMode::fixed), "plan");
  EXPECT_STREQ(mode_name(PlanMode::fits), "fits");
  EXPECT_STREQ(mode_name(PlanMode::map), "map");
}

TEST(InferConfig, RefusesOptionsThatDoNotGoTogether) {
  InferOptions o = plan_options();
  o.map = "map.json";
  EXPECT_NE(usage_message(o).find("give one plan source"), std::string::npos);

  o = plan_options();
  o.device_fit = "d.json";
  EXPECT_NE(usage_message(o).find("--device-fit and --edge-fit go together"), std::string::npos);

  o = plan_options();
  o.plan.clear();
  EXPECT_NE(usage_message(o).find("give a plan source"), std::string::npos);
  o.device_fit = "d.json";
  o.edge_fit = "e.json";
  EXPECT_NE(usage_message(o).find("planning from fits needs --deadline"), std::string::npos);
  o.deadline_ms = 20;
  o.oracle = true;
  EXPECT_NE(usage_message(o).find("--oracle plans from fits"), std::string::npos);
  o.link_trace = "t.csv";
  EXPECT_EQ(usage_message(o), "");
  o.net.emulate_trace = "t.csv";
  EXPECT_NE(usage_message(o).find("--link-trace describes"), std::string::npos);

  o = plan_options();
  o.images = "images";
  EXPECT_NE(usage_message(o).find("give one input"), std::string::npos);
  o.data.clear();
  o.images.clear();
  EXPECT_NE(usage_message(o).find("give one input"), std::string::npos);

  o = plan_options();
  o.strategy = "no-such";
  EXPECT_THROW(validate(o), UsageError);
}

} // namespace
} // namespace edgent::runtime
