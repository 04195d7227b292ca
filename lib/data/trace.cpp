#include "data/trace.hpp"

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/parse_number.hpp"
#include "core/stats.hpp"

#include <fmt/format.h>
#include <glob.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace edgent::data {

namespace {

constexpr double kMaxBins = 5e6; // about 58 days of 1-s bins (2 x 40 MB)
// Bounds that keep sums of kbps x seconds finite: ~31 years, 1 Pbit/s.
constexpr double kMaxTime = 1e9;
constexpr double kMaxKbps = 1e12;

bool parse_number(std::string_view s, double& out) {
  const auto v = parse_double(s);
  out = v.value_or(0.0);
  return v.has_value();
}

std::string_view strip_cr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  return line;
}

} // namespace

double Trace::at(double t) const {
  const auto it = std::upper_bound(t_s.begin(), t_s.end(), t);
  if (it == t_s.begin()) {
    return kbps.front();
  }
  return kbps[static_cast<std::size_t>(it - t_s.begin()) - 1];
}

std::vector<TracePoint> Trace::points() const {
  std::vector<TracePoint> out;
  out.reserve(t_s.size());
  for (std::size_t i = 0; i < t_s.size(); ++i) {
    out.push_back({t_s[i] - t_s.front(), kbps[i]});
  }
  return out;
}

double Trace::mean_kbps() const {
  double area = 0;
  for (std::size_t i = 0; i < t_s.size(); ++i) {
    const double next = i + 1 < t_s.size() ? t_s[i + 1] : end_s;
    area += kbps[i] * (next - t_s[i]);
  }
  return area / duration_s();
}

std::vector<double> Trace::binned(double step_s) const {
  std::vector<double> out;
  if (!(step_s > 0)) {
    return out;
  }
  const double t0 = t_s.front();
  const double count = std::ceil(duration_s() / step_s - 1e-9);
  if (count > kMaxBins) {
    throw DataError(fmt::format("the trace spans {} s: more than {} bins of {} s", duration_s(),
                                kMaxBins, step_s),
                    path);
  }
  const auto nbins = static_cast<std::size_t>(count);
  out.assign(std::max<std::size_t>(nbins, 1), 0.0);
  std::vector<double> covered(out.size(), 0.0);
  for (std::size_t i = 0; i < t_s.size(); ++i) {
    double a = t_s[i];
    const double b = i + 1 < t_s.size() ? t_s[i + 1] : end_s;
    while (a < b) {
      auto k = static_cast<std::size_t>((a - t0) / step_s);
      k = std::min(k, out.size() - 1);
      const double bin_end = t0 + static_cast<double>(k + 1) * step_s;
      const double piece_end = (k + 1 == out.size()) ? b : std::min(b, bin_end);
      const double w = piece_end - a;
      out[k] += kbps[i] * w;
      covered[k] += w;
      if (piece_end <= a) {
        break; // floating-point guard: no progress
      }
      a = piece_end;
    }
  }
  for (std::size_t k = 0; k < out.size(); ++k) {
    out[k] = covered[k] > 0 ? out[k] / covered[k] : (k > 0 ? out[k - 1] : 0.0);
  }
  return out;
}

