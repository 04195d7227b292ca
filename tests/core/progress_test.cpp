#include "core/progress.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace edgent {
namespace {

/// A clock the test moves by hand.
struct FakeClock {
  Progress::Clock::time_point t{};
  void advance_ms(int ms) { t += std::chrono::milliseconds(ms); }
};

Progress::Options options(Progress::Mode mode, std::ostream& out, FakeClock& clock) {
  Progress::Options o;
  o.mode = mode;
  o.out = &out;
  o.line_interval = std::chrono::milliseconds(1000);
  o.redraw_interval = std::chrono::milliseconds(100);
  o.width = 10;
  o.now = [&clock] { return clock.t; };
  return o;
}

TEST(Progress, LinesModePrintsPeriodicPlainLines) {
  std::ostringstream out;
  FakeClock clock;
  {
    Progress p("profile", 100, options(Progress::Mode::lines, out, clock));
    clock.advance_ms(500);
    p.advance(10);  // before the interval: nothing yet
    EXPECT_EQ(out.str(), "");
    clock.advance_ms(500);
    p.advance(15);  // 25 done after 1 s: 25/s, 75 left = 3 s
    EXPECT_EQ(out.str(), "profile: 25/100 (25%)  25.0/s  ETA 0:03\n");
    p.set_note("loss 0.5");
    clock.advance_ms(1000);
    p.set(100);
  }
  const std::string text = out.str();
  EXPECT_NE(text.find("profile: 100/100 (100%)  50.0/s  loss 0.5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("done in 0:02"), std::string::npos) << text;
  EXPECT_EQ(text.find('\r'), std::string::npos) << "no terminal control in lines mode";
  EXPECT_EQ(text.find("\x1b"), std::string::npos);
}

TEST(Progress, BarModeRedrawsOneLine) {
  std::ostringstream out;
  FakeClock clock;
  Progress p("sweep", 4, options(Progress::Mode::bar, out, clock));
  clock.advance_ms(1000);
  p.advance(2);
  EXPECT_EQ(out.str(), "\rsweep [#####.....] 2/4 (50%)  2.0/s  ETA 0:01\x1b[K");
  clock.advance_ms(50);
  p.advance(1);  // within the redraw interval: no redraw
  EXPECT_EQ(out.str().find("3/4"), std::string::npos);
  clock.advance_ms(950);
  p.advance(1);
  p.finish();
  const std::string text = out.str();
  EXPECT_NE(text.find("\rsweep [##########] 4/4 (100%)"), std::string::npos) << text;
  EXPECT_EQ(text.back(), '\n');
}

TEST(Progress, QuietPrintsNothing) {
  std::ostringstream out;
  FakeClock clock;
  {
    Progress p("x", 10, options(Progress::Mode::quiet, out, clock));
    clock.advance_ms(10000);
    p.advance(10);
  }
  EXPECT_EQ(out.str(), "");
  EXPECT_EQ(Progress::detect_mode(/*quiet=*/true), Progress::Mode::quiet);
}

TEST(Progress, UnknownTotalShowsCountWithoutEta) {
  std::ostringstream out;
  FakeClock clock;
  Progress p("reqs", 0, options(Progress::Mode::lines, out, clock));
  clock.advance_ms(2000);
  p.advance(7);
  EXPECT_EQ(out.str(), "reqs: 7  3.5/s\n");
}

TEST(Progress, FormatDuration) {
  EXPECT_EQ(format_duration(0), "0:00");
  EXPECT_EQ(format_duration(65), "1:05");
  EXPECT_EQ(format_duration(3723), "1:02:03");
  EXPECT_EQ(format_duration(-1), "?");
}

} // namespace
} // namespace edgent
