#include "profile/profile_command.hpp"

#include "core/artifact.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/progress.hpp"
#include "model/onnx_graph.hpp"
#include "model/partition.hpp"
#include "model/reference_models.hpp"
#include "profile/anchors.hpp"
#include "profile/profile_json.hpp"
#include "regress/latency_fit.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include <unistd.h>

namespace edgent::profile {
namespace {

namespace fs = std::filesystem;

class ProfilerTest : public ::testing::Test {
protected:
  void SetUp() override {
    m_model = (m_dir / "branchy.onnx").string();
    write_file_atomic(m_model, model::branchy_alexnet(3).serialize());
  }

  /// A CI-sized profile: few repetitions, a small sweep.
  ProfileOptions small_options() const {
    ProfileOptions o;
    o.model = m_model;
    o.output = (m_dir / "profile.json").string();
    o.warmup = 1;
    o.reps = 3;
    o.sweep_options.points_per_type = 6;
    o.sweep_options.reps = 2;
    o.sweep_options.max_flops = 5e7;
    o.anchor_points = 2;
    o.request_gap_ms = 5;  // the requests section is there; 100 ms gaps would sleep 35 s
    return o;
  }

  edgent::testing::TempDir m_tmp{"profiler"};
  fs::path m_dir = m_tmp.path();
  std::string m_model;
};

TEST_F(ProfilerTest, CiSizedProfileRunsEndToEndIntoAFit) {
  const ProfileOptions o = small_options();
  ASSERT_EQ(run(o, static_cast<int>(Progress::Mode::quiet)), 0);
  const Artifact profile = read_artifact(o.output, "profile");
  const JsonView root = profile.root();
  EXPECT_EQ(root.at("role").string(), "device");
  EXPECT_EQ(root.at("provenance").at("model_sha256").string(), sha256_file(m_model));
  EXPECT_EQ(root.at("exits").size(), 5u);

  const auto graph = model::OnnxGraph::from_file(m_model);
  const model::Partition part = model::analyse(*graph);
  std::size_t units = 0;
  for (const auto& chain : part.exits) {
    units += static_cast<std::size_t>(chain.size());  // a chain model: every unit is a cut
  }
  ASSERT_EQ(root.at("units").size(), units);
  for (const JsonView& u : root.at("units").elements()) {
    // Raw samples are kept: at least --reps, more when the sweep's rounds add some.
    EXPECT_GE(u.at("samples_ms").size(), static_cast<std::size_t>(o.reps));
    EXPECT_GE(u.at("p95_ms").number(), u.at("median_ms").number());
    EXPECT_GT(u.at("mean_ms").number(), 0);
    EXPECT_TRUE(u.at("features").has("flops"));
  }
  const JsonView settings = root.at("settings");
  EXPECT_EQ(settings.at("clock").string(), "wall") << "no CPU quota in force";
  EXPECT_EQ(settings.at("estimate").string(), "median_ms");
  EXPECT_TRUE(settings.at("cpu_slowdown").is_null());
  EXPECT_EQ(settings.at("sweep_reps").integer(), o.sweep_options.reps);
  EXPECT_GT(root.at("net_overhead").at("samples_ms").size(), 0u);
  for (const JsonView& e : root.at("exits").elements()) {
    EXPECT_GT(e.at("median_ms").number(), 0);
    EXPECT_GT(e.at("whole_net").at("median_ms").number(), 0);
  }
  std::set<std::string> sweep_types;
  for (const JsonView& p : root.at("sweep").elements()) {
    sweep_types.insert(p.at("type").string());
  }
  EXPECT_TRUE(sweep_types.count("conv") && sweep_types.count("fc") && sweep_types.count("lrn"));

  const regress::LatencyFit fit = regress::fit_profile(profile, {});
  EXPECT_EQ(fit.role, "device");
  ASSERT_TRUE(fit.has_type("conv"));
  ASSERT_TRUE(fit.types.at("conv").heldout.has_value()) << "the model's conv units are held out";
  // Held out means the training set is the sweep (or its points near the model), never units.
  std::size_t sweep_convs = 0;
  std::size_t near_convs = 0;
  for (const JsonView& p : root.at("sweep").elements()) {
    const bool conv = p.at("type").string() == "conv" && p.at("median_ms").number() > 0;
    sweep_convs += conv;
    near_convs += conv && p.at("near_model").boolean();
  }
  const regress::TypeFit& conv = fit.types.at("conv");
  EXPECT_EQ(conv.train.n, conv.train_set == "near-model" ? near_convs : sweep_convs);
  EXPECT_GT(near_convs, 0u);
}

TEST_F(ProfilerTest, UnderACpuQuotaSamplesAreScaledCpuTimeAndFitsReadTheMean) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "a CPU quota needs root";
  }
  ProfileOptions o = small_options();
  o.cpu_quota = 0.5;
  o.sweep = false;
  o.role = "quota-test-" + std::to_string(::getpid());
  try {
    ASSERT_EQ(run(o, static_cast<int>(Progress::Mode::quiet)), 0);
  } catch (const Error& e) {
    GTEST_SKIP() << "no writable cgroup cpu controller: " << e.what();
  }
  const Artifact profile = read_artifact(o.output, "profile");
  const JsonView settings = profile.root().at("settings");
  EXPECT_EQ(settings.at("clock").string(), "cpu");
  EXPECT_EQ(settings.at("estimate").string(), "mean_ms");
  EXPECT_EQ(profile::read_profile(profile).estimate, "mean_ms");
  EXPECT_EQ(settings.at("sweep_reps").integer(), 3 * o.sweep_options.reps) << "tripled under a quota";
  EXPECT_EQ(settings.at("reps").integer(), 3 * o.reps);
  // Half a CPU: wall time runs about twice the CPU time (more when the machine is busy).
  EXPECT_GT(settings.at("cpu_slowdown").number(), 1.5);
  EXPECT_LT(settings.at("cpu_slowdown").number(), 50.0);
}

