// The real tools as a careless user runs them: -o onto a device, a FIFO or a symbolic link;
// a model card whose ONNX is not the one it describes; option values at the edges of their
// types; an output directory that does not exist; a token file that cannot be read. Each
// checks the exit code and that the message names what is wrong.
#include "core/artifact.hpp"
#include "core/file_io.hpp"
#include "model/model_card.hpp"
#include "model/onnx_graph.hpp"
#include "model/partition.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;

const std::string kCard = std::string(EDGENT_SOURCE_DIR) + "/models/branchy-alexnet-fmnist.json";
const std::string kPlanData = EDGENT_TEST_DATA_DIR "/plan/";
const std::string kPlanArgs = " --model " + kPlanData + "model.json --accuracy " + kPlanData +
                              "accuracy.json --device-fit " + kPlanData +
                              "device_fit.json --edge-fit " + kPlanData +
                              "edge_fit.json --bandwidth 2000 --rtt 10 --deadline 40";

using Outcome = edgent::testing::RunResult;

class HardeningCli : public ::testing::Test {
protected:
  /// Runs `<tool> <args>` with stdin from @p options, stderr captured.
  Outcome run(const std::string& tool, const std::string& args,
              const edgent::testing::RunOptions& options = {}) const {
    return edgent::testing::run_tool(tool, args, options);
  }
  std::string path(const std::string& name) const { return m_dir.file(name); }
  static std::string slurp(const std::string& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  /// No temporary file is left in the test directory.
  void expect_no_temporary() const {
    for (const auto& e : fs::recursive_directory_iterator(m_dir.path())) {
      EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos)
          << e.path() << " left behind";
    }
  }
  /// The default model's card with its ONNX named by absolute path, and onnx_sha256 wrong.
  std::string card_with_wrong_sha() const {
    std::ifstream in(kCard);
    nlohmann::json card = nlohmann::json::parse(in);
    card["onnx"] = (fs::path(kCard).parent_path() / card["onnx"].get<std::string>()).string();
    card["onnx_sha256"] = std::string(64, '0');
    std::ofstream(path("card.json")) << card.dump(1);
    return path("card.json");
  }

  edgent::testing::TempDir m_dir{"hardening-cli"};
};

char file_type(const std::string& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) {
    return '-';
  }
  return S_ISREG(st.st_mode) ? 'f' : S_ISLNK(st.st_mode) ? 'l' : S_ISFIFO(st.st_mode) ? 'p'
         : S_ISCHR(st.st_mode) ? 'c' : '?';
}

