// The network section's fit, options and JSON layout (lib/profile/network_probe); the
// measurement itself over loopback is in tests/net/network_probe_test.cpp.
#include "profile/network_probe.hpp"

#include "core/error.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace edgent::profile {
namespace {

TEST(FitTransfer, RecoversAnExactLine) {
  // 2 ms + bytes * 8 / 8000 kbit/s: 1 ms per 1000 bytes.
  const std::vector<double> bytes{1000, 4000, 16000, 64000};
  std::vector<double> ms;
  for (const double b : bytes) {
    ms.push_back(2.0 + b * 8.0 / 8000.0);
  }
  const TransferFit f = fit_transfer(bytes, ms);
  EXPECT_NEAR(f.intercept_ms, 2.0, 1e-9);
  EXPECT_NEAR(f.kbps, 8000.0, 1e-6);
  EXPECT_NEAR(f.r2, 1.0, 1e-12);
}

TEST(FitTransfer, NoisyPointsGiveLeastSquaresAndAnR2BelowOne) {
  // Points (0,1), (1,3), (2,2), (3,5): Sxx 5, Sxy 5.5, Syy 8.75, so slope 1.1 ms/byte,
  // intercept 2.75 - 1.1 * 1.5 = 1.1 ms, SSres 8.75 - 1.1 * 5.5 = 2.7.
  const TransferFit f = fit_transfer({0, 1, 2, 3}, {1, 3, 2, 5});
  EXPECT_NEAR(f.intercept_ms, 1.1, 1e-9);
  EXPECT_NEAR(f.kbps, 8.0 / 1.1, 1e-9);
  EXPECT_NEAR(f.r2, 1.0 - 2.7 / 8.75, 1e-9);
  EXPECT_LT(f.r2, 1.0);
}

TEST(FitTransfer, TimeNotGrowingWithSizeIsAnInfiniteRate) {
  const TransferFit flat = fit_transfer({1000, 2000, 4000}, {0.1, 0.1, 0.1});
  EXPECT_TRUE(std::isinf(flat.kbps));
  EXPECT_NEAR(flat.intercept_ms, 0.1, 1e-12);
  const TransferFit falling = fit_transfer({1000, 2000}, {0.2, 0.1});
  EXPECT_TRUE(std::isinf(falling.kbps));
}

TEST(FitTransfer, NeedsTwoDistinctFiniteSizes) {
  EXPECT_THROW(fit_transfer({1000, 1000}, {1, 2}), ConfigError);
  EXPECT_THROW(fit_transfer({1000}, {1}), ConfigError);
  EXPECT_THROW(fit_transfer({}, {}), ConfigError);
  EXPECT_THROW(fit_transfer({1, 2}, {1, NAN}), ConfigError);
  EXPECT_THROW(fit_transfer({1, 2}, {1}), ConfigError);
}

TEST(NetworkOptions, ParseSizes) {
  EXPECT_EQ(parse_sizes("1K,4k,1M,100"), (std::vector<std::size_t>{1024, 4096, 1048576, 100}));
  EXPECT_EQ(parse_sizes("64M"), (std::vector<std::size_t>{kMaxProbeBytes}));
  for (const char* bad : {"", "1K,", ",1K", "1G", "65M", "-1", "1.5K", "K", "1 K", "1KB"}) {
    EXPECT_THROW(parse_sizes(bad), UsageError) << bad;
  }
  try {
    parse_sizes("1X");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_EQ(e.key(), "--net-sizes");
  }
}

TEST(NetworkOptions, Validate) {
  NetworkProbeOptions o;
  EXPECT_NO_THROW(validate(o));
  o.sizes = {4096, 4096};
  EXPECT_THROW(validate(o), UsageError);
  o.sizes = {0, 4096};
  EXPECT_THROW(validate(o), UsageError);
  o.sizes = {1024, kMaxProbeBytes + 1};
  EXPECT_THROW(validate(o), UsageError);
  o.sizes = {1024, 4096};
  o.reps = 0;
  EXPECT_THROW(validate(o), UsageError);
  o.reps = 1;
  o.rtt_reps = 0;
  EXPECT_THROW(validate(o), UsageError);
  o.rtt_reps = 1;
  o.warmup = -1;
  EXPECT_THROW(validate(o), UsageError);
}

TEST(NetworkJson, Layout) {
  NetworkMeasurement m;
  m.edge = "http://127.0.0.1:9";
  m.rtt = summarize({0.2, 0.1, 0.3});
  SizeTiming s;
  s.bytes = 1024;
  s.up_wire_bytes = 1200;
  s.down_wire_bytes = 1150;
  s.up = summarize({1.0, 2.0});
  s.down = summarize({3.0});
  m.sizes = {s};
  m.up = {0.5, 8000, 0.99};
  m.down = {0.25, INFINITY, 0.5};
  const nlohmann::json j = to_json(m);
  EXPECT_EQ(j["edge"], "http://127.0.0.1:9");
  EXPECT_EQ(j["reconnects"], 0);
  EXPECT_DOUBLE_EQ(j["rtt"]["median_ms"].get<double>(), 0.2);
  EXPECT_DOUBLE_EQ(j["rtt"]["p95_ms"].get<double>(), 0.29);
  EXPECT_EQ(j["rtt"]["samples_ms"].size(), 3u);
  ASSERT_EQ(j["sizes"].size(), 1u);
  const auto& js = j["sizes"][0];
  EXPECT_EQ(js["bytes"], 1024);
  EXPECT_EQ(js["up_wire_bytes"], 1200);
  EXPECT_EQ(js["down_wire_bytes"], 1150);
  EXPECT_DOUBLE_EQ(js["up"]["median_ms"].get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(js["down"]["p95_ms"].get<double>(), 3.0);
  EXPECT_EQ(js["up"]["samples_ms"].size(), 2u);
  EXPECT_DOUBLE_EQ(j["up"]["intercept_ms"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["up"]["kbps"].get<double>(), 8000);
  EXPECT_DOUBLE_EQ(j["up"]["r2"].get<double>(), 0.99);
  EXPECT_TRUE(j["down"]["kbps"].is_null()); // infinite rate
  EXPECT_EQ(j.size(), 6u);
}

} // namespace
} // namespace edgent::profile
