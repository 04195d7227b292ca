// The real tools as a careless user runs them: -o onto a device, a FIFO or a symbolic link;
// a token file that cannot be read. Each checks the exit code and what became of the output,
// or that the message names what is wrong.
#include "core/file_io.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;

const std::string kBin = EDGENT_BIN_DIR;
const std::string kCard = std::string(EDGENT_SOURCE_DIR) + "/models/branchy-alexnet-fmnist.json";
const std::string kPlanData = EDGENT_TEST_DATA_DIR "/plan/";
const std::string kPlanArgs = " --model " + kPlanData + "model.json --accuracy " + kPlanData +
                              "accuracy.json --device-fit " + kPlanData +
                              "device_fit.json --edge-fit " + kPlanData +
                              "edge_fit.json --bandwidth 2000 --rtt 10 --deadline 40";

struct Outcome {
  int code = -1;
  std::string err;
};

class HardeningCli : public ::testing::Test {
protected:
  void SetUp() override {
    m_dir = fs::temp_directory_path() /
            ("edgent_hardening_cli_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(m_dir);
    fs::create_directories(m_dir);
  }
  void TearDown() override { fs::remove_all(m_dir); }

  /// Runs `<tool> <args>` through the shell (so @p args may redirect), stderr captured.
  Outcome run(const std::string& tool, const std::string& args) const {
    const std::string err = path("stderr.txt");
    const std::string cmd = kBin + "/" + tool + " " + args + " 2>" + err;
    const int status = std::system(cmd.c_str());
    Outcome r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = slurp(err);
    fs::remove(err);
    return r;
  }
  std::string path(const std::string& name) const { return (m_dir / name).string(); }
  static std::string slurp(const std::string& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  /// No temporary file is left in the test directory.
  void expect_no_temporary() const {
    for (const auto& e : fs::recursive_directory_iterator(m_dir)) {
      EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos)
          << e.path() << " left behind";
    }
  }

  fs::path m_dir;
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

TEST_F(HardeningCli, AnUnreadableTokenFileIsNamed) {
  const Outcome r = run("edgent-serve", "-m " + kCard +
                                          " --port 0 --bind not-an-address --token-file /proc/self/mem");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("edgent-serve: error: /proc/self/mem: read failed"), std::string::npos)
      << r.err;
}

} // namespace
