#include "net/throttle.hpp"

#include "core/error.hpp"
#include "net/http_client.hpp"
#include "support/scripted_server.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <thread>

namespace edgent::net {
namespace {

using Clock = std::chrono::steady_clock;

TEST(RateSchedule, SampleAndHoldWithTheMedianSpacingForTheLastSample) {
  // 8000 kbit/s = 1e6 B/s on [0, 1), 16000 on [1, 3), 800 on [3, 4.5) (the median of the
  // spacings {1, 2} is 1.5 s, as for data::Trace's end), so the period is 4.5 s.
  const RateSchedule s({{0, 8000}, {1, 16000}, {3, 800}});
  EXPECT_DOUBLE_EQ(s.period_s(), 4.5);
  EXPECT_DOUBLE_EQ(s.bytes_per_s(0.5), 1e6);
  EXPECT_DOUBLE_EQ(s.bytes_per_s(1.0), 2e6);
  EXPECT_DOUBLE_EQ(s.bytes_per_s(4.4), 1e5);
  EXPECT_DOUBLE_EQ(s.bytes_per_s(5.0), 1e6) << "repeats after the period";
  EXPECT_DOUBLE_EQ(s.bytes_between(0.5, 1.5), 0.5e6 + 1e6);
  EXPECT_DOUBLE_EQ(s.bytes_between(0, 4.5), 1e6 + 4e6 + 1.5e5);
  EXPECT_DOUBLE_EQ(s.bytes_between(4, 11), 0.5e5 + 5.15e6 + 3e6);
  EXPECT_DOUBLE_EQ(s.bytes_between(2, 1), 0.0);
}

TEST(RateSchedule, TimeToCarryInvertsBytesBetween) {
  const RateSchedule s({{0, 8000}, {1, 0}, {2, 16000}}, /*scale=*/0.5);
  for (const double t0 : {0.0, 0.3, 1.2, 2.9, 7.4}) {
    for (const double bytes : {1.0, 1e5, 4.9e5, 5e5, 2e6, 1e7}) {
      const double t1 = s.time_to_carry(t0, bytes);
      EXPECT_GE(t1, t0);
      EXPECT_NEAR(s.bytes_between(t0, t1), bytes, 1e-6 * bytes) << t0 << " " << bytes;
    }
  }
  EXPECT_DOUBLE_EQ(s.time_to_carry(1.2, 1.0), 2.0 + 1.0 / 1e6) << "waits out the outage";
}

TEST(RateSchedule, RejectsBadTraces) {
  const auto bad = [](std::vector<TracePoint> p, double scale = 1.0) {
    try {
      RateSchedule s(std::move(p), scale);
    } catch (const ConfigError& e) {
      return e.message();
    }
    return std::string("accepted");
  };
  EXPECT_EQ(bad({}), "trace: trace has no samples");
  EXPECT_EQ(bad({{1, 100}}), "trace[0]: the first sample must be at t_s = 0");
  EXPECT_EQ(bad({{0, 100}, {0, 100}}), "trace[1]: times must strictly increase");
  EXPECT_EQ(bad({{0, 100}, {1, -5}}), "trace[1]: bandwidth must be a number >= 0, got -5");
  EXPECT_EQ(bad({{0, 0}, {1, 0}}), "trace: every sample is an outage (0 kbit/s)");
  EXPECT_EQ(bad({{0, 100}}, 0.0), "trace-scale: trace scale must be a positive number, got 0");
  EXPECT_EQ(bad({{0, 100}}), "accepted");
}

TEST(TokenBucket, PacesTakesAndHonoursTheDeadline) {
  auto schedule = std::make_shared<const RateSchedule>(std::vector<TracePoint>{{0, 8000}});
  const auto origin = Clock::now();
  TokenBucket bucket(schedule, origin, 1000);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(bucket.acquire(10000)); // 100 kB at 1 MB/s
  }
  const double took = std::chrono::duration<double>(Clock::now() - origin).count();
  EXPECT_GE(took, 0.098);
  EXPECT_LT(took, 0.2);
  const auto before = Clock::now();
  EXPECT_FALSE(bucket.acquire(1000000, Clock::now() + std::chrono::milliseconds(50)));
  EXPECT_LT(Clock::now() - before, std::chrono::milliseconds(20)) << "fails without waiting";
}

TEST(TokenBucket, ALateTransferCatchesUpButAnIdleOneDoesNotBurst) {
  auto schedule = std::make_shared<const RateSchedule>(std::vector<TracePoint>{{0, 8000}});
  const auto origin = Clock::now();
  TokenBucket bucket(schedule, origin, 1000);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(bucket.acquire(10000)); // 100 kB at 1 MB/s: 0.1 s
    if (i == 2) {
      // The taking thread is descheduled mid-transfer: the link carried on meanwhile.
      std::this_thread::sleep_for(std::chrono::milliseconds(60));
    }
  }
  const double took = std::chrono::duration<double>(Clock::now() - origin).count();
  EXPECT_LT(took, 0.14) << "without catching up this takes 0.16 s";
  std::this_thread::sleep_for(std::chrono::milliseconds(300)); // idle: no longer a transfer
  const auto before = Clock::now();
  ASSERT_TRUE(bucket.acquire(10000));
  EXPECT_GE(Clock::now() - before, std::chrono::milliseconds(7))
      << "an idle bucket holds at most max(1000 B, 2 ms) of tokens";
}

