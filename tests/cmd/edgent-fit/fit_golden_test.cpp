// edgent-fit run as a binary on the synthetic profile in tests/data/fit: exit code, a quiet
// stderr, and the fit against expected/fit.json.
#include "support/golden_run.hpp"

#include <gtest/gtest.h>

#include <string>

namespace edgent::testing {
namespace {

const std::string kProfile = EDGENT_TEST_DATA_DIR "/fit/profile.json";

TEST(FitGolden, FitsTheSyntheticProfile) {
  const GoldenRun fit("edgent-fit");
  const RunResult r = fit.run(kProfile + " --quiet -o " + fit.path("fit.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  fit.expect("fit.json", "fit.json");
}

TEST(FitGolden, IncludingUnitsChangesTheFit) {
  const GoldenRun fit("edgent-fit");
  const RunResult r =
      fit.run(kProfile + " --include-units --folds 3 --quiet -o " + fit.path("fit.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  fit.expect("fit.json", "fit-include-units.json");
}

} // namespace
} // namespace edgent::testing