TEST_F(HardeningCli, OutputOntoADeviceAFifoOrASymlinkKeepsWhatItIs) {
  // A private null device needs root (as `sudo edgent-profile -o /dev/null` would be).
  const std::string null = path("mynull");
  if (::mknod(null.c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0) {
    const Outcome r = run("edgent-plan", kPlanArgs + " -o " + null);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(file_type(null), 'c') << "the device is still a device";
  }
  // A FIFO is written through to its reader.
  const std::string fifo = path("f.fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string through;
  std::thread reader([&] { through = edgent::read_file(fifo); });
  const Outcome r = run("edgent-plan", kPlanArgs + " -o " + fifo);
  reader.join();
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(file_type(fifo), 'p');
  EXPECT_EQ(nlohmann::json::parse(through)["schema"], "edgent.plan/1");
  // A symbolic link keeps pointing at its target, which gets the plan.
  edgent::write_file_atomic(path("t.json"), "{}\n");
  ASSERT_EQ(::symlink("t.json", path("l.json").c_str()), 0);
  const Outcome l = run("edgent-plan", kPlanArgs + " -o " + path("l.json"));
  EXPECT_EQ(l.code, 0) << l.err;
  EXPECT_EQ(file_type(path("l.json")), 'l');
  EXPECT_EQ(nlohmann::json::parse(slurp(path("t.json")))["schema"], "edgent.plan/1");
  expect_no_temporary();
}

TEST_F(HardeningCli, EveryToolChecksTheCardsOnnxSha256) {
  const std::string card = card_with_wrong_sha();
  const std::string want = card + ": onnx_sha256: ";
  for (const auto& [tool, args] : std::vector<std::pair<std::string, std::string>>{
           // An address it cannot bind: whatever happens, the server never serves for long.
           {"edgent-serve", "-m " + card + " --port 0 --bind not-an-address"},
           {"edgent-eval", "--model " + card + " --data /nonexistent -o " + path("a.json")},
           {"edgent-profile", "-m " + card + " --no-sweep -o " + path("p.json")},
           {"edgent-infer", "--model " + card + " --plan " + kPlanData + "model.json --tensors " +
                                path("none.f32")}}) {
    const Outcome r = run(tool, args);
    EXPECT_EQ(r.code, 2) << tool << ": " << r.err;
    EXPECT_NE(r.err.find(want), std::string::npos) << tool << ": " << r.err;
    EXPECT_EQ(r.err.find("model_sha256"), std::string::npos) << tool << ": " << r.err;
  }
}

TEST_F(HardeningCli, NonFiniteAndZeroOptionValuesGetAPlainMessage) {
  const std::string base = "--model " + kCard + " --plan " + path("p.json") + " --tensors " +
                           path("t.f32") + " ";
  for (const std::string bad : {"--deadline inf", "--deadline nan", "--rtt nan", "--rtt inf",
                                "--rtt -1", "--bandwidth inf"}) {
    const Outcome r = run("edgent-infer", base + bad);
    EXPECT_EQ(r.code, 2) << bad << ": " << r.err;
    EXPECT_NE(r.err.find("must be a finite number"), std::string::npos) << bad << ": " << r.err;
    EXPECT_EQ(r.err.find("At Most"), std::string::npos) << bad << ": " << r.err;
  }
  const Outcome plan = run("edgent-plan", kPlanArgs + " --rtt nan");
  EXPECT_EQ(plan.code, 2) << plan.err;
  EXPECT_NE(plan.err.find("must be a finite number"), std::string::npos) << plan.err;
  const Outcome zero = run("edgent-infer", base + "--count 0");
  EXPECT_EQ(zero.code, 2) << zero.err;
  EXPECT_NE(zero.err.find("must be a whole number greater than 0, got '0'"), std::string::npos)
      << zero.err;
  EXPECT_LT(zero.err.size(), 300u) << "no 309-digit range: " << zero.err;
  const Outcome slow = run("edgent-infer", base + "--rate 1e-9");
  EXPECT_EQ(slow.code, 2) << slow.err;
  EXPECT_NE(slow.err.find("must be a number from 0.001 to"), std::string::npos) << slow.err;
  EXPECT_NE(slow.err.find("got '1e-9'"), std::string::npos) << slow.err;
}

TEST_F(HardeningCli, ImplausibleFitCoefficientsAreBlamedOnTheFit) {
  std::ifstream in(kPlanData + "edge_fit.json");
  nlohmann::json fit = nlohmann::json::parse(in);
  fit["models"]["conv"]["coef"] = {1e308};
  std::ofstream(path("edge_fit.json")) << fit.dump(1);
  const Outcome r = run("edgent-plan", " --model " + kPlanData + "model.json --device-fit " +
                                           kPlanData + "device_fit.json --edge-fit " +
                                           path("edge_fit.json") + " --bandwidth 100 --deadline 40");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find(path("edge_fit.json") + ": models.conv: "), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("model.json"), std::string::npos) << r.err;
}

TEST_F(HardeningCli, AModelFromAnEmptyStandardInputIsAUsageError) {
  const Outcome r = run("edgent-profile", "-m - --no-sweep -o " + path("p.json"));
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("<stdin>: standard input is empty"), std::string::npos) << r.err;
  // A card on standard input is read as one.
  std::ifstream in(kCard);
  nlohmann::json card = nlohmann::json::parse(in);
  card["onnx"] = (fs::path(kCard).parent_path() / card["onnx"].get<std::string>()).string();
  card["onnx_sha256"] = std::string(64, '0');
  std::ofstream(path("card.json")) << card.dump(1);
  edgent::testing::RunOptions from_card;
  from_card.input_file = path("card.json");
  const Outcome c = run("edgent-profile", "-m - --no-sweep -o " + path("p.json"), from_card);
  EXPECT_EQ(c.code, 2) << c.err;
  EXPECT_NE(c.err.find("<stdin>: onnx_sha256: "), std::string::npos) << c.err;
}

