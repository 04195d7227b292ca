// edgent-plan run as a binary on the fixture in tests/data/plan: one plan, one cascade plan and
// one sweep, each
// checked against expected/*.json.
#include "support/golden_run.hpp"

#include <gtest/gtest.h>

#include <string>

namespace edgent::testing {
namespace {

const std::string kData = EDGENT_TEST_DATA_DIR "/plan/";
const std::string kInputs = "--model " + kData + "model.json --accuracy " + kData +
                            "accuracy.json --device-fit " + kData + "device_fit.json --edge-fit " +
                            kData + "edge_fit.json";

TEST(PlanGolden, Plan) {
  const GoldenRun plan("edgent-plan");
  const RunResult r =
      plan.run(kInputs + " --bandwidth 2000 --rtt 10 --deadline 40 --quiet -o " +
               plan.path("plan.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  plan.expect("plan.json", "plan.json");
}

TEST(PlanGolden, Cascade) {
  const GoldenRun plan("edgent-plan");
  const RunResult r = plan.run(kInputs + " --cascades " + kData + "cascade.json" +
                               " --bandwidth 2000 --rtt 10 --deadline 20 --quiet -o " +
                               plan.path("cascade.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  plan.expect("cascade.json", "cascade.json");
}

TEST(PlanGolden, Sweep) {
  const GoldenRun plan("edgent-plan");
  const RunResult r = plan.run(kInputs + " --rtt 10 --deadline 40 --sweep-bandwidth 100:100000:4" +
                               " --quiet -o " + plan.path("sweep.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  plan.expect("sweep.json", "sweep.json");
}

} // namespace
} // namespace edgent::testing
