#pragma once

#include <cstddef>
#include <vector>

namespace edgent::dynamic {

/// Bayesian online change-point detection (Adams & MacKay 2007) on x = ln(max(kbps, floor)),
/// with a Normal observation model of known noise σ, a Normal prior on each segment's mean
/// (centred on the first sample) and a constant hazard 1/hazard_run. The run-length
/// distribution is truncated at max_run entries (the longest run's statistics become a sliding
/// window), so memory and time per sample are O(max_run).
struct BocpdSettings {
  double hazard_run = 60;    ///< expected run length in samples (hazard = 1 / hazard_run)
  double sigma = 0.35;       ///< observation noise of ln-bandwidth within a segment
  double prior_sigma = 1.5;  ///< prior standard deviation of a segment's mean (ln units)
  double floor_kbps = 10;    ///< outages are clamped to this before the log
  std::size_t max_run = 240; ///< run lengths kept (memory bound)
};

/// The online detector the device runtime feeds with bandwidth samples.
class Bocpd {
public:
  explicit Bocpd(BocpdSettings settings = {});

  /// Feeds one bandwidth sample (kbps ≥ 0). Returns true when a change is declared: the most
  /// probable run length became shorter than it was (a new segment has taken over).
  bool update(double kbps);
  /// Bandwidth of the current segment: exp(posterior mean) of the most probable run; 0 before
  /// the first sample.
  double estimate_kbps() const;
  /// Most probable current run length in samples (0 before the first sample).
  std::size_t run_length() const { return m_map_run; }
  /// Samples seen.
  std::size_t samples() const { return m_t; }
  const BocpdSettings& settings() const { return m_settings; }

private:
  double posterior_mean(std::size_t i) const;

  BocpdSettings m_settings;
  double m_mu0 = 0;
  std::vector<double> m_prob; // index i: run of m_len[i] samples
  std::vector<double> m_sum;  // sum of x over that run
  std::vector<double> m_len;
  std::vector<double> m_next_prob, m_next_sum, m_next_len;
  std::size_t m_map_run = 0;
  std::size_t m_map_index = 0;
  std::size_t m_t = 0;
};

/// Maps a bandwidth estimate to one of a sorted list of states (state i covers
/// [lower[i], lower[i+1])) with hysteresis: it moves down as soon as the estimate falls below
/// the current state's lower bound (a slower link must not miss the deadline), but up only
/// when the estimate exceeds the next state's lower bound by the factor (1 + up_margin).
class StateTracker {
public:
  /// @p lower: ascending lower bounds in kbps (lower[0] is normally 0); @p up_margin ≥ 0.
  StateTracker(std::vector<double> lower, double up_margin);

  /// The state for @p kbps without hysteresis: the largest i with lower[i] ≤ kbps (0 below all).
  std::size_t lookup(double kbps) const;
  /// Updates with a new estimate and returns the current state index. The first call takes
  /// lookup(kbps).
  std::size_t update(double kbps);
  /// Moves down at once when @p kbps is below the current state's lower bound (never up);
  /// returns the current state index. Before the first update() it does nothing.
  std::size_t down_to(double kbps);
  /// Current state (0 before the first update).
  std::size_t state() const { return m_state; }
  /// Number of state changes so far.
  std::size_t switches() const { return m_switches; }

private:
  std::vector<double> m_lower;
  double m_up_margin;
  std::size_t m_state = 0;
  bool m_started = false;
  std::size_t m_switches = 0;
};

} // namespace edgent::dynamic
