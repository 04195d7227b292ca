#pragma once

#include "profile/network_probe.hpp"
#include "profile/sweep.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace edgent::profile {

/// What edgent-profile measures and how.
struct ProfileOptions {
  std::string model;                  ///< ONNX file or model card (edgent.model/1)
  std::string role = "device";        ///< any label: device, edge, ...
  std::string output = "-";           ///< edgent.profile/1 ("-" = stdout)
  int warmup = 3;
  int reps = 31;                      ///< tripled under a CPU quota unless reps_set
  bool reps_set = false;
  int threads = 1;                    ///< OpenCV threads
  std::optional<double> cpu_quota;    ///< CPUs (0.5 = half a core); needs root
  /// Time dilation K (emulate::TimeDilation): every sample is K times the run's CPU time, as
  /// edgent-infer --slowdown K holds each device run; 1 = none.
  double slowdown = 1;
  bool sweep = true;                  ///< run the synthetic single-layer sweep
  SweepOptions sweep_options;
  int anchor_points = 12;             ///< sweep variants around each distinct unit configuration
  /// Idle time before each run of the request-mode timings, ms (0 = none): each exit's chain
  /// run as a request arriving after this long idle, as edgent-serve and edgent-infer run
  /// requests at 1000 / gap requests per second.
  double request_gap_ms = 100;
  std::optional<double> if_older_than_s;  ///< skip when the output is younger than this
  /// With --edge: also measure the network to that edge server (the `network` section),
  /// before the model and outside any CPU quota; none = no network section.
  std::optional<NetworkProbeOptions> network;
};

/// Measures the model's units (one segment net per unit, as deployed; a block that cannot be
/// cut inside is measured whole), the whole forward to each exit, model loading, the cost of
/// one extra net, and the synthetic sweep. Runs are timed one by one in rotation (units and
/// chains together, sweep points in shuffled groups); under a CPU quota as CPU time scaled
/// by the profile's measured wall/CPU ratio, under time dilation as CPU time times K
/// (SampleClock::cpu). Returns the edgent.profile/1 body (without schema/generator).
/// @p progress_mode is Progress::Mode as int.
nlohmann::json run_profile(const ProfileOptions& options, int progress_mode);

} // namespace edgent::profile
