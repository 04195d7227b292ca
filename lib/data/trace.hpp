#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace edgent::data {

/// One trace sample: from @p t_s seconds after the trace start the link carries @p kbps
/// (kbit/s, 1 kbit = 1000 bit; 0 is an outage) until the next sample.
struct TracePoint {
  double t_s = 0.0;
  double kbps = 0.0;
};

/// A bandwidth trace, read as sample-and-hold: kbps[i] holds on [t_s[i], t_s[i+1]), the last
/// sample for the median sample spacing (1 s for a single-row trace).
struct Trace {
  std::string path;          ///< as given (for messages and the config map)
  std::string sha256;        ///< hex SHA-256 of the file's bytes
  std::vector<double> t_s;   ///< strictly increasing sample times, seconds, ≥ 0
  std::vector<double> kbps;  ///< bandwidth in kbit/s (1 kbit = 1000 bit), ≥ 0, already scaled
  double end_s = 0;          ///< end of the last sample's interval

  /// Seconds from the first sample to end_s.
  double duration_s() const { return end_s - t_s.front(); }
  /// The held value at time @p t (clamped to the trace's span).
  double at(double t) const;
  /// Time-weighted mean bandwidth over the whole trace.
  double mean_kbps() const;
  /// Time-averaged bandwidth over consecutive bins of @p step_s seconds from the first sample
  /// (the last bin may be partial and averages over its covered part only). Throws DataError
  /// when that would be more than 5·10^6 bins (58 days of 1-s bins: a 40-byte file must not
  /// cost gigabytes and seconds).
  std::vector<double> binned(double step_s) const;
  /// The samples as points timed from the first sample (its t_s becomes 0), for replaying.
  std::vector<TracePoint> points() const;
};

/// Parses a trace: the header `t_s,bandwidth_kbps`, then one `t,kbps` row per line. Rows that
/// are not two finite numbers, a negative value, a time not after the previous one, a time
/// beyond 10^9 s, a scaled bandwidth above 10^12 kbit/s, or a file without rows throw a SchemaError naming @p file and `line <n>`. Bandwidth is multiplied by
/// @p scale (> 0), to move a trace into another bandwidth regime.
Trace parse_trace(std::string_view text, const std::string& file, double scale = 1);

/// Reads and parses a trace file.
Trace read_trace(const std::string& path, double scale = 1);

/// Expands trace arguments: a glob pattern (`*`, `?`, `[...]`) to its sorted matches, a
/// directory to every `*.csv` below it (sorted, recursive), a plain path to itself. Throws
/// UsageError for a pattern or directory that matches nothing.
std::vector<std::string> expand_trace_paths(const std::vector<std::string>& args);

} // namespace edgent::data
