#pragma once

#include "core/exit_code.hpp"

#include <stdexcept>
#include <string>

namespace edgent {

/// Base of every error the library throws. Carries the file and key path it is about
/// (either may be empty) so that a tool prints `edgent-<tool>: error: <file>: <key>: <what>`.
class Error : public std::runtime_error {
public:
  Error(std::string what, std::string file = {}, std::string key = {});

  /// The bare description, without file or key.
  const std::string& detail() const { return m_detail; }
  const std::string& file() const { return m_file; }
  const std::string& key() const { return m_key; }
  /// `<file>: <key>: <what>` with the empty parts left out.
  std::string message() const;
  /// The exit code a tool returns for this error.
  virtual ExitCode exit_code() const { return ExitCode::failure; }

  /// Sets the file when none is recorded yet (used when rethrowing from a reader).
  void set_file_if_empty(const std::string& file);

private:
  std::string m_detail;
  std::string m_file;
  std::string m_key;
};

/// Bad command line (exit 2).
class UsageError : public Error {
public:
  using Error::Error;
  ExitCode exit_code() const override { return ExitCode::usage; }
};

/// Bad configuration value, or inputs that do not belong together (exit 2).
class ConfigError : public Error {
public:
  using Error::Error;
  ExitCode exit_code() const override { return ExitCode::usage; }
};

/// Artifact that is not valid JSON, of the wrong kind or version, or with a bad key (exit 2).
class SchemaError : public Error {
public:
  using Error::Error;
  ExitCode exit_code() const override { return ExitCode::usage; }
};

/// File system failure: missing, unreadable or unwritable file (exit 1).
class IoError : public Error {
public:
  using Error::Error;
};

/// Malformed or unsupported data: dataset, model, tensor (exit 1).
class DataError : public Error {
public:
  using Error::Error;
};

/// A model that cannot be analysed, partitioned or run (exit 1).
class ModelError : public Error {
public:
  using Error::Error;
};

/// Network or protocol failure (exit 1).
class NetError : public Error {
public:
  using Error::Error;
};

} // namespace edgent
