#pragma once

#include <string>

namespace edgent::emulate {

/// A device K times slower than this machine's core, emulated by time dilation: a piece of
/// device work that used t ms of this process's CPU is made to take K·t ms of wall time, by
/// holding the device (sleeping, so that the edge sharing the machine keeps the cores) until
/// K·t ms have passed since the work started. The next request queues behind the hold, as on a
/// real slow core. The time is exact at any granularity (a quota's slices are not), and a run
/// preempted by other processes loses nothing as long as its wall time stays below K·t.
///
/// edgent-profile --slowdown K records K·t for every timed run and edgent-infer --slowdown K
/// holds each device run to K·t, so a profile predicts what the runtime then measures.
/// Which CPU time a piece of work used.
enum class CpuClock {
  /// The whole process's (CLOCK_PROCESS_CPUTIME_ID): with several OpenCV threads the work
  /// counts as run serially on one core K times slower.
  process,
  /// The calling thread's (CLOCK_THREAD_CPUTIME_ID): the same for work OpenCV runs on one
  /// thread (it then runs in the caller), and blind to other threads (a link monitor).
  thread,
};

class TimeDilation {
public:
  /// @p factor is K (≥ 1; 1 = no emulation, nothing is held). Throws UsageError naming
  /// @p option for a factor that is not finite or below 1.
  explicit TimeDilation(double factor = 1.0, const std::string& option = "--slowdown",
                        CpuClock clock = CpuClock::process);

  double factor() const { return m_factor; }
  CpuClock clock() const { return m_clock; }
  bool active() const { return m_factor > 1.0; }

  /// K × @p cpu_ms: the emulated device's time for work that took @p cpu_ms of CPU here.
  double dilated_ms(double cpu_ms) const { return m_factor * cpu_ms; }

  /// Checks @p factor as the constructor does (for option parsing).
  static void check(double factor, const std::string& option);

private:
  double m_factor;
  CpuClock m_clock;
};

/// This process's CPU time, ms (every thread).
double process_cpu_ms();
/// CPU time on @p clock, ms.
double cpu_ms(CpuClock clock);

/// One piece of device work under a TimeDilation: started on construction, finished by
/// finish(), which holds the device until K × (CPU time used) has passed since the start.
class DilatedWork {
public:
  explicit DilatedWork(const TimeDilation& dilation);

  /// Ends the work: sleeps until the emulated device would have finished, then returns the
  /// work's emulated time in ms (wall time from construction, hold included). Call once.
  double finish();
  /// CPU time the work used, ms (valid after finish()).
  double cpu_ms() const { return m_cpu_ms; }

private:
  const TimeDilation& m_dilation;
  double m_wall0_ms;
  double m_cpu0_ms;
  double m_cpu_ms = 0;
};

} // namespace edgent::emulate
