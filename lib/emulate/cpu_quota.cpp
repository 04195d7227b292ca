#include "emulate/cpu_quota.hpp"

#include "core/error.hpp"
#include "core/parse_number.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

namespace edgent::emulate {

namespace {

namespace fs = std::filesystem;

constexpr const char* kV2Root = "/sys/fs/cgroup";
/// The quota is 1 ms of CPU per period of 1 ms / cpus: short periods spread the throttling
/// evenly, so that a few-millisecond inference is slowed as on a slower CPU instead of running
/// at full speed and then stalling for most of a long period.
constexpr long kQuotaUs = 1000;
/// Largest cgroup v1 cpu.shares and v2 cpu.weight.
constexpr long kMaxShares = 262144;
constexpr long kMaxWeight = 10000;

/// The cgroup v1 mount of the cpu controller, or empty.
std::string v1_cpu_mount() {
  for (const char* dir : {"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"}) {
    if (fs::exists(fs::path(dir) / "cpu.cfs_quota_us")) {
      return dir;
    }
  }
  return {};
}

bool v2_available() {
  std::ifstream in(fs::path(kV2Root) / "cgroup.controllers");
  std::string word;
  while (in >> word) {
    if (word == "cpu") {
      return true;
    }
  }
  return false;
}

/// This process's cgroup path for the v1 cpu controller ("cpu" listed) or v2 ("0::").
std::string own_cgroup(bool v2) {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    const auto a = line.find(':');
    const auto b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) {
      continue;
    }
    const std::string controllers = line.substr(a + 1, b - a - 1);
    const std::string path = line.substr(b + 1);
    if (v2 && line.rfind("0::", 0) == 0) {
      return path;
    }
    if (!v2) {
      std::stringstream ss(controllers);
      std::string c;
      while (std::getline(ss, c, ',')) {
        if (c == "cpu") {
          return path;
        }
      }
    }
  }
  return "/";
}

std::string read_first_line(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

void write_value(const fs::path& file, const std::string& value) {
  std::ofstream out(file);
  out << value;
  out.flush();
  if (!out) {
    const int err = errno;
    throw ConfigError(fmt::format("cannot write '{}' to {}: {}{}", value, file.string(),
                                  std::strerror(err),
                                  ::geteuid() != 0 ? " (a CPU quota needs root)" : ""),
                      {}, "--cpu-quota");
  }
}

} // namespace

namespace {

/// {quota, period} in µs of this process's cgroup, when a quota is in force.
std::optional<std::pair<long, long>> quota_and_period() {
  try {
    if (const std::string mount = v1_cpu_mount(); !mount.empty()) {
      const fs::path dir = fs::path(mount) / fs::path(own_cgroup(false)).relative_path();
      const auto quota = parse_integer(read_first_line(dir / "cpu.cfs_quota_us"), 1);
      const auto period = parse_integer(read_first_line(dir / "cpu.cfs_period_us"), 1);
      if (quota && period) {
        return std::make_pair(static_cast<long>(*quota), static_cast<long>(*period));
      }
      return std::nullopt;
    }
    if (v2_available()) {
      const fs::path dir = fs::path(kV2Root) / fs::path(own_cgroup(true)).relative_path();
      std::istringstream in(read_first_line(dir / "cpu.max"));
      std::string quota;
      long period = 0;
      if (in >> quota >> period && quota != "max" && period > 0) {
        if (const auto q = parse_integer(quota)) {
          return std::make_pair(static_cast<long>(*q), period);
        }
      }
    }
  } catch (const std::exception&) {
    // Unreadable or malformed cgroup files: report no quota.
  }
  return std::nullopt;
}

} // namespace

std::optional<double> current_cpu_quota() {
  const auto qp = quota_and_period();
  if (!qp) {
    return std::nullopt;
  }
  return static_cast<double>(qp->first) / static_cast<double>(qp->second);
}

std::optional<double> current_quota_period_ms() {
  const auto qp = quota_and_period();
  if (!qp) {
    return std::nullopt;
  }
  return static_cast<double>(qp->second) / 1000.0;
}

std::string enter_cpu_quota(double cpus, const std::string& name) {
  if (!(cpus > 0) || !std::isfinite(cpus)) {
    throw ConfigError(fmt::format("must be a number of CPUs > 0, got {}", cpus), {}, "--cpu-quota");
  }
  // cgroups accept periods and quotas from 1 ms to 1 s.
  const long period = std::clamp(std::lround(static_cast<double>(kQuotaUs) / cpus), 1000L, 1000000L);
  const long quota = std::max(1000L, std::lround(cpus * static_cast<double>(period)));
  const std::string group = "edgent-" + name;
  std::error_code ec;
  if (const std::string mount = v1_cpu_mount(); !mount.empty()) {
    const fs::path dir = fs::path(mount) / group;
    fs::create_directory(dir, ec);
    if (ec) {
      throw ConfigError(fmt::format("cannot create cgroup {}: {}{}", dir.string(), ec.message(),
                                    ::geteuid() != 0 ? " (a CPU quota needs root)" : ""),
                        {}, "--cpu-quota");
    }
    write_value(dir / "cpu.cfs_period_us", std::to_string(period));
    write_value(dir / "cpu.cfs_quota_us", std::to_string(quota));
    // The quota caps the emulated device; the highest weight makes it a guarantee too, so
    // other work on this machine does not slow the device below its quota.
    write_value(dir / "cpu.shares", std::to_string(kMaxShares));
    write_value(dir / "cgroup.procs", std::to_string(::getpid()));
    return dir.string();
  }
  if (v2_available()) {
    const fs::path dir = fs::path(kV2Root) / group;
    fs::create_directory(dir, ec);
    if (ec) {
      throw ConfigError(fmt::format("cannot create cgroup {}: {}{}", dir.string(), ec.message(),
                                    ::geteuid() != 0 ? " (a CPU quota needs root)" : ""),
                        {}, "--cpu-quota");
    }
    write_value(dir / "cpu.max", fmt::format("{} {}", quota, period));
    write_value(dir / "cpu.weight", std::to_string(kMaxWeight));
    write_value(dir / "cgroup.procs", std::to_string(::getpid()));
    return dir.string();
  }
  throw ConfigError("no cgroup cpu controller found (neither v1 /sys/fs/cgroup/cpu nor v2 "
                    "cpu in /sys/fs/cgroup/cgroup.controllers)",
                    {}, "--cpu-quota");
}

void leave_cpu_quota(const std::string& dir) {
  if (dir.empty()) {
    return;
  }
  const fs::path group(dir);
  std::ofstream(group.parent_path() / "cgroup.procs") << ::getpid();
  std::error_code ec;
  fs::remove(group, ec);
}

CpuQuotaScope::CpuQuotaScope(std::optional<double> cpus, const std::string& name) {
  if (cpus) {
    m_dir = enter_cpu_quota(*cpus, name + "-" + std::to_string(::getpid()));
  }
}

CpuQuotaScope::~CpuQuotaScope() { leave_cpu_quota(m_dir); }

} // namespace edgent::emulate
