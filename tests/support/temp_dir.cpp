#include "support/temp_dir.hpp"

#include <cstdlib>
#include <stdexcept>
#include <vector>

namespace edgent::testing {

TempDir::TempDir(const std::string& tag) {
  const char* env = std::getenv("TMPDIR");
  const std::string base = env != nullptr && *env != '\0' ? env : "/tmp";
  std::string pattern = base + "/edgent-" + tag + "-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) {
    throw std::runtime_error("cannot make a temporary directory like " + pattern);
  }
  m_path = buffer.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  // A test may have taken permissions away (unwritable directories): give them back first.
  for (auto it = std::filesystem::recursive_directory_iterator(m_path, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) {
      std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::add, ec);
    }
  }
  std::filesystem::permissions(m_path, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::add, ec);
  std::filesystem::remove_all(m_path, ec);
}

} // namespace edgent::testing
