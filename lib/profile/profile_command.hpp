#pragma once

#include "profile/profiler.hpp"

#include <string>

namespace edgent::profile {

/// Runs edgent-profile end to end: the network (when asked), quota, measurement, atomic
/// write; honours if_older_than_s. @p progress_mode is Progress::Mode as int. Returns the
/// exit code.
int run(const ProfileOptions& options, int progress_mode);

/// Parses a duration such as "90s", "30m", "12h", "7d" (a bare number is seconds).
/// Throws UsageError.
double parse_duration_s(const std::string& text);

} // namespace edgent::profile
