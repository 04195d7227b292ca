// edgent-serve as a real process on loopback: every (exit, cut) of the default model against
// local whole-chain inference, the 4xx answers to bad requests, the token, and the SIGTERM drain.
#include "core/file_io.hpp"
#include "data/dataset.hpp"
#include "eval/accuracy.hpp"
#include "model/model_card.hpp"
#include "model/reference_models.hpp"
#include "model/segment_runner.hpp"
#include "net/http_client.hpp"
#include "net/tensor_mat.hpp"
#include "net/tensor_wire.hpp"
#include "support/serve_process.hpp"
#include "support/raw_socket.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <memory>
#include <thread>

namespace edgent::testing {
namespace {

const std::string kCard = std::string(EDGENT_SOURCE_DIR) + "/models/branchy-alexnet-fmnist.json";

using Headers = std::vector<std::pair<std::string, std::string>>;

std::string wire(const cv::Mat& mat, int exit, int cut, std::uint64_t id = 1) {
  return net::encode_tensor(
      net::to_wire(mat, id, static_cast<std::uint16_t>(exit), static_cast<std::uint16_t>(cut)),
      net::CodecSpec{});
}

net::HttpClient client_for(std::uint16_t port, const std::string& token = {}) {
  net::ClientOptions o;
  o.port = port;
  o.token = token;
  return net::HttpClient(o);
}

/// The status is @p status and the body the server's JSON error `{"error", "status"}`.
void expect_json_error(const net::HttpResult& r, unsigned status) {
  EXPECT_EQ(r.status, status) << r.error << " " << r.body;
  const auto doc = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(doc.is_object()) << r.body;
  EXPECT_TRUE(doc.contains("error") && doc["error"].is_string()) << r.body;
  EXPECT_EQ(doc.value("status", 0u), status) << r.body;
}

/// One edgent-serve on the default model and the same model loaded locally, shared by the
/// tests of this suite (starting the process once keeps the suite fast).
class DefaultModelServe : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    s_card = std::make_unique<model::ModelCard>(model::read_model_card(kCard));
    s_runner = std::make_unique<model::SegmentRunner>(
        model::OnnxGraph::from_file(model::onnx_path(*s_card, kCard)), 1);
    s_server = std::make_unique<ServeProcess>(std::vector<std::string>{"-m", kCard, "--threads", "2"});
  }
  static void TearDownTestSuite() {
    s_server.reset();
    s_runner.reset();
    s_card.reset();
  }

  /// A few Fashion-MNIST test images normalised as the card says, or none without the dataset.
  static eval::LabelledSet test_images(std::size_t n) {
    if (!std::filesystem::exists(data::kFashionMnistDir)) {
      return {};
    }
    const data::Dataset d = data::load_fashion_mnist(data::kFashionMnistDir, data::Split::test, n);
    data::Normalization norm{s_card->norm_scale, s_card->norm_mean, s_card->norm_std};
    return eval::make_labelled_set(d, norm, s_runner->cut_shape(1, 0));
  }

  static inline std::unique_ptr<model::ModelCard> s_card;
  static inline std::unique_ptr<model::SegmentRunner> s_runner;
  static inline std::unique_ptr<ServeProcess> s_server;
};

