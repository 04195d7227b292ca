#include "core/error.hpp"
#include "model/onnx_graph.hpp"
#include "model/partition.hpp"
#include "model/segment_runner.hpp"
#include "profile/provenance.hpp"
#include "profile/sweep.hpp"
#include "profile/timing.hpp"

#include <gtest/gtest.h>
#include <opencv2/dnn.hpp>

#include <chrono>
#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <thread>


namespace edgent::profile {
namespace {

TEST(Timing, MedianAndP95) {
  const TimingStats s = summarize({5, 1, 4, 2, 3});
  EXPECT_DOUBLE_EQ(s.median_ms, 3);
  EXPECT_DOUBLE_EQ(s.mean_ms, 3);
  EXPECT_DOUBLE_EQ(summarize({1, 1, 10}).mean_ms, 4);
  EXPECT_DOUBLE_EQ(s.p95_ms, 4.8);  // stats::quantile: 4 + 0.8 (5 - 4)
  EXPECT_EQ(s.samples_ms.size(), 5u);
  EXPECT_DOUBLE_EQ(summarize({1, 2, 3, 4}).median_ms, 2.5);
  std::vector<double> many(100);
  for (int i = 0; i < 100; ++i) {
    many[static_cast<std::size_t>(i)] = i + 1;
  }
  EXPECT_DOUBLE_EQ(summarize(many).p95_ms, 95.05);
  EXPECT_DOUBLE_EQ(summarize({}).median_ms, 0);
}

TEST(Timing, MeasureRunsWarmupPlusReps) {
  int calls = 0;
  const TimingStats s = measure([&] { ++calls; }, 2, 5);
  EXPECT_EQ(calls, 7);
  EXPECT_EQ(s.samples_ms.size(), 5u);
  EXPECT_GE(s.median_ms, 0);
}

void busy_wait_us(int us) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(us);
  while (std::chrono::steady_clock::now() < until) {
  }
}

TEST(Timing, RotationRunsEveryWorkOncePerRoundInChangingOrder) {
  constexpr int kWorks = 5;
  constexpr int kWarmup = 2;
  constexpr int kReps = 10;
  std::vector<int> sequence;
  Rotation works;
  std::vector<WorkHandle> handles;
  for (int i = 0; i < kWorks; ++i) {
    handles.push_back(works.add([&sequence, i] {
      sequence.push_back(i);
      busy_wait_us(50 * (i + 1));
    }));
  }
  const RotationTimings stats = measure_rotation(works, kWarmup, kReps);
  ASSERT_EQ(stats.rounds(), static_cast<std::size_t>(kReps));
  ASSERT_EQ(sequence.size(), static_cast<std::size_t>(kWorks * (kWarmup + kReps)));
  std::set<std::vector<int>> orders;
  for (int r = 0; r < kWarmup + kReps; ++r) {
    std::vector<int> round(sequence.begin() + r * kWorks, sequence.begin() + (r + 1) * kWorks);
    if (r >= kWarmup) {
      orders.insert(round);
    }
    std::sort(round.begin(), round.end());
    EXPECT_EQ(round, (std::vector<int>{0, 1, 2, 3, 4})) << "round " << r;
  }
  EXPECT_GT(orders.size(), 1u) << "the order must change between rounds";
  for (int i = 0; i < kWorks; ++i) {
    const TimingStats& s = stats[handles[static_cast<std::size_t>(i)]];
    EXPECT_EQ(s.samples_ms.size(), static_cast<std::size_t>(kReps));
    // One run per sample: each busy-waits 0.05 ms * (i + 1) of wall time.
    EXPECT_GE(s.median_ms, 0.05 * (i + 1) * 0.95) << "work " << i;
  }
}

TEST(Timing, BeforeStepRunsUntimedBeforeEveryTimedRun) {
  int before = 0;
  int runs = 0;
  Rotation works;
  const WorkHandle work = works.add(
      [&] {
        ++runs;
        busy_wait_us(100);
      },
      [&] {
        ++before;
        busy_wait_us(3000);
      });
  const RotationTimings stats = measure_rotation(works, 1, 5);
  EXPECT_EQ(runs, 6);
  EXPECT_EQ(before, 5);
  EXPECT_GE(stats[work].median_ms, 0.095);
  EXPECT_LT(stats[work].median_ms, 2.0) << "the 3 ms before step must not be timed";
}

TEST(Timing, EachRotationTimedTogetherIsReadByItsOwnHandles) {
  // Two rotations timed as one: each work's timings come back under the handle its own
  // rotation gave, whatever the position of the work in the combined round.
  std::vector<std::string> sequence;
  Rotation first;
  Rotation second;
  const WorkHandle slow = first.add([&] {
    sequence.push_back("slow");
    busy_wait_us(2000);
  });
  const WorkHandle fast = second.add([&] { sequence.push_back("fast"); });
  const WorkHandle medium = second.add([&] {
    sequence.push_back("medium");
    busy_wait_us(500);
  });
  const std::vector<RotationTimings> timed = measure_rotations({&first, &second}, 1, 7);
  ASSERT_EQ(timed.size(), 2u);
  EXPECT_EQ(sequence.size(), 3u * 8u) << "every work runs once per round, warm-up included";
  EXPECT_EQ(timed[0].rounds(), 7u);
  EXPECT_EQ(timed[1].rounds(), 7u);
  EXPECT_GE(timed[0][slow].median_ms, 1.9);
  EXPECT_GE(timed[1][medium].median_ms, 0.45);
  EXPECT_LT(timed[1][fast].median_ms, timed[1][medium].median_ms);
  // A handle past the end of a smaller rotation's timings is refused, not read elsewhere.
  EXPECT_THROW((void)timed[0][medium], std::out_of_range);
}

TEST(Timing, AppendedTimingsKeepEverySampleInOrder) {
  RotationTimings a(std::vector<TimingStats>{summarize({1, 2}), summarize({10})});
  const RotationTimings b(std::vector<TimingStats>{summarize({3}), summarize({20, 30})});
  RotationTimings empty;
  EXPECT_EQ(empty.rounds(), 0u);
  empty.append(a);
  EXPECT_EQ(empty.rounds(), 2u);
  a.append(b);
  Rotation r;
  const WorkHandle h0 = r.add([] {});
  const WorkHandle h1 = r.add([] {});
  EXPECT_EQ(a[h0].samples_ms, (std::vector<double>{1, 2, 3}));
  EXPECT_DOUBLE_EQ(a[h0].median_ms, 2);
  EXPECT_EQ(a[h1].samples_ms, (std::vector<double>{10, 20, 30}));
  EXPECT_DOUBLE_EQ(a[h1].mean_ms, 20);
}

TEST(Timing, CpuClockDoesNotCountTimeOffTheCpu) {
  const auto sleep = [] { std::this_thread::sleep_for(std::chrono::milliseconds(4)); };
  const TimingStats wall = measure(sleep, 0, 3, SampleClock::wall);
  const TimingStats cpu = measure(sleep, 0, 3, SampleClock::cpu);
  EXPECT_GE(wall.median_ms, 4.0);
  EXPECT_LT(cpu.median_ms, 1.0);
  EXPECT_EQ(to_string(SampleClock::cpu), "cpu");
}

TEST(Timing, WallCpuMeterSeesTimeOffTheCpu) {
  const WallCpuMeter meter;
  busy_wait_us(5000);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_GT(meter.ratio(), 2.0);
}

TEST(Sweep, ConfigsAreDeterministicAndCoverEveryType) {
  SweepOptions o;
  o.points_per_type = 6;
  const auto a = sweep_configs(o);
  const auto b = sweep_configs(o);
  ASSERT_EQ(a.size(), b.size());
  std::set<std::string> types;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].c, b[i].c);
    EXPECT_EQ(a[i].filters, b[i].filters);
    types.insert(a[i].type);
  }
  EXPECT_EQ(types.size(), o.types.size());
}

