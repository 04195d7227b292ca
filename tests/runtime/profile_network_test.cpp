// edgent-profile --edge against the real edgent-serve on loopback, end to end: the profile's
// network section, edgent-plan taking its RTT and rates, and the failures that must leave no
// artifact behind (unreachable edge, refused token, bad URL).
#include "core/file_io.hpp"
#include "support/serve_process.hpp"
#include "support/test_pki.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace edgent::testing {
namespace {

const std::string kCard = std::string(EDGENT_SOURCE_DIR) + "/models/branchy-alexnet-fmnist.json";
const std::string kPlanData = std::string(EDGENT_TEST_DATA_DIR) + "/plan/";
// The device's part as short as it goes: no sweep, one rep, and no cold-start requests (21
// samples each after a 100 ms gap: 35 s of sleep per run that these tests do not read).
const std::string kQuick =
    " -m " + kCard + " --no-sweep --anchor-points 0 --reps 1 --warmup 0 --request-gap-ms 0 --quiet";

nlohmann::json read_json(const std::string& path) { return nlohmann::json::parse(read_file(path)); }

TEST(ProfileNetwork, MeasuresTheEdgeAndThePlanUsesIt) {
  TempDir dir;
  ServeProcess server({"-m", kCard});
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port());
  const std::string profile = dir.file("profile.json");
  // Through the client's emulated link at 8 Mbit/s (1 kB/ms), so that the rate is well
  // defined: unthrottled loopback moves these sizes faster than a busy machine's jitter.
  write_file_atomic(dir.file("trace.csv"), "t_s,bandwidth_kbps\n0,8000\n");
  const RunResult r = run_tool("edgent-profile",
                    kQuick + " --edge " + url + " --emulate-trace " + dir.file("trace.csv") +
                        " --net-sizes 1K,16K,64K --net-reps 3 --net-rtt-reps 5 -o " + profile);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto doc = read_json(profile);
  EXPECT_EQ(doc["schema"], "edgent.profile/1");
  EXPECT_FALSE(doc["units"].empty());  // the model was profiled as well
  const auto& net = doc["network"];
  EXPECT_EQ(net["edge"], url);
  EXPECT_EQ(net["reconnects"], 0);
  EXPECT_EQ(net["rtt"]["samples_ms"].size(), 5u);
  EXPECT_GT(net["rtt"]["median_ms"].get<double>(), 0.0);
  ASSERT_EQ(net["sizes"].size(), 3u);
  EXPECT_EQ(net["sizes"][2]["bytes"], 65536);
  EXPECT_EQ(net["sizes"][2]["up"]["samples_ms"].size(), 3u);
  EXPECT_EQ(net["sizes"][2]["down"]["samples_ms"].size(), 3u);
  for (const char* dir_key : {"up", "down"}) {
    ASSERT_TRUE(net[dir_key]["kbps"].is_number()) << net[dir_key];
    // A wide band: this suite runs beside others, and the precise check (10 %, run alone) is
    // tests/net/network_probe_test.cpp's.
    EXPECT_NEAR(net[dir_key]["kbps"].get<double>(), 8000.0, 0.25 * 8000.0);
    EXPECT_TRUE(net[dir_key]["intercept_ms"].is_number());
    EXPECT_TRUE(net[dir_key]["r2"].is_number());
  }

  // The planner takes the RTT and, given no bandwidth, the measured rates.
  const std::string plan = dir.file("plan.json");
  const std::string inputs = " --model " + kPlanData + "model.json --device-fit " + kPlanData +
                             "device_fit.json --edge-fit " + kPlanData + "edge_fit.json";
  const RunResult p = run_tool("edgent-plan",
                    inputs + " --network " + profile + " --deadline 40 -v -o " + plan);
  ASSERT_TRUE(p.code == 0 || p.code == 3) << p.err;
  const auto pj = read_json(plan);
  EXPECT_DOUBLE_EQ(pj["rtt_ms"].get<double>(), net["rtt"]["median_ms"].get<double>());
  EXPECT_DOUBLE_EQ(pj["up_kbps"].get<double>(), net["up"]["kbps"].get<double>());
  EXPECT_DOUBLE_EQ(pj["down_kbps"].get<double>(), net["down"]["kbps"].get<double>());
  EXPECT_NE(p.err.find("from " + profile), std::string::npos) << p.err;
  EXPECT_GE(pj["up_fixed_ms"].get<double>(), 0.0);

