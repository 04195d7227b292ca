#pragma once

// Plain POSIX loopback sockets, for tests that must send what no well-behaved client sends.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace edgent::net::testing {

/// A connected TCP socket to 127.0.0.1:port; closes on destruction.
class RawSocket {
public:
  explicit RawSocket(std::uint16_t port) {
    m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (m_fd < 0 || ::connect(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
    }
  }
  ~RawSocket() {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
  }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      const auto n = ::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        throw std::runtime_error("send failed");
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  /// Reads until the peer closes (returns true) or @p timeout passes (false); @p out gets
  /// everything read.
  bool read_until_closed(std::string& out, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[4096];
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - std::chrono::steady_clock::now())
                            .count();
      if (left <= 0) {
        return false;
      }
      pollfd p{m_fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) {
        continue;
      }
      const auto n = ::recv(m_fd, buf, sizeof buf, 0);
      if (n <= 0) {
        return true;
      }
      out.append(buf, static_cast<std::size_t>(n));
    }
  }

  /// Reads until @p out holds @p marker (returns true), the peer closes or @p timeout passes
  /// (false); @p out gets everything read.
  bool read_until(std::string& out, std::string_view marker, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[4096];
    while (out.find(marker) == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - std::chrono::steady_clock::now())
                            .count();
      if (left <= 0) {
        return false;
      }
      pollfd p{m_fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) {
        continue;
      }
      const auto n = ::recv(m_fd, buf, sizeof buf, 0);
      if (n <= 0) {
        return out.find(marker) != std::string::npos;
      }
      out.append(buf, static_cast<std::size_t>(n));
    }
    return true;
  }

  /// Whether the peer has closed the connection (or reset it) by now, without waiting.
  bool closed_by_peer() {
    pollfd p{m_fd, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) {
      return false;
    }
    char c = 0;
    return ::recv(m_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
  }

private:
  int m_fd = -1;
};

} // namespace edgent::net::testing
