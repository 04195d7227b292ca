#include "core/progress.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iostream>

#include <unistd.h>

namespace edgent {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) {
    return "?";
  }
  const auto s = static_cast<long long>(std::llround(seconds));
  if (s >= 3600) {
    return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
  }
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

Progress::Mode Progress::detect_mode(bool quiet) {
  if (quiet) {
    return Mode::quiet;
  }
  return ::isatty(STDERR_FILENO) ? Mode::bar : Mode::lines;
}

Progress::Progress(std::string label, std::uint64_t total, Options options)
    : m_label(std::move(label)), m_total(total), m_options(std::move(options)),
      m_out(m_options.out ? m_options.out : &std::cerr) {
  m_start = now();
  m_last_render = m_start;
}

Progress::~Progress() {
  try {
    finish();
  } catch (...) {
    // Destructors must not throw; a failed progress line is not worth a crash.
  }
}

Progress::Clock::time_point Progress::now() const {
  return m_options.now ? m_options.now() : Clock::now();
}

void Progress::advance(std::uint64_t steps) { set(m_done + steps); }

void Progress::set(std::uint64_t done) {
  m_done = done;
  maybe_render(false);
}

void Progress::set_note(std::string note) { m_note = std::move(note); }

std::string Progress::status_text(Clock::time_point t) const {
  const double elapsed = std::chrono::duration<double>(t - m_start).count();
  const double rate = elapsed > 0 ? static_cast<double>(m_done) / elapsed : 0.0;
  std::string text;
  if (m_total > 0) {
    text = fmt::format("{}/{} ({:.0f}%)", m_done, m_total,
                       100.0 * static_cast<double>(std::min(m_done, m_total)) /
                           static_cast<double>(m_total));
  } else {
    text = fmt::format("{}", m_done);
  }
  text += fmt::format("  {:.1f}/s", rate);
  if (m_finished) {
    text += "  done in " + format_duration(elapsed);
  } else if (m_total > 0 && rate > 0 && m_done < m_total) {
    text += "  ETA " + format_duration(static_cast<double>(m_total - m_done) / rate);
  }
  if (!m_note.empty()) {
    text += "  " + m_note;
  }
  return text;
}

void Progress::maybe_render(bool force) {
  if (m_options.mode == Mode::quiet) {
    return;
  }
  const Clock::time_point t = now();
  const auto interval =
      m_options.mode == Mode::bar ? m_options.redraw_interval : m_options.line_interval;
  if (!force && t - m_last_render < interval) {
    return;
  }
  m_last_render = t;
  m_rendered = true;
  std::ostream& out = *m_out;
  if (m_options.mode == Mode::bar) {
    std::string bar;
    if (m_total > 0) {
      const int width = std::max(1, m_options.width);
      const auto filled = static_cast<int>(
          static_cast<double>(width) * static_cast<double>(std::min(m_done, m_total)) /
          static_cast<double>(m_total));
      bar = "[" + std::string(static_cast<std::size_t>(filled), '#') +
            std::string(static_cast<std::size_t>(width - filled), '.') + "] ";
    }
    // \r returns to the line start, \x1b[K clears what a longer previous line left.
    out << '\r' << m_label << ' ' << bar << status_text(t) << "\x1b[K";
    if (m_finished) {
      out << '\n';
    }
  } else {
    out << m_label << ": " << status_text(t) << '\n';
  }
  out.flush();
}

void Progress::finish() {
  if (m_finished) {
    return;
  }
  m_finished = true;
  maybe_render(true);
}

} // namespace edgent
