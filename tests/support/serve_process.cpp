#include "support/serve_process.hpp"

#include <sys/wait.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace edgent::testing {

ServeProcess::ServeProcess(const std::vector<std::string>& args, std::uint16_t port) {
  std::vector<std::string> argv{edge_tool_path("edgent-serve"), "--port", std::to_string(port),
                                "--port-file", m_dir.file("port")};
  argv.insert(argv.end(), args.begin(), args.end());
  m_child = std::make_unique<ChildProcess>(argv, m_dir.file("stderr"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(m_dir.file("port"));
    unsigned value = 0;
    if (in >> value && value > 0 && value < 65536) {
      m_port = static_cast<std::uint16_t>(value);
      return;
    }
    if (const auto status = m_child->try_wait()) {
      throw std::runtime_error("edgent-serve exited (status " + std::to_string(*status) +
                               ") before listening: " + log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  m_child.reset();
  throw std::runtime_error("edgent-serve wrote no port file within 30 s: " + log());
}

ServeProcess::~ServeProcess() {
  if (m_child) {
    stop(std::chrono::seconds(5));
  }
}

std::string ServeProcess::url() const { return "http://127.0.0.1:" + std::to_string(m_port); }

std::optional<int> ServeProcess::signal_and_wait(int sig, std::chrono::milliseconds timeout) {
  return m_child->signal_and_wait(sig, timeout);
}

int ServeProcess::stop(std::chrono::milliseconds grace) { return m_child->stop(grace); }

std::string ServeProcess::log() const {
  std::ifstream in(m_dir.file("stderr"));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

} // namespace edgent::testing