TEST(Sweep, MaxBytesKeepsOutLayersLargerThanTheModels) {
  SweepOptions o;
  o.points_per_type = 8;
  o.max_bytes = 2e6;
  const auto configs = sweep_configs(o);
  ASSERT_FALSE(configs.empty());
  for (const SweepConfig& c : configs) {
    const double in = 4.0 * static_cast<double>(c.c * c.h * c.w);
    double weights = 0;
    if (c.type == "conv") {
      weights = 4.0 * static_cast<double>(c.filters * (c.c / c.group) * c.kernel * c.kernel);
    } else if (c.type == "fc") {
      weights = 4.0 * static_cast<double>(c.c * c.filters);
    }
    EXPECT_LE(in + weights, 2e6) << c.type << " " << c.c << "x" << c.h << " f" << c.filters;
  }
}

TEST(Sweep, EveryModelLoadsAndRunsInOpenCv) {
  SweepOptions o;
  o.points_per_type = 2;
  o.max_flops = 2e7;
  for (const SweepConfig& c : sweep_configs(o)) {
    model::Features f;
    std::string shape;
    const std::string bytes = build_sweep_model(c, f, shape);
    cv::dnn::Net net = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
    EXPECT_FALSE(net.empty()) << c.type << " " << shape;
    EXPECT_GT(f.at("in_size"), 0) << c.type;
    if (c.type == "dropout" || c.type == "concat") {
      EXPECT_EQ(f.at("flops"), 0);  // as the model analysis counts a dropout or concat unit
    } else {
      EXPECT_GT(f.at("flops"), 0) << c.type;
    }
    if (c.type == "conv") {
      EXPECT_GT(f.at("filter_term"), 0);
    }
    if (c.type == "pool" || c.type == "fc" || c.type == "eltwise" || c.type == "concat") {
      EXPECT_GT(f.at("out_size"), 0);
    }
  }
}

