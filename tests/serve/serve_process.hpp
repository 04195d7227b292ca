#pragma once

// The real edgent-serve binary as a child process, for integration tests over loopback.

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <spawn.h>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace edgent::serve_test {

/// A private temporary directory, removed on destruction.
class TempDir {
public:
  TempDir() {
    static int counter = 0;
    m_path = std::filesystem::temp_directory_path() /
             ("edgent_serve_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(m_path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (m_path / name).string(); }

private:
  std::filesystem::path m_path;
};

/// `edgent-serve --port 0 --port-file F <args>` spawned with posix_spawn; the constructor
/// waits (up to 30 s) for the port file, the destructor kills (SIGKILL) and reaps the child
/// if it still runs. stderr goes to a log file in a private temporary directory.
class ServeProcess {
public:
  explicit ServeProcess(const std::vector<std::string>& args) {
    std::vector<std::string> argv{std::string(EDGENT_BIN_DIR) + "/edgent-serve", "--port", "0",
                                  "--port-file", m_dir.file("port")};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (auto& a : argv) {
      cargv.push_back(a.data());
    }
    cargv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, m_dir.file("stderr").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    const int rc = posix_spawn(&m_pid, cargv[0], &actions, nullptr, cargv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      m_pid = -1;
      throw std::runtime_error("cannot spawn " + argv[0]);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      std::ifstream in(m_dir.file("port"));
      unsigned port = 0;
      if (in >> port && port > 0 && port < 65536) {
        m_port = static_cast<std::uint16_t>(port);
        return;
      }
      if (const auto status = try_reap()) {
        throw std::runtime_error("edgent-serve exited (status " + std::to_string(*status) +
                                 ") before listening: " + log());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("edgent-serve wrote no port file within 30 s: " + log());
  }

  ~ServeProcess() {
    if (m_pid > 0 && !m_exit) {
      ::kill(m_pid, SIGKILL);
      int status = 0;
      ::waitpid(m_pid, &status, 0);
    }
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  std::uint16_t port() const { return m_port; }
  /// The child's process id (for /proc and prlimit).
  pid_t pid() const { return m_pid; }

  /// Sends @p sig and waits up to @p timeout for the child to exit; its exit code, or
  /// nullopt when it did not exit in time or died of a signal.
  std::optional<int> signal_and_wait(int sig, std::chrono::milliseconds timeout) {
    ::kill(m_pid, sig);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (const auto status = try_reap()) {
        return WIFEXITED(*status) ? std::optional<int>(WEXITSTATUS(*status)) : std::nullopt;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::nullopt;
  }

  /// What the child wrote to stderr so far.
  std::string log() const {
    std::ifstream in(m_dir.file("stderr"));
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }

private:
  /// The wait status once the child has exited (reaping it), else nullopt.
  std::optional<int> try_reap() {
    if (m_exit) {
      return m_exit;
    }
    int status = 0;
    const pid_t r = ::waitpid(m_pid, &status, WNOHANG);
    if (r == m_pid) {
      m_exit = status;
    }
    return m_exit;
  }

  TempDir m_dir;
  pid_t m_pid = -1;
  std::uint16_t m_port = 0;
  std::optional<int> m_exit;
};

} // namespace edgent::serve_test
