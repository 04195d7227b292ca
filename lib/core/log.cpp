#include "core/log.hpp"

#include <atomic>
#include <iostream>
#include <mutex>

namespace edgent::log {

namespace {

std::atomic<Level> g_level{Level::normal};
std::string g_tool = "edgent";
std::mutex g_mutex;

} // namespace

void set_level(Level level) { g_level = level; }
Level level() { return g_level; }
void set_tool(std::string tool) { g_tool = std::move(tool); }
const std::string& tool() { return g_tool; }

void emit(std::string_view kind, std::string_view text) {
  std::string line = g_tool + ": ";
  if (!kind.empty()) {
    line += kind;
    line += ": ";
  }
  line += text;
  line += '\n';
  const std::lock_guard lock(g_mutex);
  std::cerr << line << std::flush;
}

} // namespace edgent::log