TEST(Sweep, CoversGroupedConvsGlobalPoolingAndBothEltwiseForms) {
  SweepOptions o;
  o.points_per_type = 24;
  std::set<std::string> seen;
  for (const SweepConfig& c : sweep_configs(o)) {
    if (c.type == "conv" && c.group > 1) {
      seen.insert(c.group == c.c && c.filters == c.c ? "depthwise" : "grouped");
      EXPECT_EQ(c.c % c.group, 0);
      EXPECT_EQ(c.filters % c.group, 0);
    }
    if (c.type == "pool" && c.kernel == 0) {
      seen.insert("global");
    }
    if (c.type == "eltwise") {
      seen.insert(c.kernel == 1 ? "add" : "mul");
    }
  }
  EXPECT_EQ(seen, (std::set<std::string>{"add", "depthwise", "global", "grouped", "mul"}));
}

TEST(Sweep, FcPointsComeFlatAndBehindAFlattenAsModelsHoldThem) {
  SweepOptions o;
  o.points_per_type = 24;
  std::set<bool> seen;
  for (const SweepConfig& c : sweep_configs(o)) {
    if (c.type != "fc") {
      continue;
    }
    seen.insert(c.flatten);
    model::Features f;
    std::string shape;
    build_sweep_model(c, f, shape);  // throws unless it is one fc unit
    EXPECT_DOUBLE_EQ(f.at("flatten"), c.flatten ? 1.0 : 0.0) << shape;
    EXPECT_DOUBLE_EQ(f.at("in_size"), static_cast<double>(c.c)) << shape;
  }
  EXPECT_EQ(seen, (std::set<bool>{false, true}));
}

TEST(Sweep, ConvFeaturesFollowEdgent) {
  SweepConfig c;
  c.type = "conv";
  c.c = 16;
  c.h = c.w = 28;
  c.filters = 32;
  c.kernel = 5;
  c.stride = 1;
  model::Features f;
  std::string shape;
  build_sweep_model(c, f, shape);
  EXPECT_DOUBLE_EQ(f.at("in_size"), 16.0 * 28 * 28);
  EXPECT_DOUBLE_EQ(f.at("filter_term"), 25.0 * 32);          // (5/1)^2 * 32
  // Multiply-adds with same padding, plus the bias and the ReLU per output, as the model
  // analysis counts a model's conv units.
  EXPECT_DOUBLE_EQ(f.at("flops"), 2.0 * 28 * 28 * 32 * 16 * 25 + 2.0 * 28 * 28 * 32);
}

