// edgent-plan: choose the exit, cut, order and codec of one co-inference (Edgent's planner),
// or sweep bandwidth/deadline ranges for every strategy.
#include "cli/common_options.hpp"
#include "eval/eval_command.hpp"
#include "plan/model_input_options.hpp"
#include "plan/plan_command.hpp"

int main(int argc, char** argv) {
  edgent::cli::CommonOptions common;
  edgent::plan::PlanOptions opts;
  return edgent::cli::run_tool(
      "edgent-plan",
      "Plan one DNN co-inference: the most accurate exit/cut/order/codec whose predicted "
      "latency meets the deadline (exit 3 when none does: the fastest plan is written, flagged).",
      argc, argv, common,
      [&](CLI::App& app) {
        opts.inputs.measure_accuracy = edgent::eval::measure_accuracy_quietly;
        edgent::plan::add_model_input_options(app, opts.inputs);
        app.add_option("--bandwidth", opts.bandwidth_kbps, "Bandwidth both ways, kbit/s")
            ->check(edgent::cli::positive());
        app.add_option("--up", opts.up_kbps, "Uplink bandwidth, kbit/s (default: --bandwidth)")
            ->check(edgent::cli::positive());
        app.add_option("--down", opts.down_kbps,
                       "Downlink bandwidth, kbit/s (default: --bandwidth)")
            ->check(edgent::cli::positive());
        edgent::cli::add_input(app, "--trace", opts.trace,
                               "Bandwidth trace (CSV t_s,bandwidth_kbps); use its value at --at");
        app.add_option("--at", opts.at_s, "Time in the trace, seconds")
            ->capture_default_str()
            ->check(edgent::cli::non_negative());
        app.add_option("--scale", opts.scale, "Multiply the trace's bandwidth")
            ->capture_default_str()
            ->check(edgent::cli::positive());
        app.add_option("--rtt", opts.rtt_ms,
                       "Round-trip time, ms (one RTT per offload; default: the measured RTT of "
                       "a profile with a network section, else 0)")
            ->check(edgent::cli::non_negative())
            ->each([&](const std::string&) { opts.rtt_set = true; });
        edgent::cli::add_input(app, "--network", opts.network_profile,
                               "Profile (edgent.profile/1) whose measured network (edgent-profile "
                               "--edge) sets the RTT, per-transfer costs and, without --bandwidth, "
                               "the rates (default: --device-profile's, else --edge-profile's)");
        app.add_option("--queue", opts.queue_ms, "Expected edge queueing, ms")
            ->capture_default_str()
            ->check(edgent::cli::non_negative());
        app.add_option("--device-scale", opts.device_scale,
                       "The device's speed against its fit: plan its compute and codec at the "
                       "fit's times x this (edgent-infer's records give the speed it measured "
                       "as device_scale)")
            ->capture_default_str()
            ->check(edgent::cli::positive());
        app.add_option("--deadline", opts.deadline_ms, "Latency requirement, ms")
            ->check(edgent::cli::positive());
        app.add_option("--strategy", opts.strategy,
                       "edgent, device-only, edge-only, partition-only or exit-only")
            ->capture_default_str()
            ->check(CLI::IsMember({"edgent", "device-only", "edge-only", "partition-only",
                                   "exit-only"}));
        edgent::cli::add_input(app, "--cascades", opts.cascades,
                               "Cascade table (edgent.cascade/1, edgent-eval --cascades): plan a "
                               "confidence cascade with the cut (one-exit entries are fixed exits)");
        edgent::plan::add_cascade_latency_option(app, opts.cascade_latency);
        edgent::cli::add_output(app, opts.output, "Plan (edgent.plan/1) or sweep (edgent.sweep/1)");
        app.add_option("--sweep-bandwidth", opts.sweep_bandwidth,
                       "Sweep bandwidth lo:hi:n kbit/s (geometric) for every strategy");
        app.add_option("--sweep-deadline", opts.sweep_deadline,
                       "Sweep deadline lo:hi:n ms (linear) for every strategy");
        app.add_option("--csv", opts.csv, "Also write the sweep table as CSV")
            ->type_name("FILE")
            ->check(edgent::cli::input_path());
        app.add_option("--time-decisions", opts.time_decisions,
                       "Time N decisions and print microseconds per decision on stderr")
            ->check(edgent::cli::count())
            ->group("");
        app.get_option("--trace")->excludes("--bandwidth");
      },
      [&] { return edgent::plan::run(opts); });
}
