// edgent-fit: per-layer-type latency regressions from a profile.
#include "cli/common_options.hpp"
#include "regress/fit_command.hpp"

#include <iostream>

int main(int argc, char** argv) {
  edgent::cli::CommonOptions common;
  edgent::regress::FitOptions opts;
  return edgent::cli::run_tool(
      "edgent-fit",
      "Fit per-layer-type latency regressions (Edgent features, plus FLOPs where it helps) to a "
      "profile; the model's own units are held out and report the error",
      argc, argv, common,
      [&](CLI::App& app) {
        edgent::cli::add_input(app, "profile,--profile", opts.profile, "Profile (edgent.profile/1)")
            ->required();
        edgent::cli::add_output(app, opts.output, "Fit (edgent.fit/1)");
        app.add_flag("--predict", opts.predict,
                     "Print predicted vs measured latency per unit and per exit chain on stderr");
        app.add_flag("--include-units", opts.fit.include_units,
                     "Also train on the model's units (nothing is held out then)");
        app.add_option("--folds", opts.fit.folds, "Cross-validation folds")
            ->capture_default_str()
            ->check(CLI::Range(2, 100));
      },
      [&] { return edgent::regress::run(opts, std::cerr); });
}
