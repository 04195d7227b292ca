#pragma once

#include <optional>
#include <string>

namespace edgent::emulate {

/// The CPU quota in force for this process, in CPUs (cgroup v1 cfs_quota/cfs_period or
/// v2 cpu.max of the process's own cgroup); nothing when unlimited or unknown.
std::optional<double> current_cpu_quota();

/// Moves this process into a cgroup `edgent-<name>` limited to @p cpus CPUs (0 < cpus),
/// on cgroup v1 (`cpu.cfs_quota_us`) or v2 (`cpu.max`), whichever the machine has.
/// Needs root (or a delegated cgroup). Throws ConfigError with what failed and how to fix it.
/// The quota is enforced in short periods (1 ms of CPU every 1/cpus ms). Returns the cgroup
/// directory.
std::string enter_cpu_quota(double cpus, const std::string& name);

/// The enforcement period of the quota in force, in ms; nothing when unlimited or unknown.
std::optional<double> current_quota_period_ms();

/// Moves this process back to the root cgroup and removes @p dir when empty; errors ignored.
void leave_cpu_quota(const std::string& dir);

/// Runs the enclosing scope under a CPU quota (enter_cpu_quota on construction when @p cpus is
/// set, leave_cpu_quota on destruction); does nothing without a quota.
class CpuQuotaScope {
public:
  CpuQuotaScope(std::optional<double> cpus, const std::string& name);
  ~CpuQuotaScope();
  CpuQuotaScope(const CpuQuotaScope&) = delete;
  CpuQuotaScope& operator=(const CpuQuotaScope&) = delete;

private:
  std::string m_dir;
};

} // namespace edgent::emulate
