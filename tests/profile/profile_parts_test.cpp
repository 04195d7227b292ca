#include "core/error.hpp"
#include "profile/cpu_quota.hpp"
#include "profile/provenance.hpp"
#include "profile/sweep.hpp"
#include "profile/timing.hpp"

#include <gtest/gtest.h>
#include <opencv2/dnn.hpp>

#include <chrono>
#include <functional>
#include <set>

#include <sys/wait.h>
#include <unistd.h>

namespace edgent::profile {
namespace {

TEST(Timing, MedianAndP95) {
  const TimingStats s = summarize({5, 1, 4, 2, 3});
  EXPECT_DOUBLE_EQ(s.median_ms, 3);
  EXPECT_DOUBLE_EQ(s.p95_ms, 5);
  EXPECT_EQ(s.samples_ms.size(), 5u);
  EXPECT_DOUBLE_EQ(summarize({1, 2, 3, 4}).median_ms, 2.5);
  std::vector<double> many(100);
  for (int i = 0; i < 100; ++i) {
    many[static_cast<std::size_t>(i)] = i + 1;
  }
  EXPECT_DOUBLE_EQ(summarize(many).p95_ms, 95);
  EXPECT_DOUBLE_EQ(summarize({}).median_ms, 0);
}

TEST(Timing, MeasureRunsWarmupPlusReps) {
  int calls = 0;
  const TimingStats s = measure([&] { ++calls; }, 2, 5);
  EXPECT_EQ(calls, 7);
  EXPECT_EQ(s.samples_ms.size(), 5u);
  EXPECT_GE(s.median_ms, 0);
}

TEST(Timing, ShortRunsAreBatchedUpToTheMinimumSample) {
  int calls = 0;
  const TimingStats s = measure(
      [&] {
        ++calls;
        const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(200);
        while (std::chrono::steady_clock::now() < until) {
        }
      },
      1, 3, /*min_sample_cpu_ms=*/2.0);
  // About 10 runs of 0.2 ms per 2 ms sample; the recorded time is per run.
  EXPECT_GE(calls, 1 + 3 * 5);
  EXPECT_EQ(s.samples_ms.size(), 3u);
  EXPECT_GT(s.median_ms, 0.15);
  EXPECT_LT(s.median_ms, 1.0);
}

TEST(Timing, InterleavedRoundsSampleEveryWorkAndRewarmIt) {
  std::vector<int> calls(2, 0);
  std::vector<std::function<void()>> works;
  for (int i = 0; i < 2; ++i) {
    works.emplace_back([&calls, i] {
      ++calls[static_cast<std::size_t>(i)];
      const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(100 * (i + 1));
      while (std::chrono::steady_clock::now() < until) {
      }
    });
  }
  const auto stats = measure_interleaved(works, 2, 4, /*min_sample_cpu_ms=*/1.0);
  ASSERT_EQ(stats.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(stats[i].samples_ms.size(), 4u);
    // 2 warm-ups, then per round one re-warm run and a batch of about 1 ms / (0.1 ms * (i+1)).
    EXPECT_GE(calls[i], 2 + 4 * (1 + 3)) << "work " << i;
    // Each run busy-waits 0.1 ms * (i + 1) of wall time: a sample can only be longer.
    EXPECT_GE(stats[i].median_ms, 0.1 * static_cast<double>(i + 1));
  }
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

TEST(Sweep, EveryModelLoadsAndRunsInOpenCv) {
  SweepOptions o;
  o.points_per_type = 2;
  o.max_flops = 2e7;
  for (const SweepConfig& c : sweep_configs(o)) {
    regress::Features f;
    std::string shape;
    const std::string bytes = build_sweep_model(c, f, shape);
    cv::dnn::Net net = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
    EXPECT_FALSE(net.empty()) << c.type << " " << shape;
    EXPECT_GT(f.at("in_size"), 0) << c.type;
    EXPECT_GT(f.at("flops"), 0) << c.type;
    if (c.type == "conv") {
      EXPECT_GT(f.at("filter_term"), 0);
    }
    if (c.type == "pool" || c.type == "fc") {
      EXPECT_GT(f.at("out_size"), 0);
    }
  }
}

TEST(Sweep, ConvFeaturesFollowEdgent) {
  SweepConfig c;
  c.type = "conv";
  c.c = 16;
  c.h = c.w = 28;
  c.filters = 32;
  c.kernel = 5;
  c.stride = 1;
  regress::Features f;
  std::string shape;
  build_sweep_model(c, f, shape);
  EXPECT_DOUBLE_EQ(f.at("in_size"), 16.0 * 28 * 28);
  EXPECT_DOUBLE_EQ(f.at("filter_term"), 25.0 * 32);          // (5/1)^2 * 32
  EXPECT_DOUBLE_EQ(f.at("flops"), 2.0 * 28 * 28 * 32 * 16 * 25);  // same padding
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

TEST(CpuQuota, RejectsNonsense) {
  EXPECT_THROW(enter_cpu_quota(0, "test"), ConfigError);
  EXPECT_THROW(enter_cpu_quota(-1, "test"), ConfigError);
}

TEST(CpuQuota, ChildEntersAndReadsBackItsQuota) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "a CPU quota needs root";
  }
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int code = 0;
    try {
      const std::string dir = enter_cpu_quota(0.5, "test-" + std::to_string(::getpid()));
      const auto q = current_cpu_quota();
      code = (q && *q > 0.49 && *q < 0.51) ? 0 : 10;
      leave_cpu_quota(dir);
      if (!current_cpu_quota() && code == 0) {
        code = 0;
      } else if (code == 0) {
        code = 11;
      }
    } catch (const Error&) {
      code = 12;  // no writable cgroup controller in this environment
    }
    ::_exit(code);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 12) {
    GTEST_SKIP() << "no writable cgroup cpu controller";
  }
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

} // namespace
} // namespace edgent::profile
