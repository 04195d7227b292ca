#include "core/error.hpp"

namespace edgent {

namespace {

std::string join_message(const std::string& file, const std::string& key, const std::string& what) {
  std::string out;
  if (!file.empty()) {
    out += file;
    out += ": ";
  }
  if (!key.empty()) {
    out += key;
    out += ": ";
  }
  out += what;
  return out;
}

} // namespace

Error::Error(std::string what, std::string file, std::string key)
    : std::runtime_error(join_message(file, key, what)), m_detail(std::move(what)),
      m_file(std::move(file)), m_key(std::move(key)) {}

std::string Error::message() const { return join_message(m_file, m_key, m_detail); }

void Error::set_file_if_empty(const std::string& file) {
  if (m_file.empty()) {
    m_file = file;
    // Keep what() in step with message(): rebuild the base with the new file.
    static_cast<std::runtime_error&>(*this) = std::runtime_error(message());
  }
}

} // namespace edgent
