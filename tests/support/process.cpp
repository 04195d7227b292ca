#include "support/process.hpp"

#include "support/temp_dir.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace edgent::testing {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// The inherited environment with @p extra set.
std::vector<std::string> environment(const std::vector<std::pair<std::string, std::string>>& extra) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const auto eq = entry.find('=');
    vars[entry.substr(0, eq)] = eq == std::string::npos ? "" : entry.substr(eq + 1);
  }
  for (const auto& [name, value] : extra) {
    vars[name] = value;
  }
  std::vector<std::string> out;
  for (const auto& [name, value] : vars) {
    out.push_back(name + "=" + value);
  }
  return out;
}

int exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

} // namespace

std::string tool_path(const std::string& tool) { return std::string(EDGENT_BIN_DIR) + "/" + tool; }

std::string edge_tool_path(const std::string& tool) {
  return std::string(EDGENT_EDGE_BIN_DIR) + "/" + tool;
}

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') {
      ++i;
    }
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ') {
      ++j;
    }
    if (j > i) {
      out.emplace_back(text.substr(i, j - i));
    }
    i = j;
  }
  return out;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::string& stderr_path,
                           const std::string& stdout_path, const RunOptions& options) {
  if (argv.empty()) {
    throw std::runtime_error("no command to run");
  }
  std::vector<std::string> args = argv;
  std::vector<char*> cargv;
  for (auto& a : args) {
    cargv.push_back(a.data());
  }
  cargv.push_back(nullptr);
  std::vector<std::string> env = environment(options.env);
  std::vector<char*> cenv;
  for (auto& e : env) {
    cenv.push_back(e.data());
  }
  cenv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string input = options.input_file.empty() ? "/dev/null" : options.input_file;
  posix_spawn_file_actions_addopen(&actions, 0, input.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  const int rc = posix_spawn(&m_pid, cargv[0], &actions, nullptr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    m_pid = -1;
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
}

ChildProcess::~ChildProcess() {
  if (m_pid > 0 && !try_wait()) {
    ::kill(m_pid, SIGKILL);
    wait();
  }
}

std::optional<int> ChildProcess::try_wait() {
  if (!m_status && m_pid > 0) {
    int status = 0;
    if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
      m_status = status;
    }
  }
  return m_status;
}

int ChildProcess::wait() {
  if (!m_status && m_pid > 0) {
    int status = 0;
    while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
    }
    m_status = status;
  }
  return m_status ? exit_code(*m_status) : -1;
}

std::optional<int> ChildProcess::signal_and_wait(int sig, std::chrono::milliseconds timeout) {
  if (!try_wait()) {
    ::kill(m_pid, sig);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (const auto status = try_wait()) {
      return WIFEXITED(*status) ? std::optional<int>(WEXITSTATUS(*status)) : std::nullopt;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

int ChildProcess::stop(std::chrono::milliseconds grace) {
  if (const auto code = signal_and_wait(SIGTERM, grace)) {
    return *code;
  }
  if (!try_wait()) {
    ::kill(m_pid, SIGKILL);
  }
  return wait();
}

RunResult run_command(const std::vector<std::string>& argv, const RunOptions& options) {
  TempDir dir("run");
  RunOptions with_input = options;
  if (with_input.input_file.empty() && with_input.input) {
    with_input.input_file = dir.file("stdin");
    std::ofstream(with_input.input_file, std::ios::binary) << *with_input.input;
  }
  ChildProcess child(argv, dir.file("stderr"), dir.file("stdout"), with_input);
  child.wait();
  RunResult r;
  const int status = *child.try_wait();
  r.code = exit_code(status);
  r.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  r.out = slurp(dir.file("stdout"));
  r.err = slurp(dir.file("stderr"));
  return r;
}

RunResult run_tool(const std::string& tool, const std::vector<std::string>& args,
                   const RunOptions& options) {
  std::vector<std::string> argv{tool_path(tool)};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, options);
}

RunResult run_tool(const std::string& tool, std::string_view args, const RunOptions& options) {
  return run_tool(tool, words(args), options);
}

} // namespace edgent::testing