TEST(Sweep, FeaturesAreTheModelAnalysisOnes) {
  // LRN and dropout FLOPs as the partition counts them for a model's units: (size + 3) per
  // output and none.
  SweepConfig lrn;
  lrn.type = "lrn";
  lrn.c = 32;
  lrn.h = lrn.w = 14;
  lrn.kernel = 5;
  model::Features f;
  std::string shape;
  build_sweep_model(lrn, f, shape);
  EXPECT_DOUBLE_EQ(f.at("in_size"), 32.0 * 14 * 14);
  EXPECT_DOUBLE_EQ(f.at("flops"), 8.0 * 32 * 14 * 14);
  SweepConfig drop = lrn;
  drop.type = "dropout";
  build_sweep_model(drop, f, shape);
  EXPECT_DOUBLE_EQ(f.at("flops"), 0.0);
}

TEST(Sweep, SplitChainUnitsComposeToTheWholeChain) {
  for (const std::int64_t side : {28, 5, 200}) {
    model::SegmentRunner runner(model::OnnxGraph::from_bytes(build_split_chain(side), "split"), 1);
    const model::ExitChain& chain = runner.partition().exits.front();
    ASSERT_EQ(runner.partition().exits.size(), 1u);
    // conv+relu, pool, lrn, conv+relu, pool, dropout, flatten+fc: every boundary a cut.
    ASSERT_EQ(chain.size(), 7) << "side " << side;
    ASSERT_EQ(chain.cut_points().size(), 8u);
    cv::Mat input(runner.cut_shape(1, 0), CV_32F);
    cv::randu(input, 0.0f, 1.0f);
    const cv::Mat expected = runner.run_exit(1, input);
    cv::Mat t = input;
    for (int u = 0; u < chain.size(); ++u) {
      t = runner.run(1, u, u + 1, t);
    }
    ASSERT_EQ(t.total(), expected.total()) << "side " << side;
    EXPECT_LT(cv::norm(t.reshape(1, 1), expected.reshape(1, 1), cv::NORM_INF), 1e-4) << "side " << side;
  }
}

TEST(Sweep, VariantsKeepChannelAlignmentAndAreDistinct) {
  SweepConfig anchor;
  anchor.type = "conv";
  anchor.c = 64;        // aligned to 16 (the cap)
  anchor.h = anchor.w = 14;
  anchor.filters = 96;  // aligned to 32, capped to 16
  anchor.kernel = 3;
  SweepConfig odd = anchor;
  odd.c = 3;            // aligned to 1
  odd.filters = 50;     // aligned to 2
  const auto variants = around({anchor, odd}, 12, 7);
  ASSERT_GE(variants.size(), 12u);
  std::set<std::tuple<std::int64_t, std::int64_t, std::int64_t>> seen;
  for (const SweepConfig& v : variants) {
    EXPECT_TRUE(seen.insert({v.c, v.h, v.filters}).second) << "duplicate " << v.c << "x" << v.h << " f" << v.filters;
    if (v.c >= 16) {  // a variant of the aligned anchor (its channels are 45..91)
      EXPECT_EQ(v.c % 16, 0) << v.c;
      EXPECT_EQ(v.filters % 16, 0) << v.filters;
    } else {
      EXPECT_EQ(v.filters % 2, 0) << v.filters;
    }
    // Sizes within a factor of sqrt(2) of the anchor's (rounded).
    EXPECT_GE(v.h, 9);
    EXPECT_LE(v.h, 20);
  }
}

TEST(Provenance, HasTheFactsAProfileNeeds) {
  const Provenance p = collect_provenance("abc");
  EXPECT_FALSE(p.host.empty());
  EXPECT_GE(p.cores, 1);
  EXPECT_EQ(p.model_sha256, "abc");
  EXPECT_EQ(p.opencv.rfind("4.", 0), 0u);
  EXPECT_EQ(p.time.size(), 20u);  // 2026-11-22T21:30:00Z
  EXPECT_EQ(p.time.back(), 'Z');
  const nlohmann::json j = to_json(p);
  for (const char* key : {"host", "cpu_model", "cores", "threads", "cpu_quota", "opencv", "model_sha256", "time"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
}

} // namespace
} // namespace edgent::profile