TEST_F(DefaultModelServe, EveryExitAndCutDeviceFirstMatchesLocalInference) {
  const eval::LabelledSet set = test_images(3);
  if (set.images.empty()) {
    GTEST_SKIP() << "no Fashion-MNIST at " << data::kFashionMnistDir;
  }
  auto client = client_for(s_server->port());
  int checked = 0;
  for (const model::ExitChain& chain : s_runner->partition().exits) {
    const int n = chain.size();
    for (const cv::Mat& image : set.images) {
      const int local = eval::argmax(s_runner->run_exit(chain.exit, image));
      for (const int cut : chain.cut_points()) {
        if (cut == n) {
          continue;  // device-only: nothing to offload
        }
        const cv::Mat head = cut == 0 ? image : s_runner->run(chain.exit, 0, cut, image);
        const auto r = client.post("/v1/infer", wire(head, chain.exit, cut, 7));
        ASSERT_TRUE(r.ok()) << "exit " << chain.exit << " cut " << cut << ": " << r.status << " "
                            << r.error << " " << r.body;
        const net::WireTensor reply = net::decode_tensor(r.body);
        EXPECT_EQ(reply.request_id, 7u);
        EXPECT_EQ(reply.exit, chain.exit);
        EXPECT_EQ(reply.cut, n);
        EXPECT_EQ(eval::argmax(net::to_mat(reply)), local)
            << "exit " << chain.exit << " cut " << cut;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 5 * 3);
}

TEST_F(DefaultModelServe, EdgeFirstReturnsTheTensorAtTheCut) {
  const eval::LabelledSet set = test_images(2);
  if (set.images.empty()) {
    GTEST_SKIP() << "no Fashion-MNIST at " << data::kFashionMnistDir;
  }
  auto client = client_for(s_server->port());
  const model::ExitChain& chain = s_runner->chain(5);
  const std::vector<int> cuts = chain.cut_points();
  // A few inner cuts: the first, one in the middle and the last before the exit.
  const std::vector<int> picks{cuts.at(1), cuts.at(cuts.size() / 2), cuts.at(cuts.size() - 2)};
  for (const cv::Mat& image : set.images) {
    const int local = eval::argmax(s_runner->run_exit(5, image));
    for (const int cut : picks) {
      const auto r = client.post("/v1/infer", wire(image, 5, 0), "application/octet-stream",
                                 Headers{{"X-Edgent-Run-To", std::to_string(cut)}});
      ASSERT_TRUE(r.ok()) << "cut " << cut << ": " << r.status << " " << r.body;
      const net::WireTensor mid = net::decode_tensor(r.body);
      EXPECT_EQ(mid.cut, cut);
      const cv::Mat tail = s_runner->run(5, cut, chain.size(), net::to_mat(mid));
      EXPECT_EQ(eval::argmax(tail), local) << "cut " << cut;
    }
  }
}

TEST_F(DefaultModelServe, BadRequestsGetTheir4xxAndTheServerKeepsServing) {
  auto client = client_for(s_server->port());
  const std::vector<int> in_shape = s_runner->cut_shape(5, 0);
  const cv::Mat input(static_cast<int>(in_shape.size()), in_shape.data(), CV_32F, cv::Scalar(0.25));
  const std::string good = wire(input, 5, 0);
  auto expect_good = [&] {
    const auto r = client.post("/v1/infer", good);
    ASSERT_TRUE(r.ok()) << r.status << " " << r.body;
    EXPECT_EQ(net::decode_tensor(r.body).exit, 5);
  };
  expect_good();

  // Malformed wire header: a broken magic.
  std::string bad_magic = good;
  bad_magic[0] = 'X';
  expect_json_error(client.post("/v1/infer", bad_magic), 400);
  expect_good();
  expect_json_error(client.post("/v1/infer", "not a tensor"), 400);
  expect_good();

  // Wrong shape for the cut: a 10x10 image where 28x28 is expected.
  const int small[] = {1, 1, 10, 10};
  expect_json_error(client.post("/v1/infer", wire(cv::Mat(4, small, CV_32F, cv::Scalar(0)), 5, 0)),
                    400);
  expect_good();

  // Unknown exit, a cut beyond the chain, a run-to before the cut, an unknown reply codec.
  expect_json_error(client.post("/v1/infer", wire(input, 9, 0)), 422);
  expect_good();
  expect_json_error(client.post("/v1/infer", wire(input, 5, s_runner->chain(5).size() + 3)), 422);
  expect_good();
  const int mid = s_runner->chain(5).cut_points().at(2);
  expect_json_error(client.post("/v1/infer", wire(s_runner->run(5, 0, mid, input), 5, mid),
                                "application/octet-stream", Headers{{"X-Edgent-Run-To", "1"}}),
                    422);
  expect_good();
  expect_json_error(client.post("/v1/infer", good, "application/octet-stream",
                                Headers{{"X-Edgent-Reply-Codec", "int4"}}),
                    422);
  expect_good();

  // A device holding another model: 409; the right sha is accepted.
  const std::string sha = s_card->onnx_sha256;
  expect_json_error(client.post("/v1/infer", good, "application/octet-stream",
                                Headers{{"X-Edgent-Model-Sha256", std::string(64, '0')}}),
                    409);
  const auto right = client.post("/v1/infer", good, "application/octet-stream",
                                 Headers{{"X-Edgent-Model-Sha256", sha}});
  EXPECT_TRUE(right.ok()) << right.status << " " << right.body;
  expect_good();

  // Bytes that are not HTTP: answered with 400, the connection closed, the server unharmed.
  {
    net::testing::RawSocket raw(s_server->port());
    raw.send("NOT HTTP AT ALL\r\n\r\n");
    std::string answer;
    EXPECT_TRUE(raw.read_until_closed(answer, std::chrono::seconds(5)));
    EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
  }
  expect_good();

  // The model route names what is served.
  const auto info = client.get("/v1/model");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(nlohmann::json::parse(info.body)["sha256"], sha);
}

/// The residual test model (a cut inside its residual block is no cut point) served with a
/// small body limit.
TEST(ServeLimits, CutInsideABlockIs422AndOversizedBodyIs413) {
  TempDir dir;
  const std::string onnx = dir.file("residual.onnx");
  write_file_atomic(onnx, model::residual_model(2).serialize());
  model::SegmentRunner runner(model::OnnxGraph::from_file(onnx), 1);
  const model::ExitChain& chain = runner.chain(1);
  int inside = -1;
  for (int c = 1; c < chain.size(); ++c) {
    if (!chain.is_cut_point(c)) {
      inside = c;
      break;
    }
  }
  ASSERT_GT(inside, 0) << "the residual model has a cut inside a block";
  const std::vector<int> shape = runner.cut_shape(1, 0);  // 3x16x16 floats: 3152 wire bytes
  const cv::Mat input(static_cast<int>(shape.size()), shape.data(), CV_32F, cv::Scalar(0.5));
  const std::string good = wire(input, 1, 0);
  ASSERT_LT(good.size(), 4096u);

  ServeProcess server({"-m", onnx, "--max-body", "4096"});
  auto client = client_for(server.port());
  auto expect_good = [&] {
    const auto r = client.post("/v1/infer", good);
    ASSERT_TRUE(r.ok()) << r.status << " " << r.body;
  };
  expect_good();
  // Units (inside, n] start in the middle of the block: refused as unservable.
  expect_json_error(client.post("/v1/infer", wire(input, 1, inside)), 422);
  expect_good();
  // Edge-first to a cut inside the block: refused too.
  expect_json_error(client.post("/v1/infer", good, "application/octet-stream",
                                Headers{{"X-Edgent-Run-To", std::to_string(inside)}}),
                    422);
  expect_good();
  // A body over --max-body.
  expect_json_error(client.post("/v1/infer", std::string(8192, 'x')), 413);
  expect_good();
}

TEST(ServeToken, RoutesButHealthNeedTheToken) {
  TempDir dir;
  const std::string token_file = dir.file("token");
  write_file_atomic(token_file, "s3cret-token\n");
  ServeProcess server({"-m", kCard, "--token-file", token_file});
  model::SegmentRunner runner(
      model::OnnxGraph::from_file(model::resolve_model_onnx(kCard)), 1);
  const std::vector<int> shape = runner.cut_shape(1, 0);
  const cv::Mat input(static_cast<int>(shape.size()), shape.data(), CV_32F, cv::Scalar(0.1));
  const std::string body = wire(input, 1, 0);

  auto anonymous = client_for(server.port());
  auto wrong = client_for(server.port(), "not-the-token");
  auto right = client_for(server.port(), "s3cret-token");
  expect_json_error(anonymous.post("/v1/infer", body), 401);
  expect_json_error(wrong.post("/v1/infer", body), 401);
  expect_json_error(anonymous.get("/v1/model"), 401);
  expect_json_error(anonymous.get("/metrics"), 401);
  expect_json_error(wrong.get("/metrics"), 401);
  expect_json_error(anonymous.get("/v1/load"), 401);
  expect_json_error(wrong.get("/v1/load"), 401);
  EXPECT_EQ(anonymous.get("/v1/health").status, 200u);
  const auto ok = right.post("/v1/infer", body);
  EXPECT_EQ(ok.status, 200u) << ok.body;
  EXPECT_EQ(right.get("/v1/model").status, 200u);
  const auto metrics = right.get("/metrics");
  EXPECT_EQ(metrics.status, 200u);
  EXPECT_NE(metrics.body.find("edgent_requests_total"), std::string::npos) << metrics.body;
  const auto load = right.get("/v1/load");
  ASSERT_EQ(load.status, 200u) << load.body;
  const auto j = nlohmann::json::parse(load.body);
  EXPECT_EQ(j.at("recent"), 1) << "the one inference so far";
  EXPECT_EQ(j.at("queued"), 0);
  EXPECT_GT(j.at("service_ms").at("p50").get<double>(), 0.0);
  EXPECT_GT(std::stod(ok.header("X-Edgent-Service-Ms").value_or("0")), 0.0);
  EXPECT_TRUE(ok.header("X-Edgent-Queue-Ms").has_value());
}

TEST(ServeAdmission, IdleSocketsHeldOpenNeverKeepAClientOut) {
  ServeProcess server({"-m", kCard, "--max-connections", "16"});
  model::SegmentRunner runner(
      model::OnnxGraph::from_file(model::resolve_model_onnx(kCard)), 1);
  const std::vector<int> shape = runner.cut_shape(1, 0);
  const cv::Mat input(static_cast<int>(shape.size()), shape.data(), CV_32F, cv::Scalar(0.1));
  const std::string body = wire(input, 1, 0);
  std::vector<std::unique_ptr<net::testing::RawSocket>> idle;
  for (int i = 0; i < 300; ++i) {
    idle.push_back(std::make_unique<net::testing::RawSocket>(server.port()));
  }
  auto good = client_for(server.port());
  for (int i = 0; i < 20; ++i) {
    const auto r = good.post("/v1/infer", body);
    ASSERT_EQ(r.status, 200u) << "request " << i << ": " << r.error << r.body;
  }
  const auto load = nlohmann::json::parse(good.get("/v1/load").body);
  EXPECT_EQ(load.at("max_connections"), 16);
  EXPECT_LE(load.at("connections").get<int>(), 18) << load.dump();
  std::string answer;
  EXPECT_TRUE(idle.front()->read_until_closed(answer, std::chrono::seconds(5)))
      << "the connections idle longest were closed to make room";
}

TEST(ServeDrain, SigtermAnswersWhatIsInFlightAndExitsZero) {
  ServeProcess server({"-m", kCard, "--threads", "2"});
  model::SegmentRunner runner(
      model::OnnxGraph::from_file(model::resolve_model_onnx(kCard)), 1);
  const std::vector<int> shape = runner.cut_shape(5, 0);
  const cv::Mat input(static_cast<int>(shape.size()), shape.data(), CV_32F, cv::Scalar(0.3));
  const std::string body = wire(input, 5, 0);
  {
    auto warm = client_for(server.port());
    ASSERT_TRUE(warm.post("/v1/infer", body).ok());
  }
  // Two clients keep posting; after SIGTERM every request either got its 200 or found no
  // server (connection refused or closed), never a 5xx or a broken answer.
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0};
  std::atomic<int> bad{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 2; ++i) {
    clients.emplace_back([&] {
      net::ClientOptions o;
      o.port = server.port();
      o.backoff_initial = std::chrono::milliseconds(1);
      net::HttpClient c(o);
      while (!stop) {
        const auto r = c.post("/v1/infer", body);
        if (r.ok()) {
          answered.fetch_add(1);
        } else if (r.outcome == net::Outcome::http_status) {
          bad.fetch_add(1);
        } else if (r.outcome == net::Outcome::unreachable) {
          return;
        }
      }
    });
  }
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (answered < 10 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GE(answered.load(), 10);
  const auto code = server.signal_and_wait(SIGTERM, std::chrono::seconds(15));
  stop = true;
  for (auto& t : clients) {
    t.join();
  }
  ASSERT_TRUE(code.has_value()) << "edgent-serve did not exit within 15 s of SIGTERM: "
                                << server.log();
  EXPECT_EQ(*code, 0) << server.log();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_NE(server.log().find("drained"), std::string::npos) << server.log();
}

} // namespace
} // namespace edgent::testing
