#pragma once

#include <string>
#include <string_view>

namespace edgent {

/// Reads a whole file, or standard input when @p path is "-". Throws IoError naming the file.
std::string read_file(const std::string& path);

/// The name to show for @p path in messages ("<stdin>"/"<stdout>" for "-").
std::string display_name(const std::string& path, bool output = false);

/// A file written under a temporary name in the destination's directory and renamed over
/// the destination by commit(). If the object is destroyed (or the process dies) before
/// commit(), the destination is untouched: a killed stage never leaves half a file.
/// The path "-" writes straight to standard output.
class AtomicFile {
public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// Appends bytes. Throws IoError on failure.
  void write(std::string_view bytes);
  /// Flushes, syncs and renames over the destination. Throws IoError on failure.
  void commit();
  /// The temporary file's path (empty for standard output).
  const std::string& temp_path() const { return m_temp; }

private:
  std::string m_path;
  std::string m_temp;
  int m_fd = -1;
  bool m_stdout = false;
  bool m_committed = false;
};

/// Writes @p bytes to @p path atomically (see AtomicFile); "-" is standard output.
void write_file_atomic(const std::string& path, std::string_view bytes);

/// Hex SHA-256 of @p bytes.
std::string sha256_hex(std::string_view bytes);
/// Hex SHA-256 of a file's contents. Throws IoError.
std::string sha256_file(const std::string& path);

} // namespace edgent
