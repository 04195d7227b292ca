// The device runner against the real edgent-serve: split inference at every exit, cut and order
// of the default model gives the device's own whole-chain logits, and when the server stops the
// device finishes every request itself. In the aarch64 cross-build
// (EDGENT_DEVICE_ONLY, run under qemu-user) the device is aarch64 and the edge the native
// (x86-64) edgent-serve of EDGENT_EDGE_BIN_DIR, so this is the split equality across the two
// architectures; natively both sides are this machine's.
#include "model/model_card.hpp"
#include "runtime/device_runner.hpp"
#include "runtime/edge_link.hpp"
#include "support/model_inputs.hpp"
#include "support/serve_process.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace edgent::testing {
namespace {

using Clock = std::chrono::steady_clock;

const std::string kCard = std::string(EDGENT_SOURCE_DIR) + "/models/branchy-alexnet-fmnist.json";

/// Largest |split - local| allowed on a logit: the same float32 kernels on both sides, up to
/// the order of their sums (vector widths differ between architectures).
constexpr double kLogitTolerance = 1e-4;

/// Two normalised Fashion-MNIST test images, or seeded random inputs without the data set.
std::vector<cv::Mat> test_inputs(const model::ModelCard& card) {
  return testing::fashion_mnist_inputs(card, 2, 11);
}

TEST(ServeDeviceSplit, EveryExitCutAndOrderGivesTheDevicesOwnLogits) {
  const model::ModelCard card = model::read_model_card(kCard);
  const auto graph = model::OnnxGraph::from_file(model::onnx_path(card, kCard));
  const std::vector<cv::Mat> inputs = test_inputs(card);
  ServeProcess server({"-m", kCard, "--threads", "1"});

  runtime::EdgeLinkOptions o;
  o.client.port = server.port();
  o.client.timeout = std::chrono::milliseconds(60000);
  o.client.connect_timeout = std::chrono::milliseconds(2000);
  o.model_sha256 = graph->sha256();
  runtime::EdgeLink link(o);
  ASSERT_TRUE(link.check_model().ok()) << server.log();
  runtime::DeviceRunner runner(graph, &link, 1);

  int checked = 0;
  double worst = 0.0;
  for (int e = 1; e <= runner.exits(); ++e) {
    const model::ExitChain& chain = runner.segments().chain(e);
    const int n = chain.size();
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const cv::Mat local = runner.segments().run_exit(e, inputs[i]);
      for (const int cut : chain.cut_points()) {
        for (const auto order : {plan::Order::device_first, plan::Order::edge_first}) {
          if (cut == n || (order == plan::Order::edge_first && cut == 0)) {
            continue;  // device-only, or not a canonical edge-first plan: nothing crosses
          }
          plan::PlanRecord p;
          p.exit = e;
          p.cut = cut;
          p.order = order;
          p.codec = "fp32";
          const runtime::RunResult r = runner.run(i, inputs[i], p, Clock::now(), 1e9);
          const std::string where = "exit " + std::to_string(e) + " cut " + std::to_string(cut) +
                                    " " + std::string(plan::order_name(order));
          ASSERT_FALSE(r.fallback) << where << ": " << r.fallback_reason;
          ASSERT_TRUE(r.offloaded) << where;
          ASSERT_EQ(r.logits.total(), local.total()) << where;
          EXPECT_EQ(runtime::argmax(r.logits), runtime::argmax(local)) << where;
          const double diff = cv::norm(r.logits.reshape(1, 1), local.reshape(1, 1), cv::NORM_INF);
          EXPECT_LE(diff, kLogitTolerance) << where;
          worst = std::max(worst, diff);
          ++checked;
        }
      }
    }
  }
  std::printf("split vs local: %d requests, worst |logit difference| %.3g\n", checked, worst);
  EXPECT_GT(checked, 20);
}

TEST(ServeDeviceFallback, TheDeviceFinishesEveryRequestWhenTheServerStops) {
  const model::ModelCard card = model::read_model_card(kCard);
  const auto graph = model::OnnxGraph::from_file(model::onnx_path(card, kCard));
  const std::vector<cv::Mat> inputs = test_inputs(card);
  auto server = std::make_unique<ServeProcess>(std::vector<std::string>{"-m", kCard, "--threads", "1"});

  runtime::EdgeLinkOptions o;
  o.client.port = server->port();
  o.client.timeout = std::chrono::milliseconds(60000);
  o.client.connect_timeout = std::chrono::milliseconds(2000);
  o.client.backoff_initial = std::chrono::milliseconds(10);
  o.model_sha256 = graph->sha256();
  runtime::EdgeLink link(o);
  runtime::DeviceRunner runner(graph, &link, 1);
  // Exit 1 fits any deadline, exit 4 a generous one, exit 5 none: the deepest that fits is used.
  runner.set_exit_latency({1, 2, 3, 4, 1e9});
  plan::PlanRecord p;
  p.exit = runner.exits();
  p.cut = 2;
  p.order = plan::Order::device_first;
  p.codec = "int8";
  for (int i = 0; i < 4; ++i) {
    if (i == 2) {
      EXPECT_EQ(server->stop(), 0) << server->log();
      server.reset();
    }
    const cv::Mat& input = inputs[static_cast<std::size_t>(i) % inputs.size()];
    const runtime::RunResult r = runner.run(i, input, p, Clock::now(), 1e6);
    ASSERT_FALSE(r.logits.empty()) << "every request gets a result";
    if (i < 2) {
      EXPECT_FALSE(r.fallback) << r.fallback_reason;
      EXPECT_TRUE(r.offloaded);
      EXPECT_EQ(r.exit, runner.exits());
    } else {
      EXPECT_TRUE(r.fallback);
      EXPECT_FALSE(r.offloaded);
      EXPECT_FALSE(r.fallback_reason.empty());
      EXPECT_EQ(r.exit, 4) << "the deepest exit whose device latency fits the deadline";
      EXPECT_EQ(runtime::argmax(r.logits), runtime::argmax(runner.segments().run_exit(4, input)))
          << "the device's own exit 4";
    }
  }
}

} // namespace
} // namespace edgent::testing
