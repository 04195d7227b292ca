#pragma once

// The real edgent-serve binary as a child process, for integration tests over loopback.

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace edgent::testing {

/// `edgent-serve --port <port> --port-file F <args>`: the constructor waits (up to 30 s) until
/// the port file names the listening port; stop() and the destructor send SIGTERM and kill
/// (SIGKILL) the child if it has not exited within the grace time (5 s for the destructor). stderr goes to a log file in
/// a private temporary directory, stdout to /dev/null.
class ServeProcess {
public:
  /// Starts on a free port (0) with @p args after the port options; throws
  /// std::runtime_error when the server exits or writes no port file in time.
  explicit ServeProcess(const std::vector<std::string>& args, std::uint16_t port = 0);
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  /// The port the server listens on.
  std::uint16_t port() const { return m_port; }
  /// "http://127.0.0.1:<port>".
  std::string url() const;
  /// The child's process id (for /proc and prlimit).
  pid_t pid() const { return m_child->pid(); }
  /// Sends @p sig and waits up to @p timeout; the exit code, or nullopt when the child did not
  /// exit in time or died of a signal.
  std::optional<int> signal_and_wait(int sig, std::chrono::milliseconds timeout);
  /// SIGTERM, then SIGKILL after @p grace; the exit code, or -1 when it was killed.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  /// What the child wrote to stderr so far.
  std::string log() const;

private:
  TempDir m_dir{"serve"};
  std::unique_ptr<ChildProcess> m_child;
  std::uint16_t m_port = 0;
};

} // namespace edgent::testing
