#include "plan/problem.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <cmath>

namespace edgent::plan {

Network offload_network(double up_kbps, double down_kbps, double rtt_ms, double edge_queue_ms) {
  Network n;
  n.up_kbps = up_kbps;
  n.down_kbps = down_kbps;
  n.rtt_ms = rtt_ms;
  n.edge_queue_ms = edge_queue_ms;
  n.up_overhead_bytes = kOffloadUpOverheadBytes;
  n.down_overhead_bytes = kOffloadDownOverheadBytes;
  return n;
}

const char* order_name(Order order) {
  return order == Order::device_first ? "device-first" : "edge-first";
}

Order parse_order(const std::string& name) {
  if (name == "device-first") {
    return Order::device_first;
  }
  if (name == "edge-first") {
    return Order::edge_first;
  }
  throw UsageError(fmt::format("unknown order '{}' (device-first, edge-first)", name));
}

std::vector<Codec> default_codecs() {
  std::vector<Codec> out;
  for (const char* name : {"fp32", "fp16", "int8", "fp32+zstd", "fp16+zstd", "int8+zstd"}) {
    out.push_back(Codec{name, default_codec_ratio(name)});
  }
  return out;
}

double default_codec_ratio(const std::string& name) {
  constexpr double kZstdFactor = 0.8; // assumed; a measured size table overrides it
  std::string base = name;
  double factor = 1;
  const auto plus = name.find('+');
  if (plus != std::string::npos) {
    if (name.substr(plus) != "+zstd") {
      throw UsageError(fmt::format("unknown codec '{}' (fp32, fp16, int8, each optionally +zstd)",
                                   name));
    }
    base = name.substr(0, plus);
    factor = kZstdFactor;
  }
  if (base == "fp32") {
    return 1.0 * factor;
  }
  if (base == "fp16") {
    return 0.5 * factor;
  }
  if (base == "int8") {
    return 0.25 * factor;
  }
  throw UsageError(
      fmt::format("unknown codec '{}' (fp32, fp16, int8, each optionally +zstd)", name));
}

bool PlanProblem::accuracy_known() const {
  if (exits.empty()) {
    return false;
  }
  for (const auto& e : exits) {
    if (!e.accuracy) {
      return false;
    }
  }
  return true;
}

namespace {

void check_value(double v, const std::string& what, const std::string& key) {
  if (!std::isfinite(v) || v < 0) {
    throw ConfigError(fmt::format("must be a finite number >= 0, got {}", v), what, key);
  }
}

} // namespace

void validate(const PlanProblem& problem, const std::string& what) {
  if (problem.codecs.empty()) {
    throw ConfigError("the set of allowed codecs is empty", what, "codecs");
  }
  for (std::size_t k = 0; k <= problem.codecs.size(); ++k) {
    const Codec& c = k < problem.codecs.size() ? problem.codecs[k] : problem.fp32;
    const std::string key = k < problem.codecs.size() ? fmt::format("codecs[{}]", k) : "fp32";
    if (!std::isfinite(c.ratio) || c.ratio <= 0) {
      throw ConfigError(fmt::format("codec ratio must be > 0, got {}", c.ratio), what, key);
    }
    for (const CodecTime* t : {&c.device, &c.edge}) {
      for (const double v : {t->encode_ms, t->encode_ms_per_byte, t->decode_ms,
                             t->decode_ms_per_byte, t->encode_first_ms}) {
        if (!std::isfinite(v) || v < 0) {
          throw ConfigError(fmt::format("codec times must be finite and >= 0, got {}", v), what, key);
        }
      }
    }
  }
  if (problem.exits.empty()) {
    throw ConfigError("the model has no exits", what, "exits");
  }
  for (const auto& [value, key] : {std::pair{problem.device_net_ms, "device_net_ms"},
                                   std::pair{problem.edge_net_ms, "edge_net_ms"},
                                   std::pair{problem.device_net_ms_per_byte, "device_net_ms_per_byte"},
                                   std::pair{problem.edge_net_ms_per_byte, "edge_net_ms_per_byte"},
                                   std::pair{problem.device_request_ms, "device_request_ms"},
                                   std::pair{problem.edge_request_ms, "edge_request_ms"},
                                   std::pair{problem.device_request_ms_per_param_byte,
                                             "device_request_ms_per_param_byte"},
                                   std::pair{problem.edge_request_ms_per_param_byte,
                                             "edge_request_ms_per_param_byte"},
                                   std::pair{problem.device_request_net_ms, "device_request_net_ms"},
                                   std::pair{problem.edge_request_net_ms, "edge_request_net_ms"}}) {
    if (!std::isfinite(value) || value < 0) {
      throw ConfigError(fmt::format("must be a finite number >= 0, got {}", value), what, key);
    }
  }
  const std::size_t ncodec = problem.codecs.size();
  int previous_exit = 0;
  for (std::size_t i = 0; i < problem.exits.size(); ++i) {
    const ExitCosts& e = problem.exits[i];
    const std::string key = fmt::format("exits[{}]", i);
    if (e.exit <= previous_exit) {
      throw ConfigError("exit numbers must be positive and ascending", what, key + ".exit");
    }
    previous_exit = e.exit;
    const std::size_t n = e.device_ms.size();
    if (n == 0) {
      throw ConfigError("the exit's chain has no units", what, key);
    }
    if (e.edge_ms.size() != n || e.fp32_bytes.size() != n + 1) {
      throw ConfigError(fmt::format("{} units need {} edge times and {} tensor sizes", n, n, n + 1),
                        what, key);
    }
    for (std::size_t u = 0; u < n; ++u) {
      check_value(e.device_ms[u], what, fmt::format("{}.device_ms[{}]", key, u));
      check_value(e.edge_ms[u], what, fmt::format("{}.edge_ms[{}]", key, u));
    }
    for (std::size_t c = 0; c <= n; ++c) {
      check_value(e.fp32_bytes[c], what, fmt::format("{}.fp32_bytes[{}]", key, c));
    }
    if (!e.param_bytes.empty() && e.param_bytes.size() != n) {
      throw ConfigError(fmt::format("{} units need {} weight sizes", n, n), what,
                        key + ".param_bytes");
    }
    for (std::size_t u = 0; u < e.param_bytes.size(); ++u) {
      check_value(e.param_bytes[u], what, fmt::format("{}.param_bytes[{}]", key, u));
    }
    if (!e.unit_names.empty() && e.unit_names.size() != n) {
      throw ConfigError(fmt::format("{} units need {} names", n, n), what, key + ".unit_names");
    }
    for (const auto& [v, name] : {std::pair{e.device_chain_request_ms, "device_chain_request_ms"},
                                  std::pair{e.edge_chain_request_ms, "edge_chain_request_ms"}}) {
      if (v) {
        check_value(*v, what, key + "." + name);
      }
    }
    int previous_cut = -1;
    for (const int c : e.cuts) {
      if (c <= previous_cut || c < 0 || c > static_cast<int>(n)) {
        throw ConfigError(fmt::format("cuts must be ascending in 0..{}, got {}", n, c), what,
                          key + ".cuts");
      }
      previous_cut = c;
    }
    if (e.accuracy && !(*e.accuracy >= 0 && *e.accuracy <= 1)) {
      throw ConfigError("accuracy must be in [0, 1]", what, key + ".accuracy");
    }
    const std::size_t table = (n + 1) * ncodec;
    if (!e.codec_accuracy.empty()) {
      if (e.codec_accuracy.size() != table) {
        throw ConfigError("codec accuracy table has the wrong size", what, key);
      }
      for (const auto& a : e.codec_accuracy) {
        if (a && !(*a >= 0 && *a <= 1)) {
          throw ConfigError("accuracy must be in [0, 1]", what, key + ".codec_accuracy");
        }
      }
    }
    if (!e.encoded_bytes.empty()) {
      if (e.encoded_bytes.size() != table) {
        throw ConfigError("encoded size table has the wrong size", what, key);
      }
      for (const auto& b : e.encoded_bytes) {
        if (b) {
          check_value(*b, what, key + ".encoded_bytes");
        }
      }
    }
  }
}

} // namespace edgent::plan
