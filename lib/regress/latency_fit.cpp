#include "regress/latency_fit.hpp"

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/log.hpp"
#include "model/unit_type.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <tuple>

namespace edgent::regress {

namespace {

/// Whether fits keep a model per kernel shape for units of the type named @p type.
bool per_kernel_shape(const std::string& type) {
  const auto unit_type = model::unit_type_from_name(type);
  return unit_type && model::unit_type_traits(*unit_type).per_kernel_shape;
}

const std::vector<std::string> kFlops{"flops"};

bool has_all(const Features& f, const std::vector<std::string>& names) {
  for (const auto& n : names) {
    if (!f.count(n)) {
      return false;
    }
  }
  return true;
}

/// Fits @p samples on the Edgent features, adding flops when CV says it helps.
TypeFit fit_type(const std::string& type, const std::vector<Sample>& samples,
                 const std::vector<std::string>& base, const FitSettings& options) {
  const std::size_t need = base.size() + 2;
  if (samples.size() < need) {
    throw ConfigError(fmt::format("{} samples of type '{}' are too few to fit {} (need {})",
                                  samples.size(), type, fmt::join(base, ", "), need),
                      {}, "sweep");
  }
  // Beside the Edgent features, each optional one every sample has and that varies among
  // them (a constant one is the intercept's) is tried, alone and with the others; the
  // cross-validated MAPE picks. "flatten": an fc unit that holds a Flatten (model::analyse);
  // "out_size": a conv's output elements, which its own net writes out (model::analyse).
  std::vector<std::vector<std::string>> candidates{base};
  for (const std::string optional : {"flops", "flatten", "out_size"}) {
    if (std::find(base.begin(), base.end(), optional) != base.end()) {
      continue;
    }
    bool all = true;
    bool varies = false;
    for (const Sample& s : samples) {
      const auto it = s.features.find(optional);
      if (it == s.features.end()) {
        all = false;
        break;
      }
      varies = varies || it->second != samples.front().features.at(optional);
    }
    if (!all || !varies) {
      continue;
    }
    const std::size_t existing = candidates.size();
    for (std::size_t i = 0; i < existing; ++i) {
      std::vector<std::string> with = candidates[i];
      with.push_back(optional);
      if (samples.size() >= with.size() + 2) {
        candidates.push_back(std::move(with));
      }
    }
  }
  TypeFit best;
  bool first = true;
  for (const auto& names : candidates) {
    const double cv = cross_validated_mape(samples, names, options.folds, options.seed);
    if (first || cv < best.cv_mape) {
      best.cv_mape = cv;
      best.model = fit_linear(samples, names);
      first = false;
    }
  }
  best.train = evaluate(best.model, samples);
  return best;
}

} // namespace

const std::vector<std::string>& edgent_features(const std::string& type) {
  static const std::vector<std::string> load{"model_bytes"};
  static const std::vector<std::string> none;
  if (type == "load") {
    return load;
  }
  const auto unit_type = model::unit_type_from_name(type);
  return unit_type ? model::unit_type_traits(*unit_type).regression_features : none;
}

std::string conv_shape_type(const Features& features) {
  const auto ka = features.find("kernel_area");
  const auto sa = features.find("stride_area");
  if (ka == features.end() || sa == features.end()) {
    return "conv";
  }
  const auto k = std::lround(std::sqrt(ka->second));
  const auto st = std::lround(std::sqrt(sa->second));
  // Grouped convs have models of their own: "dw" for depthwise (one input channel per
  // group), "g" for other grouped convs.
  std::string grouped;
  if (const auto g = features.find("group"); g != features.end() && g->second > 1) {
    const auto gc = features.find("group_channels");
    grouped = gc != features.end() && gc->second == 1 ? "dw" : "g";
  }
  if (static_cast<double>(k * k) == ka->second && static_cast<double>(st * st) == sa->second) {
    return fmt::format("conv@{}x{}/{}{}", k, k, st, grouped);
  }
  return fmt::format("conv@k{}/{}{}", ka->second, sa->second, grouped);
}

double LatencyFit::predict(const std::string& type, const Features& features) const {
  if (per_kernel_shape(type)) {
    if (const auto shaped = types.find(conv_shape_type(features)); shaped != types.end()) {
      return shaped->second.model.predict(features);
    }
  }
  const auto it = types.find(type);
  if (it != types.end()) {
    return it->second.model.predict(features);
  }
  return fallback.model.predict(features);
}

double block_ms(const LatencyFit& fit, const std::vector<profile::BlockPart>& parts) {
  return fit.block_correction.apply(block_parts_ms(fit, parts), parts.size());
}

void correct_block(const LatencyFit& fit, std::vector<double>& part_ms,
                   const std::vector<double>& boundary_bytes) {
  if (part_ms.size() < 2 || fit.block_correction.method == "none") {
    return;
  }
  double total = 0;
  for (const double ms : part_ms) {
    total += ms;
  }
  if (!(total > 0)) {
    return;
  }
  const double plain = fit.segment_ms(part_ms, boundary_bytes);
  const double delta = fit.block_correction.apply(plain, part_ms.size()) - plain;
  for (double& ms : part_ms) {
    ms = std::max(0.0, ms + delta * ms / total);
  }
}

std::string block_kind(const std::vector<profile::BlockPart>& parts) {
  const bool joins = std::any_of(parts.begin(), parts.end(),
                                 [](const profile::BlockPart& p) { return p.type == "concat"; });
  return joins ? "inception" : "residual";
}

BlockCorrection fit_block_correction(const LatencyFit& fit,
                                     const std::vector<profile::BlockTiming>& blocks,
                                     const std::vector<std::vector<profile::BlockPart>>& model_blocks) {
  BlockCorrection out;
  constexpr std::size_t kMinBlocks = 4;
  constexpr double kCovered = 2.0;  // measured / sum within [1/2, 2]
  std::set<std::string> kinds;
  for (const auto& parts : model_blocks) {
    kinds.insert(block_kind(parts));
  }
  std::vector<double> sum;
  std::vector<double> measured;
  std::vector<double> boundaries;
  for (const profile::BlockTiming& b : blocks) {
    if (!(b.ms > 0) || (!kinds.empty() && kinds.count(block_kind(b.parts)) == 0)) {
      continue;
    }
    const double parts = block_parts_ms(fit, b.parts);
    if (!(parts > 0) || b.ms / parts > kCovered || parts / b.ms > kCovered) {
      continue;
    }
    sum.push_back(parts);
    measured.push_back(b.ms);
    boundaries.push_back(static_cast<double>(b.parts.size() > 1 ? b.parts.size() - 1 : 1));
  }
  out.blocks = static_cast<int>(sum.size());
  if (sum.size() < kMinBlocks) {
    return out;
  }
  // Each method's value learned from the blocks in @p use.
  const auto learn = [&](const std::string& method, const std::vector<std::size_t>& use) {
    std::vector<double> v;
    for (const std::size_t i : use) {
      v.push_back(method == "factor" ? measured[i] / std::max(sum[i], 1e-9)
                                     : (sum[i] - measured[i]) / boundaries[i]);
    }
    return method == "none" ? 0.0 : stats::median(v);
  };
  const auto predict = [&](const std::string& method, double value, std::size_t i) {
    BlockCorrection c;
    c.method = method;
    c.value = value;
    return c.apply(sum[i], static_cast<std::size_t>(boundaries[i]) + 1);
  };
  std::map<std::string, std::vector<double>> ape;  // per method, each block's held-out APE
  for (const std::string method : {"none", "factor", "boundary"}) {
    for (std::size_t i = 0; i < sum.size(); ++i) {
      std::vector<std::size_t> others;
      for (std::size_t j = 0; j < sum.size(); ++j) {
        if (j != i) {
          others.push_back(j);
        }
      }
      ape[method].push_back(std::fabs(predict(method, learn(method, others), i) - measured[i]) /
                            measured[i]);
    }
    out.cv_mape[method] = stats::mean(ape[method]);
  }
  // A correction is adopted when it beats the plain sum by more than the noise of the
  // comparison: its mean gain in held-out APE over the blocks must exceed the gain's standard
  // error (the one-standard-error rule). Sixteen blocks cannot tell a gain of a few tenths of
  // a point from chance, and a correction adopted on chance moves every block of the model.
  const auto gain_is_clear = [&](const std::string& method) {
    std::vector<double> gain;
    for (std::size_t i = 0; i < sum.size(); ++i) {
      gain.push_back(ape["none"][i] - ape[method][i]);
    }
    const double n = static_cast<double>(gain.size());
    const double mean = stats::mean(gain);
    double ss = 0;
    for (const double g : gain) {
      ss += (g - mean) * (g - mean);
    }
    return mean > std::sqrt(ss / (n - 1) / n);
  };
  std::vector<std::size_t> all(sum.size());
  std::iota(all.begin(), all.end(), std::size_t{0});
  for (const std::string method : {"factor", "boundary"}) {
    if (out.cv_mape[method] < out.cv_mape[out.method] && gain_is_clear(method)) {
      out.method = method;
    }
  }
  out.value = learn(out.method, all);
  return out;
}

double block_parts_ms(const LatencyFit& fit, const std::vector<profile::BlockPart>& parts) {
  std::vector<double> ms;
  std::vector<double> bytes;
  for (const profile::BlockPart& p : parts) {
    ms.push_back(fit.predict(p.type, p.features));
    bytes.push_back(p.output_bytes);
  }
  return fit.segment_ms(ms, bytes);
}

double LatencyFit::segment_ms(const std::vector<double>& unit_ms,
                              const std::vector<double>& boundary_bytes) const {
  if (unit_ms.empty()) {
    return 0;
  }
  double sum = 0;
  double largest = 0;
  for (const double ms : unit_ms) {
    sum += ms;
    largest = std::max(largest, ms);
  }
  for (std::size_t i = 0; i + 1 < unit_ms.size(); ++i) {
    sum -= net_overhead_ms + net_overhead_per_byte_ms * (i < boundary_bytes.size() ? boundary_bytes[i] : 0.0);
  }
  return std::max(largest, sum);
}

std::pair<double, double> profile_net_overhead(const profile::Profile& profile) {
  if (!profile.net_overhead) {
    return {0.0, 0.0};
  }
  return {std::max(0.0, profile.net_overhead->ms),
          std::max(0.0, profile.net_overhead->per_byte_ms.value_or(0.0))};
}

RequestOverhead profile_request_overhead(const profile::Profile& profile) {
  RequestOverhead out;
  if (!profile.requests) {
    return out;
  }
  std::vector<double> bytes;
  std::vector<double> extra;
  for (const profile::RequestPoint& e : profile.requests->exits) {
    bytes.push_back(e.param_bytes);
    extra.push_back(e.ms - e.chain_ms);
    out.exits[e.exit] = std::max(0.0, extra.back());
  }
  const stats::Line line = stats::fit_nonnegative_line(bytes, extra);
  // Each extra net: the split chain against the whole one, less the warm boundaries the units'
  // fits already count; the median over the exits.
  const auto [boundary_ms, boundary_per_byte_ms] = profile_net_overhead(profile);
  std::vector<double> per_net;
  for (const profile::RequestPoint& e : profile.requests->exits) {
    if (e.split && e.split->nets > 1) {
      const double extra_nets = e.split->nets - 1;
      const double warm = extra_nets * boundary_ms + boundary_per_byte_ms * e.split->boundary_bytes;
      per_net.push_back(std::max(0.0, (e.split->ms - e.ms - warm) / extra_nets));
    }
  }
  if (!per_net.empty()) {
    out.net_ms = stats::median(per_net);
  }
  out.gap_ms = profile.requests->gap_ms;
  out.fixed_ms = line.intercept;
  out.per_param_byte_ms = line.slope;
  return out;
}

std::map<std::string, CodecCost> profile_codec_costs(const profile::Profile& profile) {
  std::map<std::string, CodecCost> out;
  std::map<std::pair<std::string, std::string>, std::pair<std::vector<double>, std::vector<double>>> points;
  for (const profile::CodecPoint& c : profile.codecs) {
    auto& [x, y] = points[{c.codec, c.op}];
    x.push_back(c.fp32_bytes);
    y.push_back(c.ms);
  }
  for (const auto& [key, xy] : points) {
    CodecCost& cost = out[key.first];
    (key.second == "encode" ? cost.encode : cost.decode) = stats::fit_nonnegative_line(xy.first, xy.second);
  }
  if (profile.requests) {
    for (const profile::CodecPoint& c : profile.requests->codecs) {
      const auto it = out.find(c.codec);
      if (it != out.end() && c.op == "encode") {
        it->second.encode_first_ms = c.ms;
      }
    }
  }
  return out;
}

LatencyFit fit_profile(const Artifact& profile, const FitSettings& options) {
  return fit_profile(profile::read_profile(profile), options);
}

LatencyFit fit_profile(const profile::Profile& profile, const FitSettings& options) {
  LatencyFit fit;
  fit.role = profile.role;
  if (fit.role.empty()) {
    throw SchemaError("must not be empty", profile.file, "role");
  }
  fit.model_sha256 = profile.model_sha256;
  fit.profile_sha256 = profile.sha256;

  std::map<std::string, std::vector<Sample>> train;
  std::map<std::string, std::vector<Sample>> near;
  std::map<std::string, std::vector<Sample>> heldout;
  std::vector<Sample> all_train;  // for the FLOPs fallback
  std::vector<const profile::ProfileUnit*> blocks;  // held-out blocks with their parts
  if (!profile.sweep) {
    profile.missing("sweep");
  }
  for (const profile::SweepTiming& p : *profile.sweep) {
    Sample s{p.features, p.ms};
    if (s.ms <= 0) {
      continue;  // a zero median cannot carry a relative error
    }
    train[p.type].push_back(s);
    if (p.near_model) {
      near[p.type].push_back(s);
    }
    all_train.push_back(s);
  }
  for (std::size_t i = 0; i < profile.units.size(); ++i) {
    const profile::ProfileUnit& u = profile.units[i];
    if (!u.features) {
      profile.missing(fmt::format("units[{}].features", i));
    }
    if (!u.type) {
      profile.missing(fmt::format("units[{}].type", i));
    }
    Sample s{*u.features, u.ms};
    if (!s.features.count("flops") && u.flops) {
      s.features["flops"] = *u.flops;
    }
    if (s.ms <= 0) {
      continue;
    }
    if (!u.parts.empty() && !options.include_units) {
      blocks.push_back(&u);  // predicted from its parts, once the types are fitted
      continue;
    }
    auto& dest = options.include_units ? train : heldout;
    dest[*u.type].push_back(s);
    if (options.include_units) {
      all_train.push_back(s);
    }
  }
  fit.fallback = fit_type("fallback", all_train, kFlops, options);
  for (const auto& [type, samples] : train) {
    const auto& names = edgent_features(type);
    if (names.empty() || !has_all(samples.front().features, names)) {
      continue;  // no Edgent model for this type: the FLOPs fallback covers it
    }
    const auto& local = near[type];
    const bool use_near = !options.include_units && local.size() >= std::max<std::size_t>(8, 3 * (names.size() + 2));
    fit.types[type] = fit_type(type, use_near ? local : samples, names, options);
    fit.types[type].train_set = use_near ? "near-model" : "sweep";
  }
  // Conv models per kernel shape, from the near-model points of that shape.
  if (const auto conv = fit.types.find("conv"); conv != fit.types.end() && conv->second.train_set == "near-model") {
    std::map<std::string, std::vector<Sample>> by_shape;
    for (const Sample& s : near["conv"]) {
      by_shape[conv_shape_type(s.features)].push_back(s);
    }
    const auto& names = edgent_features("conv");
    for (const auto& [shape, samples] : by_shape) {
      if (shape != "conv" && samples.size() >= std::max<std::size_t>(8, 3 * (names.size() + 2))) {
        fit.types[shape] = fit_type(shape, samples, names, options);
        fit.types[shape].train_set = "near-model";
      }
    }
  }
  for (const auto& [type, samples] : heldout) {
    if (!fit.types.count(type)) {
      log::warn("{}: no regression for unit type '{}': using the FLOPs-based fallback", profile.file,
                type);
      continue;
    }
    // Each type's held-out error is that of the predictions used (a conv's by its shape's
    // model when there is one); a shape's model also reports its own units.
    std::vector<double> predicted;
    std::map<std::string, std::pair<std::vector<double>, std::vector<Sample>>> by_shape;
    for (const Sample& s : samples) {
      predicted.push_back(fit.predict(type, s.features));
      if (per_kernel_shape(type) && fit.types.count(conv_shape_type(s.features))) {
        auto& [p, group] = by_shape[conv_shape_type(s.features)];
        p.push_back(predicted.back());
        group.push_back(s);
      }
    }
    fit.types[type].heldout = evaluate(predicted, samples);
    for (const auto& [shape, group] : by_shape) {
      fit.types[shape].heldout = evaluate(group.first, group.second);
    }
  }
  std::tie(fit.net_overhead_ms, fit.net_overhead_per_byte_ms) = profile_net_overhead(profile);
  std::vector<std::vector<profile::BlockPart>> model_blocks;
  for (const profile::ProfileUnit* b : blocks) {
    model_blocks.push_back(b->parts);
  }
  fit.block_correction = fit_block_correction(fit, profile.block_sweep, model_blocks);
  if (const BlockCorrection& c = fit.block_correction; !c.cv_mape.empty()) {
    log::verbose("{}: block correction '{}' (value {:.4g}) from {} synthetic blocks; "
                 "leave-one-block-out MAPE: none {:.1f}%, factor {:.1f}%, boundary {:.1f}%",
                 profile.file, c.method, c.value, c.blocks, 100 * c.cv_mape.at("none"),
                 100 * c.cv_mape.at("factor"), 100 * c.cv_mape.at("boundary"));
  }
  if (!blocks.empty()) {
    std::vector<double> ape;
    std::vector<double> ape_plain;
    for (const profile::ProfileUnit* b : blocks) {
      ape.push_back(std::fabs(block_ms(fit, b->parts) - b->ms) / b->ms);
      ape_plain.push_back(std::fabs(block_parts_ms(fit, b->parts) - b->ms) / b->ms);
    }
    log::verbose("{}: {} blocks predicted from their parts: held-out median error {:.1f}% "
                 "({:.1f}% as their plain sum)",
                 profile.file, blocks.size(), 100 * stats::median(ape),
                 100 * stats::median(ape_plain));
  }
  fit.request = profile_request_overhead(profile);
  fit.codecs = profile_codec_costs(profile);
  std::vector<Sample> load;
  for (const profile::LoadPoint& l : profile.load) {
    load.push_back({{{"model_bytes", l.model_bytes}}, l.ms});
  }
  if (load.size() >= 3) {
    fit.load = fit_type("load", load, edgent_features("load"), options);
  }
  return fit;
}

} // namespace edgent::regress
