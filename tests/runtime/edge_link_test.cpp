#include "runtime/edge_link.hpp"

#include "core/error.hpp"
#include "support/scripted_server.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include <iostream>
#include <optional>

namespace edgent::runtime {
namespace {

using net::testing::RunningServer;
using net::testing::ScriptedHandler;

const std::string kModel(64, 'a'); // the scripted handler's model

EdgeLinkOptions link_options(const RunningServer& server, std::string model = kModel) {
  EdgeLinkOptions o;
  o.client = server.client_options();
  o.model_sha256 = std::move(model);
  return o;
}

TEST(EdgeLink, ChecksTheModelAndRunsSegments) {
  ScriptedHandler handler;
  RunningServer server(handler, {});
  EdgeLink link(link_options(server));
  EXPECT_TRUE(link.check_model().ok());
  const auto r = link.infer("sleep:30");
  ASSERT_TRUE(r.ok()) << r.http.error;
  EXPECT_EQ(r.http.body, "slept");
  EXPECT_GE(r.compute_ms, 29.0);
  EXPECT_LT(r.network_ms, r.http.total_ms - 29.0);
  EXPECT_TRUE(link.estimator().rtt_ms().has_value());
  EXPECT_LT(*link.estimator().rtt_ms(), 25.0) << "server compute time is not network time";
}

TEST(EdgeLink, EstimatesTheEdgeQueueFromItsAnswersAndDecaysToThePrior) {
  ScriptedHandler handler;
  net::ServerOptions so;
  so.threads = 1;
  so.max_inflight = 1;
  RunningServer server(handler, so);
  auto options = link_options(server);
  options.queue.prior_ms = 2.0;
  options.queue.half_life_s = 0.5;
  EdgeLink link(options);
  EXPECT_DOUBLE_EQ(link.queue_ms(), 2.0) << "the prior before any answer";
  const EdgeReply idle = link.infer("echo:x");
  ASSERT_TRUE(idle.ok());
  EXPECT_NEAR(link.queue_ms(), idle.queue_ms, 0.5) << "the first report replaces the prior";

  // The only worker is held: the edge is full and answers 503 with Retry-After: 1.
  net::HttpClient blocker(server.client_options());
  auto blocked = std::async(std::launch::async, [&] { return blocker.post("/v1/infer", "block"); });
  handler.wait_blocked(1);
  const EdgeReply busy = link.infer("echo:x");
  EXPECT_TRUE(busy.fallback);
  EXPECT_TRUE(busy.busy);
  EXPECT_DOUBLE_EQ(busy.retry_after_s, 1.0);
  const double after_busy = link.queue_ms();
  EXPECT_GT(after_busy, 150.0) << "a 503 counts as a wait of its Retry-After (0.3 x 1000 ms)";
  handler.release();
  EXPECT_TRUE(blocked.get().ok());

  std::this_thread::sleep_for(std::chrono::milliseconds(1600));
  EXPECT_LT(link.queue_ms(), 2.0 + (after_busy - 2.0) / 4) << "three half-lives without news";
  EXPECT_GT(link.queue_ms(), 2.0);
}

TEST(EdgeLink, RefusesADifferentModel) {
  ScriptedHandler handler;
  RunningServer server(handler, {});
  EdgeLink link(link_options(server, std::string(64, 'b')));
  try {
    link.check_model();
    FAIL() << "a different model was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(e.message().find("the edge serves model aaaa"), std::string::npos) << e.message();
  }
  EXPECT_THROW(link.infer("echo:x"), ConfigError) << "the edge answers 409";
  EXPECT_EQ(handler.calls.load(), 0);
}

TEST(EdgeLink, FailuresAreFallbacksWithAReason) {
  ScriptedHandler handler;
  std::optional<RunningServer> server;
  server.emplace(handler, net::ServerOptions{});
  EdgeLink link(link_options(*server));
  const auto busy = link.infer("http:503");
  EXPECT_TRUE(busy.fallback);
  EXPECT_EQ(busy.http.status, 503u);
  const auto bad = link.infer("data-error");
  EXPECT_TRUE(bad.fallback);
  EXPECT_NE(bad.http.error.find("HTTP 400: magic: bad wire header"), std::string::npos)
      << bad.http.error;
  EXPECT_TRUE(link.infer("echo:y").ok());
  server.reset();
  const auto gone = link.infer("echo:z");
  EXPECT_TRUE(gone.fallback);
  EXPECT_EQ(gone.http.outcome, net::Outcome::unreachable) << gone.http.error;
}

TEST(EdgeLink, ProbesWhenStaleAndMeasuresTheThrottledBandwidth) {
  ScriptedHandler handler;
  RunningServer server(handler, {});
  auto options = link_options(server);
  // 2000 kbit/s: the probe takes some 30 ms, so that a scheduling delay of a few ms on a busy
  // CI machine moves the estimate little (at 8000 kbit/s one made it 5763 kbit/s).
  options.client.throttle = std::make_shared<net::Throttle>(std::vector<net::TracePoint>{{0, 2000}});
  EdgeLink link(options);
  ASSERT_TRUE(link.check_model().ok());
  // The RTT that the probe's time is corrected by is the fastest small transfer's. A stall in
  // every one of them makes the estimate high (2352 kbit/s seen under the sanitizers with a
  // build running, 3245 with three spinners on two cores after two small transfers), so there
  // are several.
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(link.infer("echo:small").ok());
  }
  EXPECT_FALSE(link.estimator().bandwidth_kbps()) << "small transfers cannot measure it";
  EXPECT_TRUE(link.estimator().needs_probe(link.now_s()));
  ASSERT_TRUE(link.probe_if_stale());
  ASSERT_TRUE(link.estimator().bandwidth_kbps());
  const double kbps = *link.estimator().bandwidth_kbps();
  std::cout << "probe estimate " << kbps << " kbit/s on a 2000 kbit/s throttle, rtt "
            << *link.estimator().rtt_ms() << " ms\n";
  // Above: the throttle's rate, not the loopback's, within 15 %. Below, wider: a stall in the
  // probe itself slows a one-shot measurement (1264 kbit/s seen with three spinners on two
  // cores); experiments/netprobe.sh measures the estimator's accuracy on a quiet machine.
  EXPECT_LE(kbps, 2000.0 * 1.15);
  EXPECT_GE(kbps, 2000.0 * 0.5);
  EXPECT_FALSE(link.probe_if_stale()) << "fresh estimate, no probe";
}

TEST(EdgeLink, TheMonitorMeasuresAnIdleLinkInTheBackground) {
  ScriptedHandler handler;
  RunningServer server(handler, {});
  auto options = link_options(server);
  options.client.throttle =
      std::make_shared<net::Throttle>(std::vector<net::TracePoint>{{0, 500}});
  EdgeLink link(options);
  EXPECT_FALSE(link.estimator().bandwidth_kbps());
  link.start_monitor();
  // No request crosses the link (a device-only plan): the monitor probes on its own.
  for (int i = 0; i < 60 && !link.estimator().bandwidth_kbps(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const std::size_t probes = link.stop_monitor();
  EXPECT_GE(probes, 1u);
  ASSERT_TRUE(link.estimator().bandwidth_kbps());
  EXPECT_NEAR(*link.estimator().bandwidth_kbps(), 500.0, 500.0 * 0.2);
  ASSERT_TRUE(link.estimator().rtt_ms());
  // Loopback answers a ping in well under 1 ms, but under AddressSanitizer on two busy cores it
  // took 6 ms; a probe counted as round trip would add tens of ms (4 KB takes 64 ms at 500 kbit/s).
  EXPECT_LT(*link.estimator().rtt_ms(), 20.0) << "pings, corrected for their bytes at 500 kbit/s";
}

TEST(EdgeLink, APingKeepsBulkTransfersOutOfTheRtt) {
  ScriptedHandler handler;
  RunningServer server(handler, {});
  auto options = link_options(server);
  options.client.throttle = std::make_shared<net::Throttle>(std::vector<net::TracePoint>{{0, 8000}});
  EdgeLink link(options);
  ASSERT_TRUE(link.probe(64 * 1024));
  ASSERT_TRUE(link.estimator().rtt_ms());
  EXPECT_GT(*link.estimator().rtt_ms(), 50.0) << "only a bulk transfer so far";
  ASSERT_TRUE(link.ping());
  EXPECT_LT(*link.estimator().rtt_ms(), 20.0) << "the ping's time is nearly all round trip";
}

} // namespace
} // namespace edgent::runtime
