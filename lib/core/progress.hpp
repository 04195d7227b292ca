#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>

namespace edgent {

/// Reports progress of long work on stderr: a redrawn bar with rate and ETA on a terminal,
/// a plain line every few seconds otherwise (logs, cron), nothing when quiet.
class Progress {
public:
  using Clock = std::chrono::steady_clock;
  enum class Mode { bar, lines, quiet };

  struct Options {
    Mode mode = Mode::lines;
    std::ostream* out = nullptr;                      ///< nullptr = std::cerr
    std::chrono::milliseconds line_interval{5000};    ///< lines mode: time between lines
    std::chrono::milliseconds redraw_interval{100};   ///< bar mode: time between redraws
    int width = 30;                                   ///< bar width in characters
    std::function<Clock::time_point()> now;           ///< clock; empty = steady_clock
  };

  /// bar when stderr is a terminal, lines otherwise, quiet when @p quiet.
  static Mode detect_mode(bool quiet);

  /// @p total is the number of steps, 0 when unknown (no bar, no ETA).
  Progress(std::string label, std::uint64_t total, Options options);
  /// Finishes if finish() was not called.
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// Advances by @p steps.
  void advance(std::uint64_t steps = 1);
  /// Sets the number of steps done.
  void set(std::uint64_t done);
  /// A short note shown after the numbers (e.g. "loss 0.412").
  void set_note(std::string note);
  /// Prints the final state once.
  void finish();

private:
  Clock::time_point now() const;
  void maybe_render(bool force);
  std::string status_text(Clock::time_point t) const;

  std::string m_label;
  std::uint64_t m_total;
  std::uint64_t m_done = 0;
  std::string m_note;
  Options m_options;
  std::ostream* m_out;
  Clock::time_point m_start;
  Clock::time_point m_last_render;
  bool m_rendered = false;
  bool m_finished = false;
};

/// "1:05" / "1:02:03" for a duration in seconds.
std::string format_duration(double seconds);

} // namespace edgent
