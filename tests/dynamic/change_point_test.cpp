#include "dynamic/change_point.hpp"
#include "dynamic/segmentation.hpp"

#include "core/error.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

namespace edgent::dynamic {
namespace {

/// A piecewise-constant bandwidth series (kbps) with multiplicative log-normal noise.
std::vector<double> synthetic(const std::vector<std::pair<std::size_t, double>>& pieces,
                              double noise, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> n(0, noise);
  std::vector<double> out;
  for (const auto& [len, level] : pieces) {
    for (std::size_t i = 0; i < len; ++i) {
      out.push_back(level * std::exp(n(rng)));
    }
  }
  return out;
}

const std::vector<std::pair<std::size_t, double>> kPieces{
    {80, 2000}, {60, 500}, {100, 8000}, {40, 1000}, {90, 3000}};
const std::vector<std::size_t> kTruth{80, 140, 240, 280};

TEST(Pelt, FindsKnownChangePointsWithinTolerance) {
  for (unsigned seed = 1; seed <= 5; ++seed) {
    const auto x = log_series(synthetic(kPieces, 0.2, seed), 10);
    const double sigma = robust_sigma(x);
    EXPECT_NEAR(sigma, 0.2, 0.05);
    const auto cps = pelt(x, SegmentSettings{}.penalty_k * sigma * sigma * std::log(x.size()), 3);
    std::string found;
    for (auto c : cps) {
      found += std::to_string(c) + " ";
    }
    ASSERT_EQ(cps.size(), kTruth.size()) << "seed " << seed << ": " << found;
    for (std::size_t i = 0; i < cps.size(); ++i) {
      EXPECT_LE(std::abs(static_cast<long>(cps[i]) - static_cast<long>(kTruth[i])), 2)
          << "seed " << seed << " change " << i;
    }
  }
}

TEST(Pelt, ConstantSeriesHasNoChangeAndMinSegmentHolds) {
  const auto x = log_series(synthetic({{300, 1000}}, 0.2, 7), 10);
  EXPECT_TRUE(pelt(x, 2 * 0.04 * std::log(300.0), 3).empty());
  // A zero penalty splits as much as allowed, never below the minimum length.
  const auto cps = pelt(x, 0.0, 5);
  std::size_t prev = 0;
  for (const auto c : cps) {
    EXPECT_GE(c - prev, 5U);
    prev = c;
  }
  EXPECT_GE(x.size() - prev, 5U);
}

TEST(SegmentTrace, SegmentsAPiecewiseTrace) {
  const auto kbps = synthetic(kPieces, 0.2, 3);
  std::string csv = "t_s,bandwidth_kbps\n";
  for (std::size_t i = 0; i < kbps.size(); ++i) {
    csv += std::to_string(i) + "," + std::to_string(kbps[i]) + "\n";
  }
  const Segmentation s = segment_trace(data::parse_trace(csv, "syn.csv"), SegmentSettings{});
  ASSERT_EQ(s.segments.size(), 5U);
  for (std::size_t i = 0; i < s.segments.size(); ++i) {
    EXPECT_NEAR(s.segments[i].kbps(), kPieces[i].second, 0.15 * kPieces[i].second);
  }
}

TEST(Bocpd, DetectsEachChangeWithBoundedDelay) {
  for (unsigned seed = 1; seed <= 5; ++seed) {
    const auto kbps = synthetic(kPieces, 0.2, seed);
    Bocpd det;
    std::vector<std::size_t> alarms;
    for (std::size_t t = 0; t < kbps.size(); ++t) {
      if (det.update(kbps[t])) {
        alarms.push_back(t);
      }
    }
    for (const std::size_t cp : kTruth) {
      const auto it = std::lower_bound(alarms.begin(), alarms.end(), cp);
      ASSERT_NE(it, alarms.end()) << "seed " << seed << " missed change at " << cp;
      EXPECT_LE(*it - cp, 5U) << "seed " << seed << " change at " << cp;
    }
    // Few false alarms: at most one per true segment beyond the true changes.
    EXPECT_LE(alarms.size(), kTruth.size() + kPieces.size()) << "seed " << seed;
    EXPECT_NEAR(det.estimate_kbps(), 3000, 450);
  }
}

TEST(Bocpd, MemoryIsBounded) {
  BocpdSettings s;
  s.max_run = 20;
  Bocpd det(s);
  for (int i = 0; i < 500; ++i) {
    det.update(1000);
  }
  EXPECT_LE(det.run_length(), 20U);
  EXPECT_NEAR(det.estimate_kbps(), 1000, 1e-6);
  EXPECT_THROW(Bocpd(BocpdSettings{0.5, 0.3, 1, 10, 10}), ConfigError);
}

TEST(StateTracker, LookupAndHysteresis) {
  StateTracker tr({0, 100, 200, 400}, /*up_margin=*/0.2);
  EXPECT_EQ(tr.lookup(50), 0U);
  EXPECT_EQ(tr.lookup(100), 1U);
  EXPECT_EQ(tr.lookup(1e9), 3U);
  EXPECT_EQ(tr.update(150), 1U);
  EXPECT_EQ(tr.update(210), 1U); // not 20 % above 200
  EXPECT_EQ(tr.update(239), 1U);
  EXPECT_EQ(tr.update(241), 2U);
  EXPECT_EQ(tr.update(199), 1U); // down at once
  // Oscillating around a bound does not flap.
  for (int i = 0; i < 10; ++i) {
    tr.update(i % 2 ? 195 : 205);
  }
  EXPECT_EQ(tr.state(), 1U);
  EXPECT_EQ(tr.switches(), 2U);
  EXPECT_EQ(tr.update(1000), 3U); // a big jump goes straight up
}

} // namespace
} // namespace edgent::dynamic

namespace edgent::dynamic {
namespace {

TEST(SegmentTrace, RealSwitchingTraceSplitsIntoItsLevels) {
  const std::string path =
      EDGENT_SHARED_DIR "/traces/fcc_broadband/trace_207336_http---www.amazon.com.csv";
  if (!std::filesystem::exists(path)) {
    GTEST_SKIP() << "no shared trace " << path;
  }
  // This FCC trace switches between about 0.5-1.5 Mbps and 4-4.6 Mbps every few samples.
  const data::Trace trace = data::read_trace(path);
  const Segmentation s = segment_trace(trace, SegmentSettings{});
  ASSERT_GE(s.segments.size(), 3U);
  double lo = 1e18;
  double hi = 0;
  for (const Segment& seg : s.segments) {
    EXPECT_GE(seg.end - seg.begin, SegmentSettings{}.min_segment);
    lo = std::min(lo, seg.kbps());
    hi = std::max(hi, seg.kbps());
  }
  EXPECT_LT(lo, 1500);
  EXPECT_GT(hi, 3000);
}

} // namespace
} // namespace edgent::dynamic
