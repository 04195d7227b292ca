#pragma once

// A golden CLI run: the real tool with a pinned generator, into a private directory.

#include "support/golden.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <string>
#include <utility>
#include <vector>

namespace edgent::testing {

/// Runs tools with EDGENT_PIN_GENERATOR=1 and checks their artifacts against
/// tests/cmd/<tool>/expected/<name>.json, with the run's directory written as "<tmp>" and the
/// source tree as "<src>".
class GoldenRun {
public:
  explicit GoldenRun(std::string tool) : m_tool(std::move(tool)) {}

  /// Runs the tool with @p args (split by words()).
  RunResult run(const std::string& args) const;
  /// A path in the run's private directory.
  std::string path(const std::string& name) const { return m_dir.file(name); }
  /// Checks artifact @p name (in the run's directory) against expected/@p golden.
  void expect(const std::string& name, const std::string& golden) const;

private:
  std::string m_tool;
  TempDir m_dir{"golden"};
};

} // namespace edgent::testing
