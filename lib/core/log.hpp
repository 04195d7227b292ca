#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace edgent::log {

/// How much a tool says on stderr: quiet = errors only, normal = warnings and notes,
/// verbose = also detail.
enum class Level { quiet, normal, verbose };

void set_level(Level level);
Level level();
/// The tool name messages start with ("edgent-plan").
void set_tool(std::string tool);
const std::string& tool();

/// Writes `<tool>: <kind>: <text>` (or `<tool>: <text>` when @p kind is empty) to stderr.
void emit(std::string_view kind, std::string_view text);

/// A warning (shown unless quiet).
template <typename... Args> void warn(fmt::format_string<Args...> f, Args&&... args) {
  if (level() != Level::quiet) {
    emit("warning", fmt::format(f, std::forward<Args>(args)...));
  }
}
/// A note about progress or results (shown unless quiet).
template <typename... Args> void info(fmt::format_string<Args...> f, Args&&... args) {
  if (level() != Level::quiet) {
    emit("", fmt::format(f, std::forward<Args>(args)...));
  }
}
/// Detail shown with -v only.
template <typename... Args> void verbose(fmt::format_string<Args...> f, Args&&... args) {
  if (level() == Level::verbose) {
    emit("", fmt::format(f, std::forward<Args>(args)...));
  }
}

} // namespace edgent::log