Trace parse_trace(std::string_view text, const std::string& file, double scale) {
  if (!(scale > 0) || !std::isfinite(scale)) {
    throw UsageError(fmt::format("--scale must be a finite number > 0, got {}", scale));
  }
  Trace tr;
  tr.path = file;
  std::size_t pos = 0;
  std::size_t line_no = 0;
  bool header_seen = false;
  bool blank_seen = false;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) {
      nl = text.size();
    }
    const std::string_view line = strip_cr(text.substr(pos, nl - pos));
    pos = nl + 1;
    ++line_no;
    const std::string where = fmt::format("line {}", line_no);
    if (!header_seen) {
      if (line != "t_s,bandwidth_kbps") {
        throw SchemaError(fmt::format("expected the header 't_s,bandwidth_kbps', got '{}'",
                                      line.substr(0, 60)),
                          file, where);
      }
      header_seen = true;
      continue;
    }
    if (line.empty()) {
      blank_seen = true;
      continue;
    }
    if (blank_seen) {
      throw SchemaError("a data row follows an empty line", file, where);
    }
    const auto comma = line.find(',');
    if (comma == std::string_view::npos || line.find(',', comma + 1) != std::string_view::npos) {
      throw SchemaError("expected two comma-separated values 't_s,bandwidth_kbps'", file, where);
    }
    double t = 0;
    double bw = 0;
    if (!parse_number(line.substr(0, comma), t)) {
      throw SchemaError(
          fmt::format("t_s '{}' is not a finite number", line.substr(0, std::min<std::size_t>(comma, 40))),
          file, where);
    }
    if (!parse_number(line.substr(comma + 1), bw)) {
      throw SchemaError(fmt::format("bandwidth_kbps '{}' is not a finite number",
                                    line.substr(comma + 1, 40)),
                        file, where);
    }
    if (t < 0) {
      throw SchemaError(fmt::format("t_s {} is negative", t), file, where);
    }
    if (t > kMaxTime) {
      throw SchemaError(fmt::format("t_s {} is beyond {} s", t, kMaxTime), file, where);
    }
    if (bw < 0) {
      throw SchemaError(fmt::format("bandwidth_kbps {} is negative", bw), file, where);
    }
    if (bw * scale > kMaxKbps) {
      throw SchemaError(fmt::format("bandwidth_kbps {} (x scale {}) is above {} kbit/s", bw, scale,
                                    kMaxKbps),
                        file, where);
    }
    if (!tr.t_s.empty() && !(t > tr.t_s.back())) {
      throw SchemaError(fmt::format("t_s {} is not after the previous row's {}", t, tr.t_s.back()),
                        file, where);
    }
    tr.t_s.push_back(t);
    tr.kbps.push_back(bw * scale);
  }
  if (!header_seen) {
    throw SchemaError("the file is empty (expected the header 't_s,bandwidth_kbps')", file,
                      "line 1");
  }
  if (tr.t_s.empty()) {
    throw SchemaError("the trace has no rows", file, fmt::format("line {}", line_no + 1));
  }
  double hold = 1.0;
  if (tr.t_s.size() > 1) {
    std::vector<double> gaps(tr.t_s.size() - 1);
    for (std::size_t i = 0; i + 1 < tr.t_s.size(); ++i) {
      gaps[i] = tr.t_s[i + 1] - tr.t_s[i];
    }
    hold = stats::median(std::move(gaps));
  }
  tr.end_s = tr.t_s.back() + hold;
  if (!(tr.end_s > tr.t_s.back())) {
    // A median spacing below the last time's resolution (tiny early gaps, a late last row):
    // the last sample still holds for a moment, so the trace has a positive duration.
    tr.end_s = std::nextafter(tr.t_s.back(), 2 * kMaxTime);
  }
  tr.sha256 = sha256_hex(text);
  return tr;
}

Trace read_trace(const std::string& path, double scale) {
  return parse_trace(read_file(path), display_name(path), scale);
}

std::vector<std::string> expand_trace_paths(const std::vector<std::string>& args) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const std::string& arg : args) {
    std::error_code ec;
    if (arg != "-" && fs::is_directory(arg, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(arg, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec) && it->path().extension() == ".csv" &&
            it->path().filename() != "index.csv") {
          found.push_back(it->path().string());
        }
      }
      if (found.empty()) {
        throw UsageError(fmt::format("no *.csv trace below the directory '{}'", arg));
      }
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else if (arg.find_first_of("*?[") != std::string::npos) {
      glob_t g{};
      const int rc = glob(arg.c_str(), 0, nullptr, &g);
      if (rc != 0) {
        globfree(&g);
        throw UsageError(fmt::format("the pattern '{}' matches no file", arg));
      }
      for (std::size_t i = 0; i < g.gl_pathc; ++i) {
        out.emplace_back(g.gl_pathv[i]); // glob sorts its matches
      }
      globfree(&g);
    } else {
      out.push_back(arg);
    }
  }
  return out;
}

} // namespace edgent::data