TEST_F(HardeningCli, OutputPathsAreCheckedBeforeTheWorkStarts) {
  {
    std::ofstream t(path("in.f32"), std::ios::binary);
    t << std::string(3 * 28 * 28 * 4, '\0');
  }
  // A device-only plan of exit 1: without the check, the requests would run.
  const auto card = edgent::model::read_model_card(kCard);
  const auto graph = edgent::model::OnnxGraph::from_file(edgent::model::onnx_path(card, kCard));
  const int n = edgent::model::analyse(*graph).exit(1).size();
  const nlohmann::json plan = {
      {"strategy", "device-only"}, {"feasible", true}, {"deadline_ms", 1000.0},
      {"bandwidth_kbps", 1000.0}, {"up_kbps", 1000.0}, {"down_kbps", 1000.0}, {"rtt_ms", 1.0},
      {"edge_queue_ms", 0.0}, {"model_sha256", card.onnx_sha256}, {"accuracy_known", true},
      {"plan", {{"exit", 1}, {"cut", n}, {"order", "device-first"}, {"codec", "none"},
                {"accuracy", 0.8}}},
      {"predicted", {{"device_ms", 1.0}, {"edge_ms", 0.0}, {"up_ms", 0.0}, {"down_ms", 0.0},
                     {"total_ms", 1.0}}},
      {"reward", 1.0}};
  edgent::write_artifact(path("plan.json"), plan, "plan", "edgent-plan");
  const std::string args = "--model " + kCard + " --plan " + path("plan.json") + " --tensors " +
                           path("in.f32") + " --rate 1 ";
  const auto start = std::chrono::steady_clock::now();
  const Outcome s = run("edgent-infer", args + "-o " + path("r.jsonl") + " --summary " +
                                            path("nodir/s.json"));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(s.code, 1) << s.err;
  EXPECT_NE(s.err.find(path("nodir/s.json") + ": "), std::string::npos) << s.err;
  EXPECT_FALSE(fs::exists(path("r.jsonl"))) << "no request ran";
  EXPECT_LT(seconds, 2.0) << "three requests at 1/s would take 2 s";
  const Outcome o = run("edgent-infer", args + "-o " + path("nodir/r.jsonl"));
  EXPECT_EQ(o.code, 1) << o.err;
  EXPECT_NE(o.err.find(path("nodir/r.jsonl") + ": "), std::string::npos) << o.err;
  // Every tool's -o is checked before its work, here edgent-plan's.
  const Outcome p = run("edgent-plan", kPlanArgs + " -o " + path("nodir/plan.json"));
  EXPECT_EQ(p.code, 1) << p.err;
  EXPECT_NE(p.err.find(path("nodir/plan.json") + ": "), std::string::npos) << p.err;
  expect_no_temporary();
}

TEST_F(HardeningCli, AnUnreadableTokenFileIsNamed) {
  const Outcome r = run("edgent-serve", "-m " + kCard +
                                          " --port 0 --bind not-an-address --token-file /proc/self/mem");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("edgent-serve: error: /proc/self/mem: read failed"), std::string::npos)
      << r.err;
}

} // namespace
