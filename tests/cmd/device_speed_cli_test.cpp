// edgent-infer measures the device's speed against its fit and plans with it (DeviceSpeed):
// a device far slower than its fit says is predicted as it runs after a few requests.
#include "core/artifact.hpp"
#include "core/file_io.hpp"
#include "model/card_from_onnx.hpp"
#include "model/model_card.hpp"
#include "model/reference_models.hpp"
#include "runtime/device_speed.hpp"
#include "support/fixture_fits.hpp"
#include "support/process.hpp"
#include "support/serve_process.hpp"
#include "support/temp_dir.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

namespace edgent {
namespace {

class DeviceSpeedCli : public ::testing::Test {
protected:
  void SetUp() override {
    write_file_atomic(m_dir.file("inc.onnx"), model::inception_exits_model(5).serialize());
    const auto graph = model::OnnxGraph::from_file(m_dir.file("inc.onnx"));
    model::ModelCard card =
        model::card_from_onnx(*graph, "inc.onnx", "inc", model::CardNormalization{});
    model::write_model_card(m_dir.file("card.json"), card, "edgent-eval");
    testing::write_fixture_fits(m_dir.path().string(), graph->sha256());
    std::string inputs;
    for (int i = 0; i < 40; ++i) {
      inputs += std::string(28 * 28 * 4, '\0');
    }
    write_file_atomic(m_dir.file("in.f32"), inputs);
  }

  /// Runs 40 requests with @p strategy at time dilation 60; the records, and the summary in
  /// @p summary.
  std::vector<nlohmann::json> infer(const std::string& extra, nlohmann::json& summary,
                                    const std::string& strategy = "device-only") {
    const std::string args =
        "--model " + m_dir.file("card.json") + " --device-fit " + m_dir.file("device.fit.json") +
        " --edge-fit " + m_dir.file("edge.fit.json") + " --strategy " + strategy +
        " --deadline 100000 --slowdown 60 --tensors " +
        m_dir.file("in.f32") + " -o " + m_dir.file("r.jsonl") + " --summary " +
        m_dir.file("s.json") + extra;
    const testing::RunResult r = testing::run_tool("edgent-infer", args);
    EXPECT_EQ(r.code, 0) << r.err;
    std::vector<nlohmann::json> records;
    std::ifstream in(m_dir.file("r.jsonl"));
    for (std::string line; std::getline(in, line);) {
      records.push_back(nlohmann::json::parse(line));
    }
    summary = read_artifact(m_dir.file("s.json"), "run").doc;
    return records;
  }

  testing::TempDir m_dir{"device-speed-cli"};
};

TEST_F(DeviceSpeedCli, ADeviceSlowerThanItsFitIsPredictedAsItRuns) {
  nlohmann::json summary;
  const std::vector<nlohmann::json> recs = infer("", summary);
  ASSERT_EQ(recs.size(), 40u);
  EXPECT_DOUBLE_EQ(recs.front()["device_scale"].get<double>(), 1.0) << "nothing measured yet";
  // Later requests plan with the ratio of measured to predicted device time of those before,
  // within the estimate's limit of 5 (an instrumented build runs several times slower still).
  double measured = 0;
  double profiled = 0;
  for (std::size_t i = 10; i < 30; ++i) {
    measured += recs[i]["measured"]["device_ms"].get<double>();
    profiled += recs[i]["predicted"]["device_ms"].get<double>() / recs[i]["device_scale"].get<double>();
  }
  const double ratio = measured / profiled;
  const double expected = std::clamp(ratio, 0.2, 5.0);
  for (std::size_t i = 30; i < recs.size(); ++i) {
    EXPECT_NEAR(recs[i]["device_scale"].get<double>(), expected, 0.2 * expected) << i;
  }
  const nlohmann::json& device = summary["prediction"]["device"];
  const double fit_alone = device["median_rel_error_profiled"].get<double>();
  ASSERT_GT(fit_alone, 0.3) << "the test data's fit should be far from this device";
  if (ratio < 4.0) {
    std::string rows;
    for (const nlohmann::json& r : recs) {
      rows += fmt::format("{:.3f} {:.3f} {:.3f}\n", r["device_scale"].get<double>(),
                          r["measured"]["device_ms"].get<double>(),
                          r["predicted"]["device_ms"].get<double>());
    }
    EXPECT_LT(device["median_rel_error"].get<double>(), 0.5 * fit_alone)
        << device.dump() << "\n" << rows;
  }
}

TEST_F(DeviceSpeedCli, AnEdgeOnlyPlanLearnsTheSpeedFromTheDevicesCodecWork) {
  // Edge-only, the device computes nothing: its work is encoding the input and decoding the
  // answer, which run at the device's speed too and are what the estimate learns from.
  // The test data's fit has no codec times: give every codec 0.25 ms for the input's first
  // encoding and 0.05 ms per decoding, far below what they take 60 times slower.
  Artifact fit = read_artifact(m_dir.file("device.fit.json"), "fit");
  for (const char* codec : {"fp32", "fp16", "int8", "fp32+zstd", "fp16+zstd", "int8+zstd"}) {
    fit.doc["codecs"][codec] = {{"encode", {{"ms", 0.1}, {"ms_per_byte", 0.0}}},
                                {"decode", {{"ms", 0.05}, {"ms_per_byte", 0.0}}},
                                {"encode_first_ms", 0.25}};
  }
  fit.doc.erase("schema");
  fit.doc.erase("generator");
  write_artifact(m_dir.file("device.fit.json"), fit.doc, "fit", "edgent-fit");
  testing::ServeProcess server({"--model", m_dir.file("card.json"), "--threads", "1", "--quiet"});
  nlohmann::json summary;
  const std::vector<nlohmann::json> recs =
      infer(fmt::format(" --edge 127.0.0.1:{} --bandwidth 100000", server.port()), summary,
            "edge-only");
  ASSERT_EQ(recs.size(), 40u);
  // Each request is planned with the estimate of the requests before it, fed the device's
  // compute and codec time against their prediction as profiled.
  runtime::DeviceSpeed speed;
  for (const nlohmann::json& r : recs) {
    ASSERT_EQ(r["plan"]["cut"].get<int>(), 0) << "edge-only";
    ASSERT_FALSE(r["fallback"].get<bool>()) << r.dump();
    EXPECT_DOUBLE_EQ(r["measured"]["device_ms"].get<double>(), 0.0);
    const double scale = r["device_scale"].get<double>();
    EXPECT_NEAR(scale, speed.scale(), 1e-9 * scale) << r.dump();
    const nlohmann::json& m = r["measured"];
    const nlohmann::json& p = r["predicted"];
    speed.add(m["device_ms"].get<double>() + m["codec_ms"].get<double>(),
              (p["device_ms"].get<double>() + p["codec_ms"].get<double>()) / scale);
  }
  EXPECT_GT(recs.back()["device_scale"].get<double>(), 1.5)
      << "the codec work runs 60 times slower than this machine, far beyond its fit";
}

TEST_F(DeviceSpeedCli, NoDeviceSpeedPlansWithTheFitAlone) {
  nlohmann::json summary;
  const std::vector<nlohmann::json> recs = infer(" --no-device-speed", summary);
  ASSERT_EQ(recs.size(), 40u);
  for (const nlohmann::json& r : recs) {
    EXPECT_DOUBLE_EQ(r["device_scale"].get<double>(), 1.0);
  }
  const nlohmann::json& device = summary["prediction"]["device"];
  EXPECT_DOUBLE_EQ(device["median_rel_error"].get<double>(),
                   device["median_rel_error_profiled"].get<double>());
}

} // namespace
} // namespace edgent
