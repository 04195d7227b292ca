// The real haproxy (Debian package haproxy) with configs/haproxy.cfg in front of two real
// edgent-serve processes on loopback. Skipped, saying why, only when haproxy cannot start.

#include "model/model_card.hpp"
#include "model/onnx_graph.hpp"
#include "model/segment_runner.hpp"
#include "net/http_client.hpp"
#include "net/tensor_mat.hpp"
#include "net/tensor_wire.hpp"
#include "support/process.hpp"
#include "support/serve_process.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace edgent::testing {
namespace {

using namespace std::chrono_literals;

const std::string kCard = std::string(EDGENT_SOURCE_DIR) + "/models/branchy-alexnet-fmnist.json";
const std::string kConfig = std::string(EDGENT_SOURCE_DIR) + "/configs/haproxy.cfg";

/// A loopback port free now (bound to 0, then released).
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool accepts(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

std::optional<std::string> find_haproxy() {
  for (const char* path : {"/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy"}) {
    if (::access(path, X_OK) == 0) {
      return std::string(path);
    }
  }
  return std::nullopt;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// The line the load agent on @p port answers (empty when it does not).
std::string agent_says(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  std::string line;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    char buf[64];
    ssize_t n = 0;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) {
      line.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return line;
}

/// Inference requests one edge has answered (its /v1/load).
int answered(std::uint16_t port) {
  net::ClientOptions o;
  o.port = port;
  net::HttpClient c(o);
  const auto r = c.get("/v1/load");
  return r.ok() ? nlohmann::json::parse(r.body).at("recent").get<int>() : -1;
}

TEST(HaproxyScaleOut, SpreadsRequestsOverTheEdgesAndLosesNoneWhenOneIsKilled) {
  const auto haproxy = find_haproxy();
  if (!haproxy) {
    GTEST_SKIP() << "haproxy is not installed (make deps installs the Debian package haproxy)";
  }
  const std::uint16_t agent1 = free_port();
  const std::uint16_t agent2 = free_port();
  ServeProcess edge1({"-m", kCard, "--threads", "1", "--agent-port", std::to_string(agent1)});
  std::optional<ServeProcess> edge2(
      std::in_place,
      std::vector<std::string>{"-m", kCard, "--threads", "1", "--agent-port",
                               std::to_string(agent2)});
  const TempDir dir("haproxy");
  const std::uint16_t lb_port = free_port();
  RunOptions env;
  env.env = {{"EDGENT_LB", "127.0.0.1:" + std::to_string(lb_port)},
             {"EDGE1", "127.0.0.1:" + std::to_string(edge1.port())},
             {"EDGE2", "127.0.0.1:" + std::to_string(edge2->port())},
             {"EDGE1_AGENT", std::to_string(agent1)},
             {"EDGE2_AGENT", std::to_string(agent2)}};
  const std::string log = (dir.path() / "haproxy.log").string();
  ChildProcess lb({*haproxy, "-f", kConfig, "-db"}, log, "/dev/null", env);
  for (int i = 0; i < 200 && !accepts(lb_port); ++i) {
    if (lb.try_wait()) {
      GTEST_SKIP() << "haproxy could not start: " << read_text(log);
    }
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(accepts(lb_port)) << "haproxy is not listening: " << read_text(log);
  std::this_thread::sleep_for(1500ms); // both edges pass their first health checks

  model::SegmentRunner runner(model::OnnxGraph::from_file(model::resolve_model_onnx(kCard)), 1);
  const std::vector<int> shape = runner.cut_shape(1, 0);
  const cv::Mat input(static_cast<int>(shape.size()), shape.data(), CV_32F, cv::Scalar(0.1));
  const std::string body = net::encode_tensor(net::to_wire(input, 1, 1, 0), net::CodecSpec{});
  const auto send = [&](int n) {
    int ok = 0;
    for (int i = 0; i < n; ++i) {
      net::ClientOptions o;
      o.port = lb_port;
      net::HttpClient c(o); // a connection per request: each one is balanced
      const auto r = c.post("/v1/infer", body);
      EXPECT_EQ(r.status, 200u) << "request " << i << ": " << r.error << " " << r.body;
      ok += r.status == 200u ? 1 : 0;
    }
    return ok;
  };
  EXPECT_EQ(send(30), 30);
  const int first = answered(edge1.port());
  const int second = answered(edge2->port());
  EXPECT_EQ(first + second, 30);
  EXPECT_EQ(agent_says(agent1), "ready 100%\n") << "an idle edge keeps all its weight";
  EXPECT_GT(first, 0) << "leastconn spreads the requests";
  EXPECT_GT(second, 0) << "leastconn spreads the requests";

  // SIGKILL one edge: its refused connections are retried on the other, before and after
  // the health checks take it out.
  const pid_t victim = edge2->pid();
  ASSERT_EQ(::kill(victim, SIGKILL), 0);
  EXPECT_EQ(send(30), 30) << "no request lost to the killed edge";
  EXPECT_EQ(answered(edge1.port()), first + 30);
  edge2.reset();
  lb.stop(5s);
}

} // namespace
} // namespace edgent::testing
