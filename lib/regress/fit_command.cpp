#include "regress/fit_command.hpp"

#include "core/artifact.hpp"
#include "core/log.hpp"
#include "core/stats.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <ostream>

namespace edgent::regress {

std::pair<double, double> write_prediction_report(const profile::Profile& profile,
                                                  const LatencyFit& fit, std::ostream& out) {
  std::map<std::int64_t, std::vector<double>> chain_units;
  std::map<std::int64_t, std::vector<double>> chain_plain;  // blocks as the plain sum of parts
  std::map<std::int64_t, std::vector<double>> chain_bytes;  // output bytes per unit
  std::vector<double> unit_ape;
  fmt::print(out, "{:>4} {:>4}  {:<28} {:<8} {:>10} {:>10} {:>7}\n", "exit", "unit", "name", "type",
             "measured", "predicted", "error");
  for (std::size_t i = 0; i < profile.units.size(); ++i) {
    const profile::ProfileUnit& u = profile.units[i];
    const auto need = [&](const auto& value, const char* key) {
      if (!value) {
        profile.missing(fmt::format("units[{}].{}", i, key));
      }
      return *value;
    };
    Features f = need(u.features, "features");
    if (!f.count("flops") && u.flops) {
      f["flops"] = *u.flops;
    }
    const std::string type = need(u.type, "type");
    const double measured = u.ms;
    const double predicted = u.parts.empty() ? fit.predict(type, f) : block_ms(fit, u.parts);
    const std::int64_t exit = need(u.exit, "exit");
    chain_units[exit].push_back(predicted);
    chain_plain[exit].push_back(u.parts.empty() ? predicted : block_parts_ms(fit, u.parts));
    chain_bytes[exit].push_back(u.output_bytes);
    const double ape = measured > 0 ? std::fabs(predicted - measured) / measured : 0.0;
    unit_ape.push_back(ape);
    const int unit = need(u.unit, "unit");
    fmt::print(out, "{:>4} {:>4}  {:<28} {:<8} {:>8.4f}ms {:>8.4f}ms {:>6.1f}%{}\n", exit, unit,
               need(u.name, "name").substr(0, 28), type, measured, predicted, 100 * ape,
               !u.parts.empty()
                   ? fmt::format(" (from {} parts; their plain sum {:.4f}ms, {:.1f}%)",
                                 u.parts.size(), chain_plain[exit].back(),
                                 100 * std::fabs(chain_plain[exit].back() - measured) / measured)
               : fit.has_type(type) ? std::string()
                                    : std::string(" (fallback)"));
  }
  if (!profile.exits) {
    profile.missing("exits");
  }
  double worst_chain = 0;
  // "plain sum": the chain's error with its blocks as the plain sums of their parts, without
  // the block correction that predictions and plans apply.
  fmt::print(out, "\n{:>4}  {:>12} {:>12} {:>7} {:>9}\n", "exit", "measured", "predicted", "error",
             "plain sum");
  for (const profile::ProfileExit& e : *profile.exits) {
    const std::int64_t exit = e.exit;
    const double measured = e.ms;
    const double predicted = fit.segment_ms(chain_units[exit], chain_bytes[exit]);
    const double plain = fit.segment_ms(chain_plain[exit], chain_bytes[exit]);
    const double err = measured > 0 ? std::fabs(predicted - measured) / measured : 0.0;
    const double plain_err = measured > 0 ? std::fabs(plain - measured) / measured : 0.0;
    worst_chain = std::max(worst_chain, err);
    fmt::print(out, "{:>4}  {:>10.4f}ms {:>10.4f}ms {:>6.1f}% {:>8.1f}%\n", exit, measured, predicted,
               100 * err, 100 * plain_err);
  }
  double median = 0;
  if (!unit_ape.empty()) {
    median = stats::median(unit_ape);
  }
  fmt::print(out, "\nunits: median error {:.1f}% over {} units; exit chains: worst error {:.1f}%\n",
             100 * median, unit_ape.size(), 100 * worst_chain);
  if (const BlockCorrection& c = fit.block_correction; !c.cv_mape.empty()) {
    fmt::print(out,
               "block correction (applied to blocks): {} (value {:.4g}) from {} synthetic "
               "blocks; leave-one-block-out MAPE none {:.1f}%, factor {:.1f}%, boundary {:.1f}%\n",
               c.method, c.value, c.blocks, 100 * c.cv_mape.at("none"),
               100 * c.cv_mape.at("factor"), 100 * c.cv_mape.at("boundary"));
  }
  return {median, worst_chain};
}

int run(const FitOptions& options, std::ostream& report) {
  const profile::Profile profile = profile::read_profile(read_artifact(options.profile, "profile"));
  const LatencyFit fit = fit_profile(profile, options.fit);
  write_artifact(options.output, to_json(fit), "fit", "edgent-fit");
  for (const auto& [type, f] : fit.types) {
    log::verbose("{}: {} samples, train MAPE {:.1f}%, CV MAPE {:.1f}%{}", type, f.train.n,
                 100 * f.train.mape, 100 * f.cv_mape,
                 f.heldout ? fmt::format(", held-out median error {:.1f}% on {} units",
                                         100 * f.heldout->median_ape, f.heldout->n)
                           : std::string());
  }
  if (options.predict) {
    write_prediction_report(profile, fit, report);
  }
  return 0;
}

} // namespace edgent::regress
