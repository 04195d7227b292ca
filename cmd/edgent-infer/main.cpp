// edgent-infer: the device side of co-inference: runs requests under a fixed plan, a live plan
// from latency fits, or a config map, offloading to edgent-serve, and records every request.
#include "cli/common_options.hpp"
#include "core/parse_number.hpp"
#include "plan/model_input_options.hpp"
#include "runtime/infer_command.hpp"

int main(int argc, char** argv) {
  edgent::cli::CommonOptions common;
  edgent::runtime::InferOptions opts;
  double quota = 0;  // parsed for --help's type only; opts.cpu_quota holds the value
  return edgent::cli::run_tool(
      "edgent-infer",
      "Run DNN co-inference requests on the device, offloading to an edge server "
      "(edgent-serve) under a fixed plan, a live plan from latency fits, or a config map.",
      argc, argv, common,
      [&](CLI::App& app) {
        edgent::cli::add_input(app, "--model", opts.model,
                               "Model card (edgent.model/1): ONNX, input shape, normalisation; or a bare ONNX")
            ->required();
        auto* plan = edgent::cli::add_input(app, "--plan", opts.plan,
                                            "Fixed plan (edgent.plan/1)");
        auto* map = edgent::cli::add_input(app, "--map", opts.map,
                                           "Config map (edgent.configmap/1): dynamic mode");
        edgent::cli::add_input(app, "--device-fit", opts.device_fit,
                               "Device latency fit (edgent.fit/1): plan live from the estimate");
        edgent::cli::add_input(app, "--edge-fit", opts.edge_fit,
                               "Edge latency fit (edgent.fit/1)");
        edgent::cli::add_input(app, "--accuracy", opts.accuracy,
                               "Accuracy table (edgent.accuracy/1), optional");
        app.add_option("--deadline", opts.deadline_ms,
                       "Latency requirement, ms (default: the plan's or map's)")
            ->check(edgent::cli::positive());
        app.add_option("--strategy", opts.strategy,
                       "With fits: edgent, device-only, edge-only, partition-only or exit-only")
            ->capture_default_str()
            ->check(CLI::IsMember({"edgent", "device-only", "edge-only", "partition-only",
                                   "exit-only"}));
        edgent::cli::add_input(app, "--cascades", opts.cascades,
                               "With fits: cascade table (edgent.cascade/1, edgent-eval "
                               "--cascades): plan each request's confidence cascade with the cut "
                               "at its network and device speed");
        edgent::plan::add_cascade_latency_option(app, opts.cascade_latency);
        app.add_option("--bandwidth", opts.bandwidth_kbps,
                       "Bandwidth prior, kbit/s, until the estimator has a value")
            ->check(edgent::cli::positive());
        app.add_option("--rtt", opts.rtt_ms, "RTT prior, ms, until measured")
            ->capture_default_str()
            ->check(edgent::cli::non_negative());
        app.add_option("--queue", opts.queue_ms,
                       "Expected queueing at the edge, ms: the prior of the online estimate "
                       "from the waits the edge reports")
            ->capture_default_str()
            ->check(edgent::cli::non_negative());
        app.add_flag("--no-queue-estimate", opts.no_queue_estimate,
                     "Plan at --queue always, whatever the edge reports (load-blind)");
        app.add_flag("--no-device-speed", opts.no_device_speed,
                     "Plan the device's times as its fit predicts them, not scaled by the "
                     "device's measured speed");
        auto* data = app.add_option("--data", opts.data,
                                    "Fashion-MNIST directory (test split, IDX .gz)")
                         ->type_name("DIR");
        auto* images = app.add_option("--images", opts.images,
                                      "Directory of images, or a file listing image paths")
                           ->type_name("DIR|LIST");
        auto* tensors = edgent::cli::add_input(
            app, "--tensors", opts.tensors,
            "Raw float32 little-endian tensors of the input shape, concatenated");
        data->excludes(images)->excludes(tensors);
        images->excludes(tensors);
        plan->excludes(map);
        app.add_option("--count", opts.count, "Number of requests (default: every input)")
            ->check(edgent::cli::count());
        app.add_option("--offset", opts.offset, "First input")->capture_default_str();
        app.add_option("--rate", opts.rate,
                       "Open loop: requests per second, latency from the scheduled start "
                       "(default: closed loop); 0.001 (one request per 1000 s) to 1000000")
            ->check(edgent::cli::number_in(1e-3, 1e6, "requests/s"));
        app.add_option("--cv-threads", opts.cv_threads, "OpenCV threads on the device (0 = all)")
            ->capture_default_str()
            ->check(edgent::cli::non_negative());
        auto* quota_opt =
            app.add_option("--cpu-quota", quota,
                           "Run the device side under a cgroup CPU quota of this many CPUs (e.g. "
                           "0.25) to emulate a slow device under sustained load (a request "
                           "shorter than the quota's slice runs at full speed); needs root")
                ->check(edgent::cli::positive())
                ->each([&](const std::string& v) { opts.cpu_quota = edgent::parse_double(v).value(); });
        edgent::cli::add_slowdown(app, opts.slowdown)->excludes(quota_opt);
        app.add_flag("--oracle", opts.oracle,
                     "With fits and --emulate-trace or --link-trace: plan each request at the "
                     "link's true bandwidth at its start instead of the measured estimate (an "
                     "upper bound for comparisons; sends no probes)");
        edgent::cli::add_input(app, "--link-trace", opts.link_trace,
                               "The trace (CSV t_s,bandwidth_kbps, times --trace-scale) that a "
                               "link shaped outside this process replays from the start of the "
                               "run (tc on a testbed): the true bandwidth of --oracle and of the "
                               "records");
        app.add_option("--link-trace-start", opts.link_trace_start_unix,
                       "When --link-trace's time 0 was, seconds since the Unix epoch (when "
                       "the testbed began replaying it; default: the start of the run)")
            ->check(edgent::cli::positive());
        app.add_flag("--no-probe", opts.no_probe, "Never send bandwidth probes");
        app.add_option("--link-burst", opts.link_burst_bytes,
                       "Bytes the link passes at line rate after an idle spell (a token "
                       "bucket's depth, e.g. tc tbf's burst): smaller transfers do not see its "
                       "rate, so only transfers of 2x this inform the bandwidth estimate, at "
                       "the rate of their bytes beyond it, and probes carry at least 2x it "
                       "(0 = a link that paces every byte)")
            ->capture_default_str()
            ->check(CLI::Range(std::size_t{0}, std::size_t{1} << 30));
        edgent::cli::add_output(app, opts.output, "Results, one JSON line per request");
        app.add_option("--summary", opts.summary, "Summary (edgent.run/1)")
            ->type_name("FILE")
            ->check(edgent::cli::input_path());
        app.add_option("--logits", opts.logits,
                       "Each request's logits, one CSV line per request: id,exit,v1,...")
            ->type_name("FILE")
            ->check(edgent::cli::input_path());
        edgent::net::add_edge_options(app, opts.net);
      },
      [&] { return edgent::runtime::run(opts); });
}