  // Explicit options win over the measured values.
  const RunResult q = run_tool("edgent-plan",
                        inputs + " --network " + profile +
                            " --rtt 7 --bandwidth 2000 --deadline 40 -o " + plan);
  ASSERT_TRUE(q.code == 0 || q.code == 3) << q.err;
  const auto qj = read_json(plan);
  EXPECT_DOUBLE_EQ(qj["rtt_ms"].get<double>(), 7.0);
  EXPECT_DOUBLE_EQ(qj["up_kbps"].get<double>(), 2000.0);
  EXPECT_DOUBLE_EQ(qj["down_kbps"].get<double>(), 2000.0);
}

TEST(ProfileNetwork, UnreachableEdgeFailsAndWritesNothing) {
  TempDir dir;
  std::uint16_t port = 0;
  {
    ServeProcess server({"-m", kCard});
    port = server.port();
  }  // killed: nothing listens on the port now
  const std::string url = "127.0.0.1:" + std::to_string(port);
  const std::string out = dir.file("profile.json");
  const RunResult r = run_tool("edgent-profile", kQuick + " --edge " + url + " -o " + out);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("edgent-profile: error: " + url + ": edge: "), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(ProfileNetwork, RefusedTokenFailsAndWritesNothing) {
  TempDir dir;
  write_file_atomic(dir.file("token"), "s3cret-token\n");
  write_file_atomic(dir.file("wrong"), "not-the-token\n");
  ServeProcess server({"-m", kCard, "--token-file", dir.file("token")});
  const std::string url = "127.0.0.1:" + std::to_string(server.port());
  const std::string out = dir.file("profile.json");
  const RunResult r = run_tool("edgent-profile",
                    kQuick + " --edge " + url + " --token-file " + dir.file("wrong") + " -o " + out);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find(url + ": token: the edge refused the bearer token"), std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  // With the right token the same run succeeds.
  const RunResult ok = run_tool("edgent-profile",
                     kQuick + " --edge " + url + " --token-file " + dir.file("token") +
                         " --net-sizes 1K,4K --net-reps 1 --net-rtt-reps 1 -o " + out);
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_TRUE(read_json(out).contains("network"));
}

TEST(ProfileNetwork, OverHttpsTheCertificateMustVerify) {
  TempDir dir;
  net::testing::TestPki pki;
  ServeProcess server({"-m", kCard, "--tls-cert", pki.path("server.pem"), "--tls-key",
                       pki.path("server.key")});
  const std::string url = "https://127.0.0.1:" + std::to_string(server.port());
  const std::string out = dir.file("profile.json");
  const std::string net = " --net-sizes 1K,4K --net-reps 1 --net-rtt-reps 2 -o " + out;
  const RunResult ok = run_tool("edgent-profile",
                         kQuick + " --edge " + url + " --ca " + pki.path("ca.pem") + net);
  ASSERT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(read_json(out)["network"]["edge"], url);
  std::filesystem::remove(out);
  const RunResult bad = run_tool("edgent-profile",
                          kQuick + " --edge " + url + " --ca " + pki.path("other_ca.pem") + net);
  EXPECT_EQ(bad.code, 2) << bad.err;
  EXPECT_NE(bad.err.find(url + ": tls: "), std::string::npos) << bad.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  // https:// without --ca is refused before anything is measured.
  EXPECT_EQ(run_tool("edgent-profile", kQuick + " --edge " + url + net).code, 2);
}

TEST(ProfileNetwork, BadOptionsAreUsageErrors) {
  TempDir dir;
  const std::string out = dir.file("profile.json");
  for (const std::string args : {" --edge ftp://127.0.0.1:1", " --edge 127.0.0.1",
                                 " --edge 127.0.0.1:1 --net-sizes 4K,4K",
                                 " --edge 127.0.0.1:1 --net-sizes 1G,4K",
                                 " --edge 127.0.0.1:1 --net-reps 0",
                                 " --net-sizes 1K,4K", " --token-file x"}) {
    const RunResult r = run_tool("edgent-profile", kQuick + args + " -o " + out);
    EXPECT_EQ(r.code, 2) << args << ": " << r.err;
    EXPECT_NE(r.err.find("edgent-profile: error: "), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(out));
  }
}

} // namespace
} // namespace edgent::testing
