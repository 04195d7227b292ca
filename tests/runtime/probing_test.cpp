#include "runtime/probing.hpp"

#include <gtest/gtest.h>

namespace edgent::runtime {
namespace {

TEST(ProbingPolicy, PingsAndProbesOnlyWhenRequestsCrossTheNetwork) {
  const ProbingPolicy normal = probing_policy(/*device_only=*/false, /*no_probe=*/false,
                                              /*oracle=*/false);
  EXPECT_TRUE(normal.ping);
  EXPECT_TRUE(normal.probe);

  const ProbingPolicy device_only = probing_policy(true, false, false);
  EXPECT_FALSE(device_only.ping);
  EXPECT_FALSE(device_only.probe);

  const ProbingPolicy no_probe = probing_policy(false, true, false);
  EXPECT_FALSE(no_probe.ping);
  EXPECT_FALSE(no_probe.probe);

  // The oracle knows the bandwidth: it keeps the RTT fresh but sends no probes.
  const ProbingPolicy oracle = probing_policy(false, false, true);
  EXPECT_TRUE(oracle.ping);
  EXPECT_FALSE(oracle.probe);
}

} // namespace
} // namespace edgent::runtime
