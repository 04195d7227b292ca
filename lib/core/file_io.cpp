#include "core/file_io.hpp"

#include "core/error.hpp"

#include <openssl/evp.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
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
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw IoError("is a directory, expected a file", path);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw IoError("cannot open: " + errno_text(), path);
  }
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    throw IoError("read failed: " + errno_text(), path);
  }
  return data;
}

AtomicFile::AtomicFile(std::string path) : m_path(std::move(path)) {
  if (m_path == "-") {
    m_stdout = true;
    return;
  }
  const std::filesystem::path dest(m_path);
  std::filesystem::path dir = dest.parent_path();
  if (dir.empty()) {
    dir = ".";
  }
  std::string pattern = (dir / ("." + dest.filename().string() + ".tmp.XXXXXX")).string();
  m_fd = ::mkstemp(pattern.data());
  if (m_fd < 0) {
    throw IoError("cannot create a temporary file in '" + dir.string() + "': " + errno_text(), m_path);
  }
  m_temp = pattern;
  // mkstemp creates 0600; give the artifact the permissions a plain open() would.
  ::fchmod(m_fd, 0666 & ~current_umask());
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
  if (::fsync(m_fd) != 0) {
    throw IoError("fsync failed: " + errno_text(), m_path);
  }
  const int fd = m_fd;
  m_fd = -1;
  if (::close(fd) != 0) {
    throw IoError("close failed: " + errno_text(), m_path);
  }
  if (::rename(m_temp.c_str(), m_path.c_str()) != 0) {
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
