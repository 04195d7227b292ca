#include "core/file_io.hpp"

#include "core/error.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace edgent {

namespace {

std::string errno_text() { return std::strerror(errno); }

mode_t current_umask() {
  const mode_t mask = ::umask(0);
  ::umask(mask);
  return mask;
}

} // namespace

std::string display_name(const std::string& path, bool output) {
  if (path == "-") {
    return output ? "<stdout>" : "<stdin>";
  }
  return path;
}

std::string read_file(const std::string& path) {
  if (path == "-") {
    std::ostringstream buffer;
    buffer << std::cin.rdbuf();
    if (std::cin.bad()) {
      throw IoError("cannot read standard input", "<stdin>");
    }
    return buffer.str();
  }
  // POSIX calls rather than a stream: a read error (EIO from /proc/self/mem, a vanished
  // network file) must become an IoError naming the file, not a bare ios_base::failure.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw IoError("cannot open: " + errno_text(), path);
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw IoError("is a directory, expected a file", path);
  }
  std::string data;
  if (S_ISREG(st.st_mode) && st.st_size > 0) {
    data.reserve(static_cast<std::size_t>(st.st_size));
  }
  char chunk[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      const std::string why = errno_text();
      ::close(fd);
      throw IoError("read failed: " + why, path);
    }
    if (n == 0) {
      break;
    }
    data.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return data;
}

namespace {

/// @p path with symbolic links in its last component followed to the final target (which
/// need not exist: a dangling link names the file to create).
std::string follow_links(const std::string& path) {
  std::string current = path;
  for (int hops = 0; hops < 40; ++hops) {
    struct stat st {};
    if (::lstat(current.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) {
      return current;
    }
    std::error_code ec;
    const std::filesystem::path target = std::filesystem::read_symlink(current, ec);
    if (ec) {
      throw IoError("cannot read the symbolic link: " + ec.message(), path);
    }
    current = target.is_absolute()
                  ? target.string()
                  : (std::filesystem::path(current).parent_path() / target).string();
  }
  throw IoError("too many levels of symbolic links", path);
}

/// The directory a new file at @p path goes into ("." for a bare name).
std::filesystem::path parent_dir(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  return dir.empty() ? std::filesystem::path(".") : dir;
}

} // namespace

void check_output_path(const std::string& path) {
  if (path == "-") {
    return;
  }
  const std::string target = follow_links(path);
  struct stat st {};
  if (::stat(target.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      throw IoError("is a directory, expected a file", path);
    }
    return;
  }
  const std::filesystem::path dir = parent_dir(target);
  if (::stat(dir.c_str(), &st) != 0) {
    throw IoError(fmt::format("cannot write into '{}': {}", dir.string(), errno_text()), path);
  }
  if (!S_ISDIR(st.st_mode)) {
    throw IoError(fmt::format("'{}' is not a directory", dir.string()), path);
  }
  if (::access(dir.c_str(), W_OK) != 0) {
    throw IoError(fmt::format("cannot write into '{}': {}", dir.string(), errno_text()), path);
  }
}

AtomicFile::AtomicFile(std::string path) : m_path(std::move(path)) {
  if (m_path == "-") {
    m_stdout = true;
    return;
  }
  m_target = follow_links(m_path);
  struct stat st {};
  const bool exists = ::stat(m_target.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) {
    throw IoError("is a directory, expected a file", m_path);
  }
  if (exists && !S_ISREG(st.st_mode)) {
    // A FIFO, a device or a socket: renaming over it would replace it with a regular file
    // (as root, `-o /dev/null` would replace the system's /dev/null). Write through instead.
    m_fd = ::open(m_target.c_str(), O_WRONLY | O_CLOEXEC);
    if (m_fd < 0) {
      throw IoError("cannot open for writing: " + errno_text(), m_path);
    }
    m_through = true;
    return;
  }
  const std::filesystem::path dir = parent_dir(m_target);
  const std::string name = std::filesystem::path(m_target).filename().string();
  std::string pattern = (dir / ("." + name + ".tmp.XXXXXX")).string();
  m_fd = ::mkstemp(pattern.data());
  if (m_fd < 0) {
    throw IoError("cannot create a temporary file in '" + dir.string() + "': " + errno_text(),
                  m_path);
  }
  m_temp = pattern;
  // mkstemp creates 0600: keep the mode of the file replaced, or give a new artifact the
  // permissions a plain open() would.
  ::fchmod(m_fd, exists ? (st.st_mode & 07777) : (0666 & ~current_umask()));
}

AtomicFile::~AtomicFile() {
  if (m_fd >= 0) {
    ::close(m_fd);
  }
  if (!m_committed && !m_temp.empty()) {
    ::unlink(m_temp.c_str());
  }
}

void AtomicFile::write(std::string_view bytes) {
  if (m_committed) {
    throw IoError("write after commit", m_path);
  }
  if (m_stdout) {
    std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!std::cout) {
      throw IoError("cannot write standard output", "<stdout>");
    }
    return;
  }
  const char* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(m_fd, p, left);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw IoError("write failed: " + errno_text(), m_path);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

void AtomicFile::commit() {
  if (m_committed) {
    return;
  }
  if (m_stdout) {
    std::cout.flush();
    if (!std::cout) {
      throw IoError("cannot write standard output", "<stdout>");
    }
    m_committed = true;
    return;
  }
  if (!m_through && ::fsync(m_fd) != 0) {
    throw IoError("fsync failed: " + errno_text(), m_path);
  }
  const int fd = m_fd;
  m_fd = -1;
  if (::close(fd) != 0) {
    throw IoError("close failed: " + errno_text(), m_path);
  }
  if (!m_through && ::rename(m_temp.c_str(), m_target.c_str()) != 0) {
    throw IoError("cannot rename '" + m_temp + "' into place: " + errno_text(), m_path);
  }
  m_committed = true;
}

void write_file_atomic(const std::string& path, std::string_view bytes) {
  AtomicFile file(path);
  file.write(bytes);
  file.commit();
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    throw Error("sha256 failed");
  }
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

std::string sha256_file(const std::string& path) { return sha256_hex(read_file(path)); }

} // namespace edgent
