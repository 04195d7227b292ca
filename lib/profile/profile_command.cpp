#include "profile/profile_command.hpp"

#include "core/artifact.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/parse_number.hpp"
#include "emulate/cpu_quota.hpp"
#include "profile/network_probe.hpp"

#include <chrono>
#include <filesystem>
#include <optional>

namespace edgent::profile {

namespace fs = std::filesystem;

double parse_duration_s(const std::string& text) {
  if (text.empty()) {
    throw UsageError("empty duration", {}, "--if-older-than");
  }
  std::string_view number = text;
  const char unit = text.back();
  const double factor = unit == 's'   ? 1
                        : unit == 'm' ? 60
                        : unit == 'h' ? 3600
                        : unit == 'd' ? 86400
                                      : 0;  // no unit: seconds
  if (factor > 0) {
    number.remove_suffix(1);
  }
  const auto value = parse_double(number);
  if (!value || !(*value >= 0)) {
    throw UsageError("'" + text + "' is not a duration such as 90s, 30m, 12h or 7d", {},
                     "--if-older-than");
  }
  return *value * (factor > 0 ? factor : 1);
}

int run(const ProfileOptions& options, int progress_mode) {
  if (options.if_older_than_s && options.output != "-") {
    std::error_code ec;
    const auto mtime = fs::last_write_time(options.output, ec);
    if (!ec) {
      const double age = std::chrono::duration<double>(fs::file_time_type::clock::now() - mtime).count();
      if (age < *options.if_older_than_s) {
        log::info("{} is {:.0f} s old, younger than --if-older-than: kept", options.output, age);
        return 0;
      }
    }
  }
  // First, so that an unreachable edge fails fast; outside the quota, which emulates the
  // device's CPU, not its link.
  const auto network = options.network ? std::optional(to_json(measure_network(*options.network)))
                                        : std::nullopt;
  nlohmann::json doc;
  {
    const emulate::CpuQuotaScope quota(options.cpu_quota, options.role);
    if (options.cpu_quota) {
      log::verbose("running under a CPU quota of {} CPUs", *options.cpu_quota);
    }
    doc = run_profile(options, progress_mode);
  }
  if (network) {
    doc["network"] = *network;
  }
  write_artifact(options.output, std::move(doc), "profile", "edgent-profile");
  return 0;
}

} // namespace edgent::profile
