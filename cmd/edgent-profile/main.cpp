// edgent-profile: measured unit, exit, loading and single-layer latencies on this machine.
#include "cli/common_options.hpp"
#include "core/error.hpp"
#include "net/net_options.hpp"
#include "profile/profile_command.hpp"

int main(int argc, char** argv) {
  edgent::cli::CommonOptions common;
  edgent::profile::ProfileOptions opts;
  std::string older;
  double quota = 0;
  bool no_sweep = false;
  edgent::profile::NetworkProbeOptions network;
  std::string net_sizes;
  return edgent::cli::run_tool(
      "edgent-profile",
      "Measure a model's execution units, whole-model forward per exit, loading time and a "
      "synthetic single-layer sweep on this machine, for one role (device, edge, ...)",
      argc, argv, common,
      [&](CLI::App& app) {
        edgent::cli::add_input(app, "-m,--model", opts.model, "ONNX model or model card (edgent.model/1)")
            ->required();
        app.add_option("--role", opts.role, "Role label recorded in the profile")->capture_default_str();
        edgent::cli::add_output(app, opts.output, "Profile (edgent.profile/1)");
        app.add_option("--warmup", opts.warmup, "Untimed rounds of runs before timing starts")
            ->capture_default_str()->check(CLI::Range(0, 1000));
        app.add_option("--reps", opts.reps,
                       "Timed runs per unit and exit, at least (default 31, 93 under --cpu-quota; "
                       "each run is a sample, all are kept)")
            ->check(CLI::Range(1, 100000))
            ->each([&](const std::string&) { opts.reps_set = true; });
        app.add_option("--threads", opts.threads, "OpenCV threads")
            ->capture_default_str()->check(CLI::Range(1, 1024));
        auto* quota_opt = app.add_option("--cpu-quota", quota,
                                         "Run under a cgroup CPU quota of this many CPUs (e.g. "
                                         "0.25) to emulate a slow device under sustained load; "
                                         "needs root")
                              ->check(edgent::cli::positive());
        edgent::cli::add_slowdown(app, opts.slowdown)->excludes(quota_opt);
        app.add_option("--sweep-points", opts.sweep_options.points_per_type,
                       "Synthetic configurations per layer type (conv gets twice as many)")
            ->capture_default_str()->check(CLI::Range(3, 10000));
        app.add_option("--sweep-reps", opts.sweep_options.reps,
                       "Timed runs per sweep configuration (default 9, 27 under --cpu-quota)")
            ->check(CLI::Range(1, 10000))
            ->each([&](const std::string&) { opts.sweep_options.reps_set = true; });
        app.add_option("--anchor-points", opts.anchor_points,
                       "Sweep variants around each distinct layer configuration of the model")
            ->capture_default_str()->check(CLI::Range(0, 1000));
        app.add_option("--sweep-max-flops", opts.sweep_options.max_flops,
                       "Heaviest synthetic layer, FLOPs (default: 4x the model's largest unit, "
                       "from 2e7 up to 4e8)")
            ->check(edgent::cli::positive())
            ->each([&](const std::string&) { opts.sweep_options.max_flops_set = true; });
        app.add_option("--request-gap-ms", opts.request_gap_ms,
                       "Also time each exit's chain as a request arriving after this long idle "
                       "(edgent-serve and edgent-infer run requests so: caches and clocks cool "
                       "between them); fits add the difference per segment (0 = skip)")
            ->capture_default_str()
            ->check(edgent::cli::number_in(0, 10000, "ms"));
        app.add_flag("--no-sweep", no_sweep, "Skip the synthetic sweep (the profile cannot be fitted then)");
        app.add_option("--if-older-than", older,
                       "Only re-profile when the output is older than this (90s, 30m, 12h, 7d); for cron");
        edgent::net::add_edge_options(app, network.edge);
        app.get_option("--edge")->description(
            "Also measure the network to this edge server (edgent-serve): RTT and transfer "
            "time by size each way, with fitted rates. HOST:PORT, http://HOST:PORT, or "
            "https://HOST:PORT with --ca")
            ->default_str("");
        app.add_option("--net-sizes", net_sizes,
                       "Payload sizes timed each way with --edge, bytes, K or M suffix "
                       "(default 1K,4K,16K,64K,256K,1M)")
            ->type_name("LIST");
        app.add_option("--net-reps", network.reps, "Timed transfers per size and direction")
            ->capture_default_str()->check(CLI::Range(1, 10000));
        app.add_option("--net-rtt-reps", network.rtt_reps, "Timed round trips (GET /v1/health)")
            ->capture_default_str()->check(CLI::Range(1, 100000));
        app.callback([&] {
          if (app.count("--edge") > 0) {
            if (!net_sizes.empty()) {
              network.sizes = edgent::profile::parse_sizes(net_sizes);
            }
            edgent::profile::validate(network);
            opts.network = network;
          } else {
            for (const char* o : {"--net-sizes", "--net-reps", "--net-rtt-reps", "--token-file",
                                  "--ca", "--emulate-trace", "--trace-scale",
                                  "--connect-timeout-ms", "--timeout-ms"}) {
              if (app.count(o) > 0) {
                throw edgent::UsageError(std::string(o) + " needs --edge");
              }
            }
          }
          if (quota > 0) {
            opts.cpu_quota = quota;
          }
          opts.sweep = !no_sweep;
          if (!older.empty()) {
            opts.if_older_than_s = edgent::profile::parse_duration_s(older);
          }
        });
      },
      [&] { return edgent::profile::run(opts, static_cast<int>(common.progress_mode())); });
}