TEST_F(ProfilerTest, UnderTimeDilationSamplesAreKTimesCpuTimeAndRecordK) {
  ProfileOptions o = small_options();
  o.slowdown = 5;
  o.request_gap_ms = 5;  // short gaps: the test checks the sections, not cold caches
  ASSERT_EQ(run(o, static_cast<int>(Progress::Mode::quiet)), 0);
  const Artifact profile = read_artifact(o.output, "profile");
  const JsonView root = profile.root();
  const JsonView settings = root.at("settings");
  EXPECT_EQ(settings.at("clock").string(), "cpu");
  EXPECT_EQ(settings.at("estimate").string(), "median_ms") << "no quota stops to average over";
  EXPECT_DOUBLE_EQ(settings.at("cpu_slowdown").number(), 5);
  EXPECT_EQ(settings.at("emulation").at("method").string(), "dilation");
  EXPECT_DOUBLE_EQ(settings.at("emulation").at("slowdown").number(), 5);
  EXPECT_EQ(settings.at("reps").integer(), o.reps) << "not tripled: no quota";
  // Each exit's chain as a request, and the codecs on two tensor sizes each way.
  const JsonView requests = root.at("requests");
  EXPECT_DOUBLE_EQ(requests.at("gap_ms").number(), 5);
  ASSERT_EQ(requests.at("exits").size(), 5u);
  std::size_t splits = 0;
  for (const JsonView& e : requests.at("exits").elements()) {
    EXPECT_GT(e.at("param_bytes").number(), 0);
    EXPECT_GT(e.at("median_ms").number(), 0);
    if (const auto split = e.find("split")) {
      ++splits;
      EXPECT_GE(split->at("nets").integer(), 2);
      EXPECT_GT(split->at("boundary_bytes").number(), 0);
      EXPECT_GT(split->at("median_ms").number(), 0);
    }
  }
  EXPECT_EQ(splits, 5u) << "every exit chain of the model has inner cut points";
  EXPECT_EQ(root.at("codecs").size(), 6u * 2 * 2);
  EXPECT_EQ(requests.at("codecs").size(), 6u) << "each codec encoding the input, cold";
  const regress::LatencyFit fit = regress::fit_profile(profile, {});
  EXPECT_DOUBLE_EQ(fit.request.gap_ms, 5);
  ASSERT_EQ(fit.codecs.size(), 6u);
  for (const auto& [name, cost] : fit.codecs) {
    EXPECT_GT(cost.encode_first_ms, 0) << name;
  }
  // zstd costs more than a plain copy of the same tensor.
  EXPECT_GT(fit.codecs.at("int8+zstd").encode.intercept + fit.codecs.at("int8+zstd").encode.slope * 1e5,
            fit.codecs.at("int8").encode.intercept + fit.codecs.at("int8").encode.slope * 1e5);
  const Artifact again = [&] {
    Artifact a;
    a.doc = regress::to_json(fit);
    a.doc["schema"] = "edgent.fit/1";
    a.file = "fit.json";
    return a;
  }();
  const regress::LatencyFit back = regress::latency_fit_from_artifact(again);
  EXPECT_DOUBLE_EQ(back.request.fixed_ms, fit.request.fixed_ms);
  EXPECT_GE(fit.request.net_ms, 0.0);
  EXPECT_DOUBLE_EQ(back.request.net_ms, fit.request.net_ms);
  EXPECT_DOUBLE_EQ(back.codecs.at("fp16").decode.slope, fit.codecs.at("fp16").decode.slope);
  EXPECT_DOUBLE_EQ(back.codecs.at("int8").encode_first_ms, fit.codecs.at("int8").encode_first_ms);
}

