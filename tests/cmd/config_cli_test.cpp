// --config FILE on every tool (lib/cli/common_options.cpp): options read from a TOML file
// give the same artifact as on the command line, the command line wins, and a key that names
// no option, or a file that does not exist, is a usage error naming it.
#include "support/golden.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>

namespace edgent::testing {
namespace {

namespace fs = std::filesystem;

const std::string kData = EDGENT_TEST_DATA_DIR "/plan/";

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

TEST(ConfigFile, PlanFromAFileEqualsPlanFromTheCommandLine) {
  const TempDir dir("config");
  std::ofstream(dir.file("plan.toml"))
      << "# edgent-plan settings\n"
      << "model = \"" << kData << "model.json\"\n"
      << "accuracy = \"" << kData << "accuracy.json\"\n"
      << "device-fit = \"" << kData << "device_fit.json\"\n"
      << "edge-fit = \"" << kData << "edge_fit.json\"\n"
      << "bandwidth = 2000\nrtt = 10\ndeadline = 40\nquiet = true\n";
  RunOptions pinned;
  pinned.env = {{"EDGENT_PIN_GENERATOR", "1"}};
  const RunResult from_file =
      run_tool("edgent-plan", "--config " + dir.file("plan.toml") + " -o " + dir.file("a.json"),
               pinned);
  ASSERT_EQ(from_file.code, 0) << from_file.err;
  EXPECT_EQ(from_file.err, "");
  const RunResult from_args = run_tool(
      "edgent-plan",
      "--model " + kData + "model.json --accuracy " + kData + "accuracy.json --device-fit " +
          kData + "device_fit.json --edge-fit " + kData + "edge_fit.json --bandwidth 2000 " +
          "--rtt 10 --deadline 40 --quiet -o " + dir.file("b.json"),
      pinned);
  ASSERT_EQ(from_args.code, 0) << from_args.err;
  EXPECT_TRUE(json_differences(read_json(dir.file("a.json")), read_json(dir.file("b.json"))).empty());

  // The command line wins over the file.
  const RunResult wins = run_tool("edgent-plan", "--config " + dir.file("plan.toml") +
                                                     " --bandwidth 100 -o " + dir.file("c.json"));
  ASSERT_TRUE(wins.code == 0 || wins.code == 3) << wins.err;
  EXPECT_EQ(read_json(dir.file("c.json"))["bandwidth_kbps"], 100.0);
}

TEST(ConfigFile, AnUnknownKeyIsAUsageErrorNamingIt) {
  const TempDir dir("config");
  const std::string config = dir.file("bad.toml");
  std::ofstream(config) << "quiet = true\nno-such-key = 3\n";
  for (const char* tool : {"edgent-fit", "edgent-plan", "edgent-mapbuild", "edgent-profile",
                           "edgent-serve", "edgent-infer", "edgent-eval", "edgent-train"}) {
    if (!fs::exists(tool_path(tool))) {
      continue;  // edgent-train is built with libtorch only
    }
    const RunResult r = run_tool(tool, "--config " + config);
    EXPECT_EQ(r.code, 2) << tool << ": " << r.err;
    EXPECT_NE(r.err.find(std::string(tool) + ": error: " + config + ": unknown key 'no-such-key'"),
              std::string::npos)
        << tool << ": " << r.err;
  }
}

TEST(ConfigFile, ASubcommandsKeysLiveInItsSection) {
  const TempDir dir("config");
  std::ofstream(dir.file("bad.toml")) << "[evaluate]\nno-such-key = 1\n";
  const RunResult r = run_tool("edgent-mapbuild", "evaluate --config " + dir.file("bad.toml"));
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("no-such-key"), std::string::npos) << r.err;
}

TEST(ConfigFile, AMissingFileIsAUsageError) {
  const TempDir dir("config");
  const RunResult r = run_tool("edgent-plan", "--config " + dir.file("none.toml"));
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find(dir.file("none.toml")), std::string::npos) << r.err;
}

} // namespace
} // namespace edgent::testing
