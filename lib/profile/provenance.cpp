#include "profile/provenance.hpp"

#include "emulate/cpu_quota.hpp"

#include <opencv2/core.hpp>

#include <chrono>
#include <ctime>
#include <fstream>
#include <thread>

#include <sched.h>
#include <unistd.h>

namespace edgent::profile {

namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) {
        return line.substr(line.find_first_not_of(' ', colon + 1));
      }
    }
  }
  return "unknown";
}

int usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof(set), &set) == 0) {
    return CPU_COUNT(&set);
  }
  return static_cast<int>(std::thread::hardware_concurrency());
}

} // namespace

std::string rfc3339_now() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Provenance collect_provenance(const std::string& model_sha256) {
  Provenance p;
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  p.host = host;
  p.cpu_model = cpu_model();
  p.cores = usable_cores();
  p.threads = cv::getNumThreads();
  p.cpu_quota = emulate::current_cpu_quota();
  p.opencv = CV_VERSION;
  p.model_sha256 = model_sha256;
  p.time = rfc3339_now();
  return p;
}

nlohmann::json to_json(const Provenance& p) {
  return nlohmann::json{{"host", p.host},
                        {"cpu_model", p.cpu_model},
                        {"cores", p.cores},
                        {"threads", p.threads},
                        {"cpu_quota", p.cpu_quota ? nlohmann::json(*p.cpu_quota) : nlohmann::json()},
                        {"opencv", p.opencv},
                        {"model_sha256", p.model_sha256},
                        {"time", p.time}};
}

} // namespace edgent::profile
