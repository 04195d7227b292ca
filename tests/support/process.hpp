#pragma once

// Running the real tool binaries: one call that captures a run, and a child process for runs
// that a test signals or overlaps with others. Arguments go to execve as they are: no shell,
// so nothing in them is quoted, globbed or redirected.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edgent::testing {

/// The path of tool @p tool (e.g. "edgent-plan") in the build tree.
std::string tool_path(const std::string& tool);

/// The path of the edge's tool @p tool (edgent-serve): the build tree's, or in a cross-build the
/// native build's (EDGENT_EDGE_BIN_DIR), so that the device under test talks to a real edge.
std::string edge_tool_path(const std::string& tool);

/// @p text split at runs of spaces, for literal option strings such as "--rtt 10 -o x.json";
/// a path with a space in it must be passed as an element of its own instead.
std::vector<std::string> words(std::string_view text);

/// What a finished run gave back.
struct RunResult {
  int code = -1;    ///< the exit code; -1 when the child died of a signal
  int signal = 0;   ///< the signal that ended the child, else 0
  std::string out;  ///< everything written to stdout
  std::string err;  ///< everything written to stderr
};

/// How to run: standard input and extra environment.
struct RunOptions {
  /// The bytes on standard input; nullopt = /dev/null.
  std::optional<std::string> input;
  /// Standard input from this file instead (wins over @c input when not empty).
  std::string input_file;
  /// NAME=value pairs added to (or replacing in) the inherited environment.
  std::vector<std::pair<std::string, std::string>> env;
};

/// Runs @p argv (argv[0] a path) to completion and captures its exit code, stdout and stderr.
RunResult run_command(const std::vector<std::string>& argv, const RunOptions& options = {});

/// Runs tool @p tool from the build tree with @p args.
RunResult run_tool(const std::string& tool, const std::vector<std::string>& args,
                   const RunOptions& options = {});
/// Runs tool @p tool with @p args split by words().
RunResult run_tool(const std::string& tool, std::string_view args, const RunOptions& options = {});

/// A started child process; killed (SIGKILL) and reaped on destruction if it still runs.
class ChildProcess {
public:
  /// Starts @p argv with stdin from /dev/null, stdout to @p stdout_path and stderr to
  /// @p stderr_path (files created or truncated); throws std::runtime_error when it cannot.
  ChildProcess(const std::vector<std::string>& argv, const std::string& stderr_path,
               const std::string& stdout_path = "/dev/null", const RunOptions& options = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  /// The child's process id (for kill, /proc and prlimit).
  pid_t pid() const { return m_pid; }
  /// The wait status once the child has exited (reaping it), else nullopt; never blocks.
  std::optional<int> try_wait();
  /// Waits for the child; its exit code, or -1 when it died of a signal.
  int wait();
  /// Sends @p sig and waits up to @p timeout; the exit code, or nullopt when the child did not
  /// exit in time or died of a signal.
  std::optional<int> signal_and_wait(int sig, std::chrono::milliseconds timeout);
  /// Sends SIGTERM, waits up to @p grace, then SIGKILL; the exit code, or -1.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

private:
  pid_t m_pid = -1;
  std::optional<int> m_status;
};

} // namespace edgent::testing