TEST_F(ProfilerTest, IfOlderThanKeepsAFreshProfile) {
  ProfileOptions o = small_options();
  write_file_atomic(o.output, "keep me");
  o.if_older_than_s = 3600;
  ASSERT_EQ(run(o, static_cast<int>(Progress::Mode::quiet)), 0);
  EXPECT_EQ(read_file(o.output), "keep me");
}

TEST_F(ProfilerTest, MissingModelIsAnIoError) {
  ProfileOptions o = small_options();
  o.model = (m_dir / "nope.onnx").string();
  EXPECT_THROW(run(o, static_cast<int>(Progress::Mode::quiet)), IoError);
  EXPECT_FALSE(fs::exists(o.output));
}

TEST_F(ProfilerTest, AnchorsAreTheModelsLayersAndVariantsExcludeThem) {
  const auto graph = model::OnnxGraph::from_file(m_model);
  const auto anchors = unit_configs(*graph, model::analyse(*graph));
  ASSERT_FALSE(anchors.empty());
  bool first_conv = false;
  for (const SweepConfig& c : anchors) {
    first_conv = first_conv || (c.type == "conv" && c.c == 1 && c.h == 28);
  }
  EXPECT_TRUE(first_conv);
  for (const SweepConfig& v : around(anchors, 3, 9)) {
    for (const SweepConfig& a : anchors) {
      EXPECT_FALSE(v.type == a.type && v.c == a.c && v.h == a.h && v.w == a.w &&
                   v.filters == a.filters && v.kernel == a.kernel && v.stride == a.stride);
    }
  }
}

TEST(Duration, ParsesUnitsAndRejectsNonsense) {
  EXPECT_DOUBLE_EQ(parse_duration_s("90"), 90);
  EXPECT_DOUBLE_EQ(parse_duration_s("30m"), 1800);
  EXPECT_DOUBLE_EQ(parse_duration_s("12h"), 43200);
  EXPECT_DOUBLE_EQ(parse_duration_s("7d"), 604800);
  EXPECT_THROW(parse_duration_s("soon"), UsageError);
  EXPECT_THROW(parse_duration_s("5y"), UsageError);
  EXPECT_THROW(parse_duration_s("-3s"), UsageError);
}

} // namespace
} // namespace edgent::profile