TEST(Throttle, ASmallTransferOnAnIdleLinkPaysItsTransmissionTime) {
  Throttle throttle({{0, 8000}}); // 1 MB/s
  std::this_thread::sleep_for(std::chrono::milliseconds(50)); // idle: nothing may be banked
  for (auto* bucket : {&throttle.up(), &throttle.down()}) {
    const auto before = Clock::now();
    ASSERT_TRUE(bucket->acquire(3000)); // 3 ms at 1 MB/s, as the latency model predicts
    EXPECT_GE(Clock::now() - before, std::chrono::microseconds(2900));
  }
}

TEST(TokenBucket, ANewTransferBanksNothingFromThePreviousOne) {
  auto schedule = std::make_shared<const RateSchedule>(std::vector<TracePoint>{{0, 8000}});
  TokenBucket bucket(schedule, Clock::now(), 0, 0.0);
  ASSERT_TRUE(bucket.acquire(10000)); // paced: 10 ms at 1 MB/s
  std::this_thread::sleep_for(std::chrono::milliseconds(100)); // the next request, 100 ms later
  bucket.start_transfer();
  const auto before = Clock::now();
  ASSERT_TRUE(bucket.acquire(3000));
  EXPECT_GE(Clock::now() - before, std::chrono::microseconds(2900))
      << "a paced transfer's catch-up must not carry over to the next request";
}

/// Sends or receives @p bytes through a throttle following @p trace over loopback and
/// returns the achieved rate over the rate the trace predicts, printing both.
double achieved_over_target(bool upload, std::size_t bytes, const std::vector<TracePoint>& trace) {
  testing::ScriptedHandler handler;
  testing::RunningServer server(handler, {});
  auto options = server.client_options();
  options.timeout = std::chrono::seconds(20);
  HttpClient client(options);
  EXPECT_TRUE(client.get("/v1/health").ok()); // connect outside the measurement
  const auto made = Clock::now(); // the throttle's origin, within microseconds
  options.throttle = std::make_shared<Throttle>(trace);
  HttpClient throttled(options);
  const auto throttle = options.throttle;
  const auto start = Clock::now();
  const auto r = upload ? throttled.post("/v1/infer", std::string(bytes, 'u'))
                        : throttled.post("/v1/infer", "download:" + std::to_string(bytes));
  EXPECT_TRUE(r.ok()) << r.error;
  // The uplink is measured from the start of sending, the downlink from its first byte (the
  // server's own delay before answering is not the link's).
  const double from_s = std::chrono::duration<double>(start - made).count() +
                        (upload ? 0.0 : r.first_byte_ms / 1000.0);
  const double elapsed = (r.total_ms - (upload ? 0.0 : r.first_byte_ms)) / 1000.0;
  const std::size_t moved = upload ? r.bytes_up : r.bytes_down;
  const double expected =
      throttle->schedule().time_to_carry(from_s, static_cast<double>(moved)) - from_s;
  const double achieved_kbps = static_cast<double>(moved) * 8.0 / 1000.0 / elapsed;
  const double target_kbps = static_cast<double>(moved) * 8.0 / 1000.0 / expected;
  std::cout << (upload ? "uplink" : "downlink") << ": " << moved << " bytes in " << elapsed
            << " s, achieved " << achieved_kbps << " kbit/s, trace " << target_kbps
            << " kbit/s, ratio " << achieved_kbps / target_kbps << "\n";
  return achieved_kbps / target_kbps;
}

// 8000, 16000, 4000 kbit/s for 0.6 s each carry 0.6 + 1.2 + 0.3 = 2.1 MB in 1.8 s.
const std::vector<TracePoint> kThreeRates = {{0, 8000}, {0.6, 16000}, {1.2, 4000}};

TEST(Throttle, UplinkBulkTransferFollowsTheTraceWithin10Percent) {
  EXPECT_NEAR(achieved_over_target(/*upload=*/true, 2'050'000, kThreeRates), 1.0, 0.10);
}

TEST(Throttle, DownlinkBulkTransferFollowsTheTraceWithin10Percent) {
  EXPECT_NEAR(achieved_over_target(/*upload=*/false, 2'050'000, kThreeRates), 1.0, 0.10);
}

} // namespace
} // namespace edgent::net
