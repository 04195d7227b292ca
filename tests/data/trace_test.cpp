#include "data/trace.hpp"

#include "core/error.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

namespace edgent::data {
namespace {

std::string message_of(const std::string& text) {
  try {
    parse_trace(text, "t.csv");
  } catch (const SchemaError& e) {
    EXPECT_EQ(to_int(e.exit_code()), 2);
    return e.message();
  }
  return "no error";
}

TEST(Trace, ParsesSampleAndHold) {
  const Trace t = parse_trace("t_s,bandwidth_kbps\n0,100\n1,200\n3,50\n", "t.csv", 2.0);
  ASSERT_EQ(t.t_s.size(), 3U);
  EXPECT_DOUBLE_EQ(t.kbps[1], 400); // scaled
  EXPECT_DOUBLE_EQ(t.end_s, 3 + 1.5); // median spacing of {1, 2}
  EXPECT_DOUBLE_EQ(t.at(0.5), 200);
  EXPECT_DOUBLE_EQ(t.at(2.9), 400);
  EXPECT_DOUBLE_EQ(t.at(100), 100);
  EXPECT_DOUBLE_EQ(t.mean_kbps(), (200 * 1 + 400 * 2 + 100 * 1.5) / 4.5);
  EXPECT_EQ(t.sha256.size(), 64U);
}

TEST(Trace, BinsAverageOverTime) {
  const Trace t = parse_trace("t_s,bandwidth_kbps\r\n0,100\r\n0.5,300\r\n1,0\r\n", "t.csv");
  const auto bins = t.binned(1.0);
  ASSERT_EQ(bins.size(), 2U); // end 1.5 s: one full bin, one half bin
  EXPECT_DOUBLE_EQ(bins[0], 200);
  EXPECT_DOUBLE_EQ(bins[1], 0);
}

TEST(Trace, BadRowsNameFileAndLine) {
  EXPECT_EQ(message_of("t_s,bandwidth_kbps\n0,1\n1,abc\n"),
            "t.csv: line 3: bandwidth_kbps 'abc' is not a finite number");
  EXPECT_EQ(message_of("t_s,bandwidth_kbps\n0,1\n1,-5\n"),
            "t.csv: line 3: bandwidth_kbps -5 is negative");
  EXPECT_EQ(message_of("t_s,bandwidth_kbps\n0,1\n2,1\n2,1\n"),
            "t.csv: line 4: t_s 2 is not after the previous row's 2");
  EXPECT_EQ(message_of("t_s,bandwidth_kbps\n"), "t.csv: line 2: the trace has no rows");
  EXPECT_EQ(message_of(""), "t.csv: line 1: the file is empty (expected the header "
                            "'t_s,bandwidth_kbps')");
  EXPECT_NE(message_of("time,bw\n0,1\n").find("line 1: expected the header"), std::string::npos);
  EXPECT_NE(message_of("t_s,bandwidth_kbps\n0,1,2\n").find("line 2"), std::string::npos);
  EXPECT_NE(message_of("t_s,bandwidth_kbps\n-1,1\n").find("line 2: t_s -1 is negative"),
            std::string::npos);
  EXPECT_NE(message_of("t_s,bandwidth_kbps\n0,nan\n").find("line 2"), std::string::npos);
  EXPECT_NE(message_of("t_s,bandwidth_kbps\n0,1\n\n1,2\n").find("line 4"), std::string::npos);
}

TEST(Trace, HugeTimesAndBandwidthsAreRefusedSoMeansStayFinite) {
  // Found by tests/fuzz trace_fuzz: a last row at 1e308 s made end_s infinite and the mean
  // 0 x inf = NaN.
  EXPECT_EQ(message_of("t_s,bandwidth_kbps\n0.30,00.0\n1e308,0"),
            "t.csv: line 3: t_s 1e+308 is beyond 1000000000 s");
  EXPECT_NE(message_of("t_s,bandwidth_kbps\n0,1e300\n").find("line 2: bandwidth_kbps 1e+300"),
            std::string::npos);
  EXPECT_THROW(parse_trace("t_s,bandwidth_kbps\n0,1e11\n", "t.csv", 100), SchemaError);
}

TEST(Trace, LastSampleHoldsForAMomentEvenBelowTheTimeResolution) {
  // Median spacing 1e-300 s, last row at 1e9 s: 1e9 + 1e-300 == 1e9 in doubles.
  const Trace t = parse_trace("t_s,bandwidth_kbps\n0,1\n1e-300,2\n2e-300,3\n1e9,4\n", "t.csv");
  EXPECT_GT(t.end_s, t.t_s.back());
  EXPECT_GT(t.duration_s(), 0);
  EXPECT_TRUE(std::isfinite(t.mean_kbps()));
}

TEST(Trace, BinningAFewRowsSpanningMonthsIsRefusedNotGigabytes) {
  // Found by tests/fuzz trace_fuzz (a timeout): two rows 8e6 s apart asked for 1.6e7 bins.
  const Trace t = parse_trace("t_s,bandwidth_kbps\n0.60,0\n8040e+3,015\n", "t.csv");
  EXPECT_THROW(t.binned(1.0), DataError);
  EXPECT_EQ(t.binned(10.0).size(), 1608000U);
}

TEST(Trace, ScaleMustBePositive) {
  EXPECT_THROW(parse_trace("t_s,bandwidth_kbps\n0,1\n", "t.csv", 0), UsageError);
}

TEST(Trace, ExpandsDirectoriesAndGlobs) {
  namespace fs = std::filesystem;
  const testing::TempDir tmp("trace-expand");
  const fs::path& dir = tmp.path();
  fs::create_directories(dir / "sub");
  for (const char* name : {"b.csv", "a.csv", "index.csv", "sub/c.csv", "note.txt"}) {
    std::ofstream(dir / name) << "t_s,bandwidth_kbps\n0,1\n";
  }
  const auto all = expand_trace_paths({dir.string()});
  ASSERT_EQ(all.size(), 3U);
  EXPECT_EQ(fs::path(all[0]).filename(), "a.csv");
  EXPECT_EQ(fs::path(all[2]).filename(), "c.csv");
  EXPECT_EQ(expand_trace_paths({(dir / "*.csv").string()}).size(), 3U); // glob keeps index.csv
  EXPECT_THROW(expand_trace_paths({(dir / "*.nothing").string()}), UsageError);
}

TEST(Trace, ReadsEverySharedTrace) {
  const std::string root = EDGENT_SHARED_DIR "/traces";
  if (!std::filesystem::is_directory(root)) {
    GTEST_SKIP() << "no shared traces at " << root;
  }
  const auto paths = expand_trace_paths({root});
  EXPECT_GE(paths.size(), 40U);
  for (const auto& p : paths) {
    const Trace t = read_trace(p);
    EXPECT_GT(t.duration_s(), 0) << p;
    EXPECT_GE(t.mean_kbps(), 0) << p;
  }
}

} // namespace
} // namespace edgent::data
