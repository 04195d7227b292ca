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

std::pair<double, double> write_prediction_report(const Artifact& profile, const LatencyFit& fit,
                                                  std::ostream& out) {
  const JsonView root = profile.root();
  const std::string ms = profile_estimate_key(root);
  std::map<std::int64_t, std::vector<double>> chain_units;
  std::map<std::int64_t, std::vector<double>> chain_bytes;  // output bytes per unit
  std::vector<double> unit_ape;
  fmt::print(out, "{:>4} {:>4}  {:<28} {:<8} {:>10} {:>10} {:>7}\n", "exit", "unit", "name", "type",
             "measured", "predicted", "error");
  for (const JsonView& u : root.at("units").elements()) {
    Features f;
    for (const std::string& key : u.at("features").keys()) {
      f[key] = u.at("features").at(key).number();
    }
    if (!f.count("flops") && u.has("flops")) {
      f["flops"] = u.at("flops").number();
    }
    const std::string type = u.at("type").string();
    const double measured = u.at(ms).number();
    const double predicted = fit.predict(type, f);
    const std::int64_t exit = u.at("exit").integer();
    chain_units[exit].push_back(predicted);
    chain_bytes[exit].push_back(u.has("output_bytes") ? u.at("output_bytes").number(0, 1e15) : 0.0);
    const double ape = measured > 0 ? std::fabs(predicted - measured) / measured : 0.0;
    unit_ape.push_back(ape);
    fmt::print(out, "{:>4} {:>4}  {:<28} {:<8} {:>8.4f}ms {:>8.4f}ms {:>6.1f}%{}\n", exit,
               u.at("unit").integer(), u.at("name").string().substr(0, 28), type, measured,
               predicted, 100 * ape, fit.has_type(type) ? "" : " (fallback)");
  }
  double worst_chain = 0;
  fmt::print(out, "\n{:>4}  {:>12} {:>12} {:>7}\n", "exit", "measured", "predicted", "error");
  for (const JsonView& e : root.at("exits").elements()) {
    const std::int64_t exit = e.at("exit").integer();
    const double measured = e.at(ms).number();
    const double predicted = fit.segment_ms(chain_units[exit], chain_bytes[exit]);
    const double err = measured > 0 ? std::fabs(predicted - measured) / measured : 0.0;
    worst_chain = std::max(worst_chain, err);
    fmt::print(out, "{:>4}  {:>10.4f}ms {:>10.4f}ms {:>6.1f}%\n", exit, measured, predicted, 100 * err);
  }
  double median = 0;
  if (!unit_ape.empty()) {
    median = stats::median(unit_ape);
  }
  fmt::print(out, "\nunits: median error {:.1f}% over {} units; exit chains: worst error {:.1f}%\n",
             100 * median, unit_ape.size(), 100 * worst_chain);
  return {median, worst_chain};
}

int run(const FitOptions& options, std::ostream& report) {
  const Artifact profile = read_artifact(options.profile, "profile");
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
