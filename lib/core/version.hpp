#pragma once

#include <string>

namespace edgent {

/// The project version, e.g. "0.1.0".
const char* version();
/// The git commit the build came from (`git describe --always --dirty`), or "unknown".
const char* git_hash();
/// `<tool> <version> (git <hash>)`, as printed by `--version`.
std::string version_line(const std::string& tool);

} // namespace edgent
