// edgent-mapbuild: segment bandwidth traces into states and store the best co-inference plan
// per state (edgent.configmap/1); `evaluate` replays traces through detector + map.
#include "cli/common_options.hpp"
#include "dynamic/mapbuild_command.hpp"
#include "eval/eval_command.hpp"
#include "plan/model_input_options.hpp"

int main(int argc, char** argv) {
  edgent::cli::CommonOptions common;
  edgent::dynamic::MapbuildOptions opts;
  edgent::dynamic::EvaluateOptions eval;
  CLI::App* evaluate = nullptr;
  return edgent::cli::run_tool(
      "edgent-mapbuild",
      "Build the configuration map of Edgent's dynamic mode: offline change points (PELT on "
      "log-bandwidth) -> bandwidth states -> the best plan per state (by --objective).",
      argc, argv, common,
      [&](CLI::App& app) {
        auto& s = opts.settings;
        app.fallthrough();
        opts.inputs.measure_accuracy = edgent::eval::measure_accuracy_quietly;
        edgent::plan::add_model_input_options(app, opts.inputs, /*model_required=*/false);
        app.add_option("--trace", opts.traces,
                       "Trace CSV files, directories (every *.csv but index.csv) or globs, "
                       "required")
            ->type_name("PATH");
        app.add_option("--scale", opts.scale, "Multiply every trace's bandwidth")
            ->capture_default_str()
            ->check(edgent::cli::positive());
        edgent::cli::add_output(app, opts.output, "Config map (edgent.configmap/1)");
        app.add_option("--deadline", opts.deadline_ms, "Latency requirement, ms")
            ->check(edgent::cli::positive());
        app.add_option("--rtt", opts.rtt_ms, "Round-trip time, ms")
            ->capture_default_str()
            ->check(edgent::cli::non_negative());
        app.add_option("--queue", opts.queue_ms, "Expected edge queueing, ms")
            ->capture_default_str()
            ->check(edgent::cli::non_negative());
        app.add_option("--resolution", s.resolution,
                       "State bin ratio: states are [r^k, r^(k+1)) kbps")
            ->capture_default_str()
            ->check(CLI::Range(1.01, 100.0));
        app.add_option("--bin", s.segmentation.bin_s, "Segmentation bin, seconds")
            ->capture_default_str()
            ->check(edgent::cli::positive());
        app.add_option("--penalty-k", s.segmentation.penalty_k,
                       "PELT penalty k in k*sigma^2*ln(n)")
            ->capture_default_str()
            ->check(edgent::cli::positive());
        app.add_option("--min-segment", s.segmentation.min_segment, "Minimum segment, bins")
            ->capture_default_str()
            ->check(CLI::Range(1, 100000));
        app.add_option("--hazard-run", s.detector.hazard_run,
                       "Detector: expected run length, samples")
            ->capture_default_str()
            ->check(CLI::Range(1.0, 1e9));
        app.add_option("--sigma", s.detector.sigma, "Detector: noise of ln-bandwidth")
            ->capture_default_str()
            ->check(edgent::cli::positive());
        app.add_option("--up-margin", s.up_margin,
                       "Hysteresis: move up a state only this fraction above its bound")
            ->capture_default_str()
            ->check(edgent::cli::non_negative());
        app.add_option("--step", s.step_s, "Detector sampling period (evaluate replay step), s")
            ->capture_default_str()
            ->check(edgent::cli::positive());
        app.add_option_function<std::string>(
               "--objective",
               [&](const std::string& v) { s.objective.kind = edgent::plan::parse_objective(v); },
               "What each state's plan maximises: accuracy (the highest accuracy whose predicted "
               "latency meets the deadline, ties to lower latency) or reward (exp(accuracy) + "
               "throughput, the paper's dynamic reward)")
            ->default_str("accuracy")
            ->type_name("NAME");
        app.add_option_function<std::string>(
               "--throughput-unit",
               [&](const std::string& v) {
                 s.objective.throughput_unit_ms = edgent::plan::parse_throughput_unit(v);
               },
               "Reward objective: throughput is inferences per this unit of time (us, ms or s); "
               "the larger the unit, the more the reward favours fast plans over accurate ones")
            ->default_str("ms")
            ->type_name("UNIT");
        edgent::cli::add_input(app, "--cascades", opts.cascades,
                               "Cascade table (edgent.cascade/1, edgent-eval --cascades): every "
                               "state plans a confidence cascade with the cut");
        edgent::plan::add_cascade_latency_option(app, opts.cascade_latency);
        evaluate = app.add_subcommand(
            "evaluate", "Replay traces through detector + map against the per-sample oracle "
                        "and a static plan at each trace's mean bandwidth (deadline, RTT, detector and "
                        "step come from the map)");
        edgent::cli::add_input(*evaluate, "--map", eval.map, "Config map (edgent.configmap/1)")
            ->required();
        edgent::plan::add_model_input_options(*evaluate, opts.inputs, /*model_required=*/false);
        evaluate
            ->add_option("--trace", opts.traces,
                         "Trace CSV files, directories (every *.csv but index.csv) or globs, "
                         "required")
            ->type_name("PATH");
        evaluate->add_option("--scale", opts.scale, "Multiply every trace's bandwidth")
            ->capture_default_str()
            ->check(edgent::cli::positive());
        edgent::cli::add_input(*evaluate, "--cascades", opts.cascades,
                               "Cascade table (edgent.cascade/1): the oracle and the static plan "
                               "search its cascades, as the map's states were planned (the "
                               "latency statistic is the map's); without it they are fixed exits");
        edgent::cli::add_output(*evaluate, eval.output, "Evaluation (edgent.evaluation/1)");
      },
      [&] {
        if (evaluate->parsed()) {
          // Model inputs and traces may come before or after `evaluate`: both bind the same
          // variables.
          eval.inputs = opts.inputs;
          eval.traces = opts.traces;
          eval.scale = opts.scale;
          eval.cascades = opts.cascades;
          if (eval.output == "-") {
            eval.output = opts.output;
          }
          return edgent::dynamic::run(eval);
        }
        return edgent::dynamic::run(opts);
      });
}
