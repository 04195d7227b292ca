// edgent-profile's network measurement (lib/profile/network_probe) against an in-process edge
// server over real loopback sockets: unthrottled, through the client's emulated link at a
// known rate, and its errors. Here, not in tests/profile, because these tests time real
// transfers and the net stage's tests run alone (tests/CMakeLists.txt).
#include "profile/network_probe.hpp"

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "support/scripted_server.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

namespace edgent::profile {
namespace {

using net::testing::RunningServer;
using net::testing::ScriptedHandler;

/// A file in this process's private temporary directory, removed at exit.
std::string temp_file(const std::string& name, const std::string& text) {
  static const edgent::testing::TempDir dir("network-probe");
  const auto path = dir.file(name);
  write_file_atomic(path, text);
  return path;
}

NetworkProbeOptions options_for(std::uint16_t port) {
  NetworkProbeOptions o;
  o.edge.edge = "127.0.0.1:" + std::to_string(port);
  o.reps = 3;
  o.rtt_reps = 10;
  o.warmup = 1;
  return o;
}

TEST(NetworkProbe, MeasuresLoopbackOnOneKeptAliveConnection) {
  ScriptedHandler handler;
  RunningServer server(handler, {});
  const NetworkProbeOptions o = options_for(server.port());
  const NetworkMeasurement m = measure_network(o);
  std::cerr << "[ loopback ] rtt median " << m.rtt.median_ms << " ms, up " << m.up.kbps
            << " kbit/s + " << m.up.intercept_ms << " ms (r2 " << m.up.r2 << "), down "
            << m.down.kbps << " kbit/s + " << m.down.intercept_ms << " ms (r2 " << m.down.r2
            << ")\n";
  EXPECT_EQ(m.edge, o.edge.edge);
  EXPECT_EQ(m.reconnects, 0);
  EXPECT_EQ(m.rtt.samples_ms.size(), 10u);
  EXPECT_GT(m.rtt.median_ms, 0.0);
  EXPECT_LT(m.rtt.median_ms, 100.0);
  ASSERT_EQ(m.sizes.size(), o.sizes.size());
  for (std::size_t k = 0; k < m.sizes.size(); ++k) {
    const SizeTiming& s = m.sizes[k];
    EXPECT_EQ(s.bytes, o.sizes[k]);
    EXPECT_EQ(s.up.samples_ms.size(), 3u);
    EXPECT_EQ(s.down.samples_ms.size(), 3u);
    // The request and the response carry their headers besides the payload.
    EXPECT_GT(s.up_wire_bytes, s.bytes);
    EXPECT_LT(s.up_wire_bytes, s.bytes + 1000);
    EXPECT_GT(s.down_wire_bytes, s.bytes);
    EXPECT_LT(s.down_wire_bytes, s.bytes + 1000);
  }
  // Loopback moves a MiB in well under the time it takes at 100 Mbit/s (84 ms).
  EXPECT_GT(m.up.kbps, 100000.0);
  EXPECT_GT(m.down.kbps, 100000.0);
}

TEST(NetworkProbe, FitsTheRateOfAThrottledLink) {
  ScriptedHandler handler;
  RunningServer server(handler, {});
  NetworkProbeOptions o = options_for(server.port());
  constexpr double kRate = 8000;  // kbit/s: 1 MB/s, 1 ms per 1000 bytes
  o.edge.emulate_trace = temp_file("trace.csv", "t_s,bandwidth_kbps\n0,8000\n");
  o.sizes = {16384, 65536, 262144};
  const NetworkMeasurement m = measure_network(o);
  std::filesystem::remove(o.edge.emulate_trace);
  std::cerr << "[ throttled " << kRate << " kbit/s ] rtt median " << m.rtt.median_ms
            << " ms, up " << m.up.kbps << " kbit/s + " << m.up.intercept_ms << " ms (r2 "
            << m.up.r2 << "), down " << m.down.kbps << " kbit/s + " << m.down.intercept_ms
            << " ms (r2 " << m.down.r2 << ")\n";
  EXPECT_NEAR(m.up.kbps, kRate, 0.1 * kRate);
  EXPECT_NEAR(m.down.kbps, kRate, 0.1 * kRate);
  EXPECT_GT(m.up.r2, 0.99);
  EXPECT_GT(m.down.r2, 0.99);
  // 256 KiB takes about 262 ms each way at this rate.
  EXPECT_NEAR(m.sizes.back().up.median_ms, 262.1, 40.0);
  EXPECT_NEAR(m.sizes.back().down.median_ms, 262.1, 40.0);
}

TEST(NetworkProbe, UnreachableEdgeIsANetErrorNamingTheUrl) {
  // A port that was just free: bind a server, note its port, stop it.
  std::uint16_t port = 0;
  {
    ScriptedHandler handler;
    RunningServer server(handler, {});
    port = server.port();
  }
  NetworkProbeOptions o = options_for(port);
  o.edge.connect_timeout_ms = 500;
  try {
    measure_network(o);
    FAIL() << "no error";
  } catch (const NetError& e) {
    EXPECT_EQ(e.file(), o.edge.edge);
    EXPECT_NE(e.message().find("cannot reach the edge"), std::string::npos) << e.message();
  }
}

TEST(NetworkProbe, RefusedTokenIsAConfigError) {
  ScriptedHandler handler;
  net::ServerOptions server_options;
  server_options.token = "right-token";
  RunningServer server(handler, server_options);
  NetworkProbeOptions o = options_for(server.port());
  // No token: /v1/health passes, the first probe is refused.
  try {
    measure_network(o);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "token");
    EXPECT_EQ(e.file(), o.edge.edge);
  }
  o.edge.token_file = temp_file("wrong-token", "wrong-token\n");
  EXPECT_THROW(measure_network(o), ConfigError);
  o.edge.token_file = temp_file("right-token", "right-token\n");
  o.sizes = {1024, 2048};
  o.reps = 1;
  EXPECT_NO_THROW(measure_network(o));
  std::filesystem::remove(temp_file("wrong-token", ""));
  std::filesystem::remove(o.edge.token_file);
}

TEST(NetworkProbe, BadUrlAndOversizedProbe) {
  NetworkProbeOptions o;
  o.edge.edge = "ftp://127.0.0.1:80";
  EXPECT_THROW(measure_network(o), ConfigError);
  o.edge.edge = "127.0.0.1";
  EXPECT_THROW(measure_network(o), ConfigError);
  ScriptedHandler handler;
  net::ServerOptions server_options;
  server_options.max_body = 100000;
  RunningServer server(handler, server_options);
  o = options_for(server.port());
  o.sizes = {1024, 1048576};
  try {
    measure_network(o);
    FAIL() << "no error";
  } catch (const NetError& e) {
    EXPECT_EQ(e.file(), o.edge.edge);
    EXPECT_NE(e.message().find("413"), std::string::npos) << e.message();
  }
}

} // namespace
} // namespace edgent::profile
