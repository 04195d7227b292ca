#include "net/bandwidth_estimator.hpp"

#include <gtest/gtest.h>

#include <random>

namespace edgent::net {
namespace {

/// Time of a transfer of @p bytes on a link with @p rtt_ms and @p kbps.
double link_ms(std::size_t bytes, double rtt_ms, double kbps) {
  return rtt_ms + static_cast<double>(bytes) * 8.0 / kbps;
}

TEST(BandwidthEstimator, EmptyNeedsAProbe) {
  BandwidthEstimator e;
  EXPECT_FALSE(e.rtt_ms());
  EXPECT_FALSE(e.bandwidth_kbps());
  EXPECT_TRUE(e.needs_probe(0.0));
  EXPECT_EQ(e.probe_bytes(), BandwidthEstimatorOptions{}.min_probe_bytes);
}

TEST(BandwidthEstimator, SmallTransfersGiveTheRttButNotTheBandwidth) {
  BandwidthEstimator e;
  for (int i = 0; i < 20; ++i) {
    e.add(600, link_ms(600, 20.0, 5000.0), i * 0.1);
  }
  ASSERT_TRUE(e.rtt_ms());
  EXPECT_NEAR(*e.rtt_ms(), 20.96, 1e-9);
  EXPECT_FALSE(e.bandwidth_kbps()) << "small transfers cannot measure bandwidth";
  EXPECT_TRUE(e.needs_probe(2.0));
}

TEST(BandwidthEstimator, ASlowLinkIsMeasuredByTheRequestsThemselves) {
  BandwidthEstimator e;
  e.add(300, link_ms(300, 0.3, 40000.0), 0.0);  // a ping while the link was fast
  for (int i = 1; i <= 8; ++i) {
    e.add(925, link_ms(925, 0.3, 400.0), i * 0.1);  // 18.5 ms of a 925-byte request
  }
  ASSERT_TRUE(e.bandwidth_kbps()) << "a request's own transfer shows a slow link";
  // The ping, from a faster moment, is corrected for its bytes at today's 400 kbit/s: the
  // RTT comes out 0 instead of 0.3 ms, 1.6 % of a request's 18.8 ms.
  EXPECT_NEAR(*e.bandwidth_kbps(), 400.0, 400.0 * 0.02);
  EXPECT_FALSE(e.needs_probe(1.0));
}

TEST(BandwidthEstimator, SeparatesRttFromBandwidthUnderNoise) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> jitter(0.0, 3.0);
  BandwidthEstimator e;
  double t = 0.0;
  for (int i = 0; i < 40; ++i) {
    const std::size_t bytes = i % 2 == 0 ? 200 : 400000;
    e.add(bytes, link_ms(bytes, 30.0, 8000.0) + jitter(rng), t += 0.2);
  }
  ASSERT_TRUE(e.rtt_ms() && e.bandwidth_kbps());
  EXPECT_NEAR(*e.rtt_ms(), 30.2, 0.5);
  EXPECT_NEAR(*e.bandwidth_kbps(), 8000.0, 8000.0 * 0.02);
  EXPECT_FALSE(e.needs_probe(t + 1.0));
  EXPECT_TRUE(e.needs_probe(t + 6.0)) << "stale after stale_s";
  // probe_target_ms (20 ms) at 8000 kbit/s = 8 bit/ms * 20 ms / 8 bit per byte = 20 kB.
  EXPECT_NEAR(static_cast<double>(e.probe_bytes()), 20000.0, 20000.0 * 0.02);
}

TEST(BandwidthEstimator, SmallTransfersAreCorrectedForTheirTransmission) {
  // A slow link: every ping's own bytes take longer than the round trip.
  // The first ping has nothing to be corrected by: the RTT starts at its 24 ms, and the
  // first rates come out high. Each later ping is corrected by the estimate of its time, so
  // RTT and bandwidth converge together, as a device sees them on a slow link.
  BandwidthEstimator e;
  double t = 0.0;
  for (int round = 0; round < 12; ++round) {
    e.add(300, link_ms(300, 0.2, 100.0), t += 0.1);
    for (int i = 0; i < 8; ++i) {
      e.add(1200, link_ms(1200, 0.2, 100.0), t += 0.1);
    }
  }
  ASSERT_TRUE(e.bandwidth_kbps() && e.rtt_ms());
  EXPECT_LT(*e.rtt_ms(), 1.0) << "not the 24 ms a 300-byte ping takes at 100 kbit/s";
  EXPECT_NEAR(*e.bandwidth_kbps(), 100.0, 2.0);
}

TEST(BandwidthEstimator, TransfersWithinTheLinksBurstInformOnlyTheRtt) {
  BandwidthEstimatorOptions o;
  o.link_burst_bytes = 1600;
  BandwidthEstimator e(o);
  EXPECT_EQ(e.min_bulk(), 3200u);
  EXPECT_EQ(e.min_probe(), 3200u);
  EXPECT_EQ(e.probe_bytes(), 3200u);
  double t = 0.0;
  // A token bucket passes 1200-byte requests at line rate: they say nothing of its rate.
  for (int i = 0; i < 8; ++i) {
    e.add(1200, 0.3, t += 0.1);
  }
  EXPECT_FALSE(e.bandwidth_kbps());
  // A probe beyond the bucket: the rest of it is paced at 500 kbit/s, and only the rest
  // counts.
  e.add(3200, 0.3 + (3200.0 - 1600.0) * 8.0 / 500.0, t += 0.1);
  ASSERT_TRUE(e.bandwidth_kbps());
  EXPECT_NEAR(*e.bandwidth_kbps(), 500.0, 500.0 * 0.01);
}

TEST(BandwidthEstimator, FollowsABandwidthChange) {
  BandwidthEstimator e;
  double t = 0.0;
  e.add(100, link_ms(100, 10.0, 20000.0), t);
  for (int i = 0; i < 8; ++i) {
    e.add(500000, link_ms(500000, 10.0, 20000.0), t += 0.5);
  }
  EXPECT_NEAR(*e.bandwidth_kbps(), 20000.0, 200.0);
  for (int i = 0; i < 5; ++i) {
    e.add(500000, link_ms(500000, 10.0, 2000.0), t += 0.5);
  }
  EXPECT_NEAR(*e.bandwidth_kbps(), 2000.0, 20.0) << "the median follows within half a window";
}

TEST(BandwidthEstimator, IgnoresBadSamplesAndTransfersDominatedByRtt) {
  BandwidthEstimator e;
  e.add(100, -1.0, 0.0);
  e.add(100, std::nan(""), 0.0);
  EXPECT_FALSE(e.rtt_ms());
  e.add(100, 50.0, 0.0);
  e.add(20000, 55.0, 0.1); // 5 ms beyond a 50 ms RTT: noise, not a measurement
  EXPECT_FALSE(e.bandwidth_kbps());
  e.add(20000, 100.0, 0.2);
  ASSERT_TRUE(e.bandwidth_kbps());
  // The fixed point of rtt = 50 - 800 / bw and bw = 160000 / (100 - rtt): the 100-byte
  // transfer's own 0.25 ms of transmission is not round trip.
  EXPECT_NEAR(*e.bandwidth_kbps(), (160000.0 - 800.0) / 50.0, 1e-6);
  EXPECT_NEAR(*e.rtt_ms(), 50.0 - 800.0 / ((160000.0 - 800.0) / 50.0), 1e-6);
}

} // namespace
} // namespace edgent::net
