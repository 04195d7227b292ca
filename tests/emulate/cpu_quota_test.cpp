#include "emulate/cpu_quota.hpp"

#include "core/error.hpp"

#include <gtest/gtest.h>

#include <string>

#include <sys/wait.h>
#include <unistd.h>

namespace edgent::emulate {
namespace {

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
} // namespace edgent::emulate
