// edgent-mapbuild run as a binary on the fixture in tests/data/plan (a square-wave trace): the
// configuration map, then `evaluate` on the same trace, each against expected/*.json.
#include "support/golden_run.hpp"

#include <gtest/gtest.h>

#include <string>

namespace edgent::testing {
namespace {

const std::string kData = EDGENT_TEST_DATA_DIR "/plan/";
const std::string kInputs = " --model " + kData + "model.json --accuracy " + kData +
                            "accuracy.json --device-fit " + kData + "device_fit.json --edge-fit " +
                            kData + "edge_fit.json --trace " + kData + "trace.csv";

TEST(MapbuildGolden, BuildAndEvaluate) {
  const GoldenRun mapbuild("edgent-mapbuild");
  RunResult r = mapbuild.run(kInputs + " --deadline 40 --rtt 10 --quiet -o " +
                             mapbuild.path("map.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  mapbuild.expect("map.json", "map.json");

  r = mapbuild.run("evaluate" + kInputs + " --map " + mapbuild.path("map.json") +
                   " --quiet -o " + mapbuild.path("evaluation.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  mapbuild.expect("evaluation.json", "evaluation.json");
}

} // namespace
} // namespace edgent::testing
