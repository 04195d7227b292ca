#include "runtime/device_runner.hpp"

#include "core/error.hpp"
#include "model/model_card.hpp"
#include "net/tensor_wire.hpp"
#include "runtime/edge_handler.hpp"
#include "support/model_inputs.hpp"
#include "support/scripted_server.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <future>
#include <limits>
#include <mutex>
#include <optional>

namespace edgent::runtime {
namespace {

using Clock = std::chrono::steady_clock;
using net::testing::RunningServer;

const std::string kCard = std::string(EDGENT_SOURCE_DIR) + "/models/branchy-alexnet-fmnist.json";

/// The trained default model and a few normalised Fashion-MNIST test images (or, without the
/// data set, seeded random inputs).
struct Fixture {
  std::shared_ptr<const model::OnnxGraph> graph;
  std::vector<cv::Mat> inputs;

  Fixture() {
    const model::ModelCard card = model::read_model_card(kCard);
    graph = model::OnnxGraph::from_file(model::onnx_path(card, kCard));
    inputs = testing::fashion_mnist_inputs(card, 3, 7);
  }
};

EdgeLinkOptions link_options(std::uint16_t port, const std::string& sha) {
  EdgeLinkOptions o;
  o.client.port = port;
  o.client.timeout = std::chrono::milliseconds(5000);
  o.client.connect_timeout = std::chrono::milliseconds(500);
  o.client.backoff_initial = std::chrono::milliseconds(10);
  o.model_sha256 = sha;
  return o;
}

plan::PlanRecord make_plan(int exit, int cut, plan::Order order, std::string codec) {
  plan::PlanRecord p;
  p.exit = exit;
  p.cut = cut;
  p.order = order;
  p.codec = std::move(codec);
  return p;
}

TEST(DeviceRunner, EveryExitCutAndOrderThroughTheEdgeMatchesLocalInference) {
  Fixture f;
  EdgeHandler handler(f.graph, 2, 1);
  net::ServerOptions so;
  so.threads = 2;
  RunningServer server(handler, so);
  EdgeLink link(link_options(server.port(), f.graph->sha256()));
  ASSERT_TRUE(link.check_model().ok());
  DeviceRunner runner(f.graph, &link, 1);
  int checked = 0;
  for (int e = 1; e <= runner.exits(); ++e) {
    const model::ExitChain& chain = runner.segments().chain(e);
    const int n = chain.size();
    std::vector<int> local;
    for (const cv::Mat& in : f.inputs) {
      local.push_back(argmax(runner.segments().run_exit(e, in)));
    }
    for (const int cut : chain.cut_points()) {
      for (const auto order : {plan::Order::device_first, plan::Order::edge_first}) {
        if (order == plan::Order::edge_first && (cut == 0 || cut == n)) {
          continue;
        }
        const auto p = make_plan(e, cut, order, cut == n ? "none" : "fp32");
        ASSERT_NO_THROW(runner.check_plan(p, "test"));
        for (std::size_t i = 0; i < f.inputs.size(); ++i) {
          const RunResult r = runner.run(i, f.inputs[i], p, Clock::now(), 1e6);
          ASSERT_FALSE(r.fallback) << "exit " << e << " cut " << cut << ": " << r.fallback_reason;
          EXPECT_EQ(r.offloaded, cut != n || order == plan::Order::edge_first);
          EXPECT_EQ(argmax(r.logits), local[i])
              << "exit " << e << " cut " << cut << " " << plan::order_name(order);
          EXPECT_GE(r.measured.total_ms, r.measured.device_ms);
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 30);
  // A lossy codec at an interior cut still classifies like the whole chain here.
  const auto p = make_plan(runner.exits(), 2, plan::Order::edge_first, "fp16+zstd");
  const RunResult r = runner.run(99, f.inputs[0], p, Clock::now(), 1e6);
  ASSERT_FALSE(r.fallback) << r.fallback_reason;
  EXPECT_EQ(argmax(r.logits), argmax(runner.segments().run_exit(runner.exits(), f.inputs[0])));
}

TEST(DeviceRunner, RefusesPlansThatDoNotFitTheModel) {
  Fixture f;
  DeviceRunner runner(f.graph, nullptr, 1);
  const int n = runner.segments().chain(1).size();
  EXPECT_THROW(runner.check_plan(make_plan(9, 0, plan::Order::device_first, "fp32"), "p"),
               ConfigError);
  EXPECT_THROW(runner.check_plan(make_plan(1, n + 1, plan::Order::device_first, "fp32"), "p"),
               ConfigError);
  EXPECT_THROW(runner.check_plan(make_plan(1, 0, plan::Order::edge_first, "fp32"), "p"),
               ConfigError);
  EXPECT_THROW(runner.check_plan(make_plan(1, 1, plan::Order::device_first, "none"), "p"),
               ConfigError);
  EXPECT_THROW(runner.check_plan(make_plan(1, 1, plan::Order::device_first, "fp32"), "p"),
               ConfigError) << "offloading without a link";
  EXPECT_NO_THROW(runner.check_plan(make_plan(1, n, plan::Order::device_first, "none"), "p"));
}

TEST(DeviceRunner, FallsBackToTheDeviceWhenTheServerStopsMidRun) {
  Fixture f;
  EdgeHandler handler(f.graph, 1, 1);
  std::optional<RunningServer> server;
  server.emplace(handler, net::ServerOptions{});
  EdgeLink link(link_options(server->port(), f.graph->sha256()));
  DeviceRunner runner(f.graph, &link, 1);
  // Exit 1 fits a generous deadline, nothing fits a tiny one: the shallowest exit is used.
  runner.set_exit_latency({1, 2, 3, 4, 1e9});
  const auto p = make_plan(runner.exits(), 2, plan::Order::device_first, "int8");
  int fallbacks = 0;
  for (int i = 0; i < 6; ++i) {
    if (i == 3) {
      server.reset();
    }
    const RunResult r = runner.run(i, f.inputs[i % 3], p, Clock::now(), 100.0);
    ASSERT_FALSE(r.logits.empty()) << "every request gets a result";
    if (i < 3) {
      EXPECT_FALSE(r.fallback) << r.fallback_reason;
      EXPECT_EQ(r.exit, runner.exits());
    } else {
      EXPECT_TRUE(r.fallback);
      EXPECT_FALSE(r.fallback_reason.empty());
      EXPECT_EQ(r.exit, 4) << "deepest exit whose device latency fits the deadline";
      ++fallbacks;
    }
  }
  EXPECT_EQ(fallbacks, 3);
  const RunResult late = runner.run(7, f.inputs[0], p, Clock::now(), 0.5);
  EXPECT_TRUE(late.fallback);
  EXPECT_EQ(late.exit, 1) << "shallowest exit when none fits";
}

TEST(DeviceRunner, AMissingTokenIsAFallbackWithTheReason) {
  Fixture f;
  EdgeHandler handler(f.graph, 1, 1);
  net::ServerOptions so;
  so.token = "s3cret";
  RunningServer server(handler, so);
  const auto p = make_plan(1, 0, plan::Order::device_first, "fp32");
  {
    EdgeLink link(link_options(server.port(), f.graph->sha256()));
    DeviceRunner runner(f.graph, &link, 1);
    const RunResult r = runner.run(0, f.inputs[0], p, Clock::now(), 1e6);
    EXPECT_TRUE(r.fallback);
    EXPECT_NE(r.fallback_reason.find("401"), std::string::npos) << r.fallback_reason;
    EXPECT_EQ(argmax(r.logits), argmax(runner.segments().run_exit(1, f.inputs[0])));
  }
  auto options = link_options(server.port(), f.graph->sha256());
  options.client.token = "s3cret";
  EdgeLink link(options);
  DeviceRunner runner(f.graph, &link, 1);
  const RunResult r = runner.run(0, f.inputs[0], p, Clock::now(), 1e6);
  EXPECT_FALSE(r.fallback) << r.fallback_reason;
  EXPECT_TRUE(r.offloaded);
}

/// The real edge whose one worker is held by a request that blocks, with no room in its queue.
class BlockingHandler : public net::InferHandler {
public:
  explicit BlockingHandler(EdgeHandler& real) : m_real(real) {}
  net::InferReply infer(std::string_view body, const net::RequestInfo& info) override {
    if (body == "block") {
      std::unique_lock lock(m_mutex);
      m_blocked = true;
      m_cv.notify_all();
      m_cv.wait(lock, [this] { return m_released; });
      return {};
    }
    return m_real.infer(body, info);
  }
  nlohmann::json model_info() const override { return m_real.model_info(); }
  void wait_blocked() {
    std::unique_lock lock(m_mutex);
    m_cv.wait(lock, [this] { return m_blocked; });
  }
  void release() {
    const std::lock_guard lock(m_mutex);
    m_released = true;
    m_cv.notify_all();
  }

private:
  EdgeHandler& m_real;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_blocked = false;
  bool m_released = false;
};

TEST(DeviceRunner, ABusyEdgeIs503AndTheDeviceFallsBack) {
  Fixture f;
  EdgeHandler real(f.graph, 1, 1);
  BlockingHandler handler(real);
  net::ServerOptions so;
  so.threads = 1;
  so.max_inflight = 1;
  RunningServer server(handler, so);
  net::HttpClient blocker(server.client_options());
  auto blocked = std::async(std::launch::async, [&] { return blocker.post("/v1/infer", "block"); });
  handler.wait_blocked();

  const auto p = make_plan(1, 0, plan::Order::device_first, "fp32");
  EdgeLink link(link_options(server.port(), f.graph->sha256()));
  DeviceRunner runner(f.graph, &link, 1);
  const RunResult busy = runner.run(0, f.inputs[0], p, Clock::now(), 1e6);
  EXPECT_TRUE(busy.fallback);
  EXPECT_TRUE(busy.edge_busy);
  EXPECT_FALSE(busy.offloaded);
  EXPECT_NE(busy.fallback_reason.find("503"), std::string::npos) << busy.fallback_reason;
  EXPECT_EQ(argmax(busy.logits), argmax(runner.segments().run_exit(1, f.inputs[0])))
      << "the device finished the request itself";

  handler.release();
  EXPECT_TRUE(blocked.get().ok());
  const RunResult ok = runner.run(1, f.inputs[0], p, Clock::now(), 1e6);
  EXPECT_FALSE(ok.fallback) << ok.fallback_reason;
  EXPECT_FALSE(ok.edge_busy);
  EXPECT_TRUE(ok.offloaded);
}

/// The real edge behind a tampering proxy: each reply the EdgeHandler makes is rewritten as
/// the mode says, in a well-formed wire message (right crc, right framing).
class TamperingHandler : public net::InferHandler {
public:
  enum class Mode { wide_logits, nan_logits, wrong_id, wrong_shape_at_cut };

  TamperingHandler(EdgeHandler& real, Mode mode) : m_real(real), m_mode(mode) {}

  net::InferReply infer(std::string_view body, const net::RequestInfo& info) override {
    net::InferReply reply = m_real.infer(body, info);
    net::WireTensor t = net::decode_tensor(reply.body);
    switch (m_mode) {
    case Mode::wide_logits:
      // 1000 classes for a 10-class model, the last one the largest.
      t.dims = {1, 1000};
      t.values.assign(1000, 0.0f);
      t.values.back() = 50.0f;
      break;
    case Mode::nan_logits:
      std::fill(t.values.begin(), t.values.end(), std::numeric_limits<float>::quiet_NaN());
      break;
    case Mode::wrong_id:
      t.request_id += 1;
      break;
    case Mode::wrong_shape_at_cut:
      // The same values, flattened.
      t.dims = {static_cast<std::uint32_t>(t.values.size())};
      break;
    }
    reply.body = net::encode_tensor(t, net::CodecSpec{});
    return reply;
  }
  nlohmann::json model_info() const override { return m_real.model_info(); }

private:
  EdgeHandler& m_real;
  Mode m_mode;
};

TEST(DeviceRunner, ATamperedReplyFallsBackWithTheReasonNeverAWrongClass) {
  Fixture f;
  EdgeHandler real(f.graph, 1, 1);
  DeviceRunner local(f.graph, nullptr, 1);
  const int exit = local.exits();
  const int n = local.segments().chain(exit).size();
  const int mid = local.segments().chain(exit).cut_points().at(2);
  struct Case {
    TamperingHandler::Mode mode;
    plan::PlanRecord plan;
    const char* reason;
  };
  const std::vector<Case> cases = {
      {TamperingHandler::Mode::wide_logits, make_plan(exit, 0, plan::Order::device_first, "fp32"),
       "shape [1, 1000]"},
      {TamperingHandler::Mode::nan_logits, make_plan(exit, 0, plan::Order::device_first, "fp32"),
       "non-finite"},
      {TamperingHandler::Mode::wrong_id, make_plan(exit, 0, plan::Order::device_first, "fp32"),
       "expected 3"},
      {TamperingHandler::Mode::wrong_shape_at_cut,
       make_plan(exit, mid, plan::Order::edge_first, "fp32"), "has shape"},
      {TamperingHandler::Mode::nan_logits, make_plan(exit, mid, plan::Order::edge_first, "fp16"),
       "non-finite"},
  };
  ASSERT_LT(mid, n);
  for (const Case& c : cases) {
    TamperingHandler tampering(real, c.mode);
    RunningServer server(tampering, net::ServerOptions{});
    EdgeLink link(link_options(server.port(), f.graph->sha256()));
    DeviceRunner runner(f.graph, &link, 1);
    runner.set_exit_latency(std::vector<double>(static_cast<std::size_t>(exit), 1.0));
    for (std::size_t i = 0; i < f.inputs.size(); ++i) {
      const RunResult r = runner.run(3, f.inputs[i], c.plan, Clock::now(), 1e6);
      EXPECT_TRUE(r.fallback) << "mode " << static_cast<int>(c.mode);
      EXPECT_FALSE(r.offloaded);
      EXPECT_NE(r.fallback_reason.find("bad reply"), std::string::npos) << r.fallback_reason;
      EXPECT_NE(r.fallback_reason.find(c.reason), std::string::npos) << r.fallback_reason;
      ASSERT_EQ(r.logits.total(), 10u);
      EXPECT_EQ(argmax(r.logits), argmax(local.segments().run_exit(exit, f.inputs[i])))
          << "the device's own answer";
    }
  }
}

} // namespace
} // namespace edgent::runtime
