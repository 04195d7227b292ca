// Faults against the real edgent-serve binary on loopback: slow clients (a header trickled a
// byte per second, a body shorter than its Content-Length) are closed by the read timeout
// while a well-behaved client is served as usual; a body over --max-body is refused with 413
// before it is read; after each, a good request on a new connection succeeds.
#include "model/model_card.hpp"
#include "model/segment_runner.hpp"
#include "net/http_client.hpp"
#include "net/tensor_mat.hpp"
#include "net/tensor_wire.hpp"
#include "support/serve_process.hpp"
#include "support/raw_socket.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace edgent::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using net::testing::RawSocket;

const std::string kCard = std::string(EDGENT_SOURCE_DIR) + "/models/branchy-alexnet-fmnist.json";
constexpr auto kReadTimeout = 2000ms;
constexpr std::size_t kMaxBody = 64 * 1024;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

/// One edgent-serve with a short read timeout and a small body limit, shared by the suite.
class ServeFaults : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    s_server = std::make_unique<ServeProcess>(std::vector<std::string>{
        "-m", kCard, "--threads", "2", "--read-timeout-ms",
        std::to_string(kReadTimeout.count()), "--max-body", std::to_string(kMaxBody)});
    model::SegmentRunner runner(model::OnnxGraph::from_file(model::resolve_model_onnx(kCard)), 1);
    const std::vector<int> shape = runner.cut_shape(1, 0);
    const cv::Mat input(static_cast<int>(shape.size()), shape.data(), CV_32F, cv::Scalar(0.2));
    s_body = net::encode_tensor(net::to_wire(input, 1, 1, 0), net::CodecSpec{});
  }
  static void TearDownTestSuite() { s_server.reset(); }

  static net::HttpClient client() {
    net::ClientOptions o;
    o.port = s_server->port();
    return net::HttpClient(o);
  }

  /// A good request on a fresh connection: 200 with the exit's output.
  static void expect_good_on_new_connection() {
    auto c = client();
    const auto r = c.post("/v1/infer", s_body);
    ASSERT_TRUE(r.ok()) << r.status << " " << r.error << " " << r.body;
    EXPECT_FALSE(r.reused);
    EXPECT_EQ(net::decode_tensor(r.body).exit, 1);
  }

  static inline std::unique_ptr<ServeProcess> s_server;
  static inline std::string s_body;
};

/// What a slow client saw: when the server closed its connection (ms after it connected,
/// negative when it never did within the limit) and what it answered before closing.
struct SlowResult {
  double closed_after_ms = -1;
  std::string answer;
};

/// Slowloris: a partial header, then one more byte each second until the server closes.
SlowResult trickle_header(std::uint16_t port) {
  SlowResult out;
  RawSocket s(port);
  const auto start = Clock::now();
  s.send("POST /v1/infer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n");
  const std::string filler = "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  for (std::size_t i = 0; i < filler.size(); ++i) {
    if (s.read_until_closed(out.answer, 1000ms)) {
      out.closed_after_ms = ms_since(start);
      return out;
    }
    try {
      s.send(std::string_view(filler).substr(i, 1));
    } catch (const std::exception&) {  // reset by the server: closed
      out.closed_after_ms = ms_since(start);
      return out;
    }
  }
  return out;
}

/// A whole header announcing 10000 body bytes, then only 100 of them.
SlowResult short_body(std::uint16_t port) {
  SlowResult out;
  RawSocket s(port);
  const auto start = Clock::now();
  s.send("POST /v1/infer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
         "Content-Length: 10000\r\n\r\n" +
         std::string(100, 'b'));
  if (s.read_until_closed(out.answer, 10s)) {
    out.closed_after_ms = ms_since(start);
  }
  return out;
}

/// The server closed the slow connection at its read timeout (not before, not long after),
/// with nothing or a 4xx said.
void expect_closed_by_read_timeout(const SlowResult& r, const char* what) {
  const double timeout_ms = static_cast<double>(kReadTimeout.count());
  EXPECT_GE(r.closed_after_ms, timeout_ms - 100) << what << ": closed too early (or never)";
  EXPECT_LT(r.closed_after_ms, timeout_ms + 2500) << what << ": not closed by the read timeout";
  EXPECT_TRUE(r.answer.empty() || r.answer.rfind("HTTP/1.1 4", 0) == 0) << what << ": " << r.answer;
}

TEST_F(ServeFaults, SlowClientsAreClosedWhileAWellBehavedClientIsServed) {
  auto good = client();
  std::vector<double> before;
  for (int i = 0; i < 20; ++i) {
    const auto t = Clock::now();
    const auto r = good.post("/v1/infer", s_body);
    ASSERT_TRUE(r.ok()) << r.status << " " << r.error;
    before.push_back(ms_since(t));
  }

  // Four of each kind of slow client at once.
  std::vector<std::future<SlowResult>> trickles;
  std::vector<std::future<SlowResult>> shorts;
  for (int i = 0; i < 4; ++i) {
    trickles.push_back(std::async(std::launch::async, trickle_header, s_server->port()));
    shorts.push_back(std::async(std::launch::async, short_body, s_server->port()));
  }
  // The well-behaved client keeps posting for as long as the attack lasts.
  std::vector<double> during;
  const auto attack_end = Clock::now() + kReadTimeout + 500ms;
  while (Clock::now() < attack_end) {
    const auto t = Clock::now();
    const auto r = good.post("/v1/infer", s_body);
    ASSERT_TRUE(r.ok()) << "a good request failed during the attack: " << r.status << " "
                        << r.error;
    during.push_back(ms_since(t));
    std::this_thread::sleep_for(20ms);
  }
  for (auto& f : trickles) {
    expect_closed_by_read_timeout(f.get(), "header trickled a byte per second");
  }
  for (auto& f : shorts) {
    expect_closed_by_read_timeout(f.get(), "body shorter than Content-Length");
  }
  ASSERT_GE(during.size(), 20u);
  const double base = median(before);
  EXPECT_LT(median(during), 3 * base + 50) << "median ms before " << base;
  EXPECT_LT(*std::max_element(during.begin(), during.end()), 1000.0)
      << "no good request waited for a slow client";
  expect_good_on_new_connection();
}

TEST_F(ServeFaults, OversizedBodyIs413WithoutReadingItAll) {
  RawSocket s(s_server->port());
  // Announce 1 GiB, send only the header and 1 KiB of it: the answer must not wait for more.
  const auto start = Clock::now();
  s.send("POST /v1/infer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
         "Content-Length: 1073741824\r\n\r\n" +
         std::string(1024, 'z'));
  std::string answer;
  const bool closed = s.read_until_closed(answer, 10s);
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer;
  EXPECT_NE(answer.find("\"status\":413"), std::string::npos) << answer;
  EXPECT_TRUE(closed) << "the connection is closed after the 413";
  EXPECT_LT(ms_since(start), 5000.0);
  expect_good_on_new_connection();
}

TEST_F(ServeFaults, TruncatedBodyIsClosedAtTheReadTimeout) {
  expect_closed_by_read_timeout(short_body(s_server->port()), "truncated body");
  expect_good_on_new_connection();
}

TEST_F(ServeFaults, ClientGoneMidBodyLeavesTheServerServing) {
  {
    RawSocket s(s_server->port());
    s.send("POST /v1/infer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3152\r\n\r\n" +
           std::string(500, 'c'));
  }  // closed mid-body
  expect_good_on_new_connection();
}

} // namespace
} // namespace edgent::testing
