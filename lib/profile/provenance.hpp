#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace edgent::profile {

/// Where and how a measurement was taken.
struct Provenance {
  std::string host;
  std::string cpu_model;
  int cores = 0;                    ///< CPUs this process may run on
  int threads = 0;                  ///< OpenCV threads used
  std::optional<double> cpu_quota;  ///< CPU quota in force, in CPUs (0.5 = half a core); none = unlimited
  std::string opencv;
  std::string model_sha256;
  std::string time;                 ///< RFC 3339, UTC
};

/// Reads the facts of this machine and process now.
Provenance collect_provenance(const std::string& model_sha256);

nlohmann::json to_json(const Provenance& p);

/// The current UTC time as RFC 3339 ("2026-11-22T21:30:00Z").
std::string rfc3339_now();

} // namespace edgent::profile
