#pragma once

#include <string>
#include <string_view>

namespace edgent {

/// Reads a whole file, or standard input when @p path is "-". Throws IoError naming the file.
std::string read_file(const std::string& path);

/// The name to show for @p path in messages ("<stdin>"/"<stdout>" for "-").
std::string display_name(const std::string& path, bool output = false);

/// An output file that honours what it replaces. A regular file (or a new one) is written
/// under a temporary name in the destination's directory and renamed over it by commit(): if
/// the object is destroyed (or the process dies) before commit(), the destination is untouched,
/// so a killed stage never leaves half a file. A symbolic link is followed to its final target,
/// and the target is replaced, not the link. Anything else that exists, such as a FIFO or a
/// device (/dev/null, /dev/stdout), is opened and written through: it is never replaced.
/// The path "-" writes straight to standard output.
class AtomicFile {
public:
  /// Opens the destination (or creates the temporary file). Throws IoError naming the path,
  /// e.g. for a directory or a missing parent directory. Opening a FIFO waits for a reader.
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// Appends bytes. Throws IoError on failure.
  void write(std::string_view bytes);
  /// Flushes, syncs and renames over the destination (write-through: closes it). Throws
  /// IoError on failure.
  void commit();
  /// The temporary file's path (empty when writing through or to standard output).
  const std::string& temp_path() const { return m_temp; }

private:
  std::string m_path;    ///< as given, for messages
  std::string m_target;  ///< the file renamed over: the path with symbolic links followed
  std::string m_temp;
  int m_fd = -1;
  bool m_stdout = false;
  bool m_through = false;
  bool m_committed = false;
};

/// Checks, before any work, that @p path can be written as an output: "-", or a path whose
/// directory exists and which is not a directory itself. Throws IoError naming the path.
void check_output_path(const std::string& path);

/// Writes @p bytes to @p path atomically (see AtomicFile); "-" is standard output.
void write_file_atomic(const std::string& path, std::string_view bytes);

/// Hex SHA-256 of @p bytes.
std::string sha256_hex(std::string_view bytes);
/// Hex SHA-256 of a file's contents. Throws IoError.
std::string sha256_file(const std::string& path);

} // namespace edgent
