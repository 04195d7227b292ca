// Confidence cascades through the real edgent-serve process: at every cut of the final chain the
// device-plus-edge answer (DeviceRunner over loopback) equals the local cascade, and the edge
// refuses malformed cascades with 400.
#include "core/file_io.hpp"
#include "data/dataset.hpp"
#include "model/cascade.hpp"
#include "model/model_card.hpp"
#include "net/http_client.hpp"
#include "net/tensor_mat.hpp"
#include "net/tensor_wire.hpp"
#include "runtime/device_runner.hpp"
#include "support/serve_process.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

namespace edgent::testing {
namespace {

using Clock = std::chrono::steady_clock;

const std::string kCard = std::string(EDGENT_SOURCE_DIR) + "/models/branchy-alexnet-fmnist.json";

/// Twelve normalised Fashion-MNIST test images, or seeded noise of an image's range without
/// the data set.
std::vector<cv::Mat> images(const model::ModelCard& card) {
  std::vector<cv::Mat> out;
  const std::vector<int> shape{1, 1, 28, 28};
  if (std::filesystem::exists(std::string(data::kFashionMnistDir) + "/t10k-labels-idx1-ubyte.gz")) {
    const data::Dataset ds = data::load_fashion_mnist(data::kFashionMnistDir, data::Split::test, 12);
    const data::Normalization norm{card.norm_scale, card.norm_mean, card.norm_std};
    for (std::size_t i = 0; i < ds.size(); ++i) {
      cv::Mat blob(4, shape.data(), CV_32F);
      data::to_float(ds, norm, i, 1, std::span<float>(blob.ptr<float>(), 784));
      out.push_back(blob);
    }
    return out;
  }
  cv::RNG rng(11);
  for (int i = 0; i < 12; ++i) {
    cv::Mat blob(4, shape.data(), CV_32F);
    rng.fill(blob, cv::RNG::UNIFORM, -0.5, 2.0);
    out.push_back(blob);
  }
  return out;
}

runtime::EdgeLinkOptions link_options(std::uint16_t port, const std::string& sha) {
  runtime::EdgeLinkOptions o;
  o.client.port = port;
  o.client.timeout = std::chrono::milliseconds(10000);
  o.model_sha256 = sha;
  return o;
}

TEST(ServeCascade, EveryCutThroughTheServerMatchesTheLocalCascade) {
  const model::ModelCard card = model::read_model_card(kCard);
  const auto graph = model::OnnxGraph::from_file(model::onnx_path(card, kCard));
  model::SegmentRunner local(graph, 1);
  ServeProcess server({"-m", kCard, "--threads", "1"});
  runtime::EdgeLink link(link_options(server.port(), graph->sha256()));
  ASSERT_TRUE(link.check_model().ok());
  runtime::DeviceRunner device(graph, &link, 1);
  const std::vector<cv::Mat> inputs = images(card);
  // A threshold that splits the inputs between the exits, and the two extremes.
  for (const double tau : {0.95, 0.0, 1.0}) {
    const model::Cascade cascade{{1, 3, 5}, {tau, tau}};
    int on_device = 0;
    int on_edge = 0;
    for (const int cut : local.chain(5).cut_points()) {
      plan::PlanRecord p;
      p.exit = 5;
      p.cut = cut;
      p.codec = cut == local.chain(5).size() ? "none" : "fp32";
      p.cascade = plan::CascadePlan{};
      p.cascade->cascade = cascade;
      device.check_plan(p, "cascade plan");
      device.prepare(p);
      for (std::size_t i = 0; i < inputs.size(); ++i) {
        const model::CascadeResult want = model::run_cascade(local, cascade, cut, inputs[i]);
        const runtime::RunResult got = device.run(i, inputs[i], p, Clock::now(), 1e6);
        ASSERT_FALSE(got.fallback) << got.fallback_reason;
        EXPECT_EQ(got.exit, want.exit) << "tau " << tau << " cut " << cut << " input " << i;
        EXPECT_EQ(got.offloaded, !want.before_cut) << "tau " << tau << " cut " << cut;
        ASSERT_EQ(got.logits.total(), want.logits.total());
        EXPECT_LE(cv::norm(got.logits.reshape(1, 1), want.logits.reshape(1, 1), cv::NORM_INF), 1e-5)
            << "tau " << tau << " cut " << cut << " input " << i;
        EXPECT_NEAR(got.confidence, want.confidence, 1e-6);
        (got.offloaded ? on_edge : on_device) += 1;
        if (tau == 0.0) {
          EXPECT_EQ(got.exit, 1);
        }
        if (tau == 1.0) {
          EXPECT_EQ(got.exit, 5);
        }
      }
    }
    EXPECT_GT(on_device, 0) << tau;
    EXPECT_GT(on_edge, 0) << tau;
  }
}

TEST(ServeCascade, MalformedCascadesAre400AndTheServerKeepsServing) {
  const model::ModelCard card = model::read_model_card(kCard);
  const auto graph = model::OnnxGraph::from_file(model::onnx_path(card, kCard));
  model::SegmentRunner local(graph, 1);
  ServeProcess server({"-m", kCard});
  net::ClientOptions o;
  o.port = server.port();
  net::HttpClient client(o);
  const int cut = local.chain(5).cut_points().at(2);
  const cv::Mat head = local.run(5, 0, cut, images(card).front());
  const std::string body = net::encode_tensor(
      net::to_wire(head, 3, 5, static_cast<std::uint16_t>(cut)), net::CodecSpec{});
  for (const char* bad : {"1:1.5,5", "1:nan,5", "1:-1,5", "1:0.5,3", "3:0.5,1:0.5,5", "x"}) {
    const auto r = client.post("/v1/infer", body, "application/octet-stream",
                               {{"X-Edgent-Cascade", bad}});
    EXPECT_EQ(r.status, 400u) << bad << ": " << r.body;
  }
  const auto ok = client.post("/v1/infer", body, "application/octet-stream",
                              {{"X-Edgent-Cascade", "3:1,5"}});
  ASSERT_TRUE(ok.ok()) << ok.status << " " << ok.body;
  const net::WireTensor reply = net::decode_tensor(ok.body);
  EXPECT_EQ(reply.exit, 5);
  EXPECT_EQ(reply.cut, local.chain(5).size());
}

} // namespace
} // namespace edgent::testing
