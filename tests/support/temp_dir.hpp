#pragma once

// One private temporary directory per use, for tests that write files.

#include <filesystem>
#include <string>

namespace edgent::testing {

/// A fresh directory made with mkdtemp under $TMPDIR (or /tmp), so that two checkouts or two
/// test processes never share a path; removed with its contents on destruction.
class TempDir {
public:
  /// Makes `<tmp>/edgent-<tag>-XXXXXX`; throws std::runtime_error when it cannot.
  explicit TempDir(const std::string& tag = "test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  /// The directory itself.
  const std::filesystem::path& path() const { return m_path; }
  /// The path of @p name inside the directory (not created).
  std::string file(const std::string& name) const { return (m_path / name).string(); }

private:
  std::filesystem::path m_path;
};

} // namespace edgent::testing
