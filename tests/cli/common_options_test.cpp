#include "cli/common_options.hpp"

#include "core/error.hpp"
#include "core/log.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace edgent::cli {
namespace {

struct Result {
  int code;
  std::string out;
  std::string err;
};

/// Runs a small tool with an --input and -o option through run_tool.
Result run(std::vector<const char*> args, const std::function<int()>& body,
           std::string* input = nullptr, std::string* output = nullptr,
           CommonOptions* seen = nullptr) {
  args.insert(args.begin(), "edgent-test");
  std::string in_path;
  std::string out_path = "-";
  CommonOptions common;
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  const int code = run_tool(
      "edgent-test", "A tool for the tests", static_cast<int>(args.size()), args.data(), common,
      [&](CLI::App& app) {
        add_input(app, "--input", in_path, "Input profile")->required();
        add_output(app, out_path, "Output plan");
      },
      body);
  Result r{code, ::testing::internal::GetCapturedStdout(), ::testing::internal::GetCapturedStderr()};
  if (input) {
    *input = in_path;
  }
  if (output) {
    *output = out_path;
  }
  if (seen) {
    *seen = common;
  }
  log::set_level(log::Level::normal);
  return r;
}

TEST(RunTool, DashIsAcceptedForInputAndOutput) {
  std::string in;
  std::string out;
  const Result r = run({"--input", "-", "-o", "-"}, [] { return 0; }, &in, &out);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(in, "-");
  EXPECT_EQ(out, "-");
}

TEST(RunTool, OutputDefaultsToStdout) {
  std::string out;
  run({"--input", "p.json"}, [] { return 0; }, nullptr, &out);
  EXPECT_EQ(out, "-");
}

TEST(RunTool, UsageErrorExitsTwoAndNamesTheTool) {
  const Result r = run({"--bogus"}, [] { return 0; });
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("edgent-test: error: ", 0), 0u) << r.err;
  const Result empty = run({"--input", ""}, [] { return 0; });
  EXPECT_EQ(empty.code, 2);
}

TEST(RunTool, LibraryErrorsPrintFileKeyAndExitWithTheirCode) {
  const Result schema = run({"--input", "p.json"}, []() -> int {
    throw SchemaError("must be a number", "p.json", "layers[3].latency_ms");
  });
  EXPECT_EQ(schema.code, 2);
  EXPECT_EQ(schema.err, "edgent-test: error: p.json: layers[3].latency_ms: must be a number\n");

  const Result io = run({"--input", "p.json"}, []() -> int { throw IoError("cannot open", "p.json"); });
  EXPECT_EQ(io.code, 1);
  EXPECT_EQ(io.err, "edgent-test: error: p.json: cannot open\n");

  const Result other = run({"--input", "p.json"}, []() -> int { throw std::runtime_error("boom"); });
  EXPECT_EQ(other.code, 1);
  EXPECT_EQ(other.err, "edgent-test: error: boom\n");
}

TEST(RunTool, ReturnsTheBodysCode) {
  EXPECT_EQ(run({"--input", "x"}, [] { return 3; }).code, 3);
}

TEST(RunTool, HelpAndVersionGoToStdoutAndExitZero) {
  const Result help = run({"--help"}, [] { return 1; });
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("--output"), std::string::npos);
  EXPECT_NE(help.out.find("--quiet"), std::string::npos);
  const Result version = run({"--version"}, [] { return 1; });
  EXPECT_EQ(version.code, 0);
  EXPECT_EQ(version.out.rfind("edgent-test ", 0), 0u) << version.out;
  EXPECT_NE(version.out.find("(git "), std::string::npos);
}

TEST(RunTool, QuietAndVerboseSetTheLogLevel) {
  log::Level during = log::Level::normal;
  CommonOptions common;
  run({"--input", "x", "--quiet"}, [&] { during = log::level(); return 0; }, nullptr, nullptr, &common);
  EXPECT_EQ(during, log::Level::quiet);
  EXPECT_TRUE(common.quiet);
  EXPECT_EQ(common.progress_mode(), Progress::Mode::quiet);
  run({"--input", "x", "-v"}, [&] { during = log::level(); return 0; });
  EXPECT_EQ(during, log::Level::verbose);
}

TEST(Validators, PositiveRejectsZeroAndText) {
  EXPECT_EQ(positive()("1.5"), "");
  EXPECT_NE(positive()("0"), "");
  EXPECT_NE(positive()("-2"), "");
  EXPECT_NE(positive()("fast"), "");
}

} // namespace
} // namespace edgent::cli
