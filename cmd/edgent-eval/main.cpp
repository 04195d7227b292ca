// edgent-eval: top-1 accuracy of every (exit, cut, codec) -> edgent.accuracy/1, or with
// --bench the partitioning benchmarks (split overhead, codec throughput, bytes on the wire).
#include "cli/common_options.hpp"
#include "eval/eval.hpp"

int main(int argc, char** argv) {
  edgent::cli::CommonOptions common;
  edgent::eval::EvalOptions opts;
  return edgent::cli::run_tool(
      "edgent-eval",
      "Measure the accuracy of every (exit, cut, codec) of a model on a labelled test set, "
      "or benchmark partitioned execution (--bench)",
      argc, argv, common,
      [&](CLI::App& app) {
        edgent::cli::add_input(app, "--onnx", opts.onnx, "ONNX model (--bench: default built-in branchy AlexNet)");
        edgent::cli::add_input(app, "--idx-images", opts.images, "gzipped IDX test images");
        edgent::cli::add_input(app, "--idx-labels", opts.labels, "gzipped IDX test labels");
        app.add_option("--limit", opts.limit, "test samples to use, 0 = all")->capture_default_str();
        app.add_option("--scale", opts.scale, "pixel scale: x = (pixel * scale - mean) / std")
            ->capture_default_str()->check(edgent::cli::positive());
        app.add_option("--mean", opts.mean, "mean per channel (or one value)")->capture_default_str();
        app.add_option("--std", opts.std, "std per channel (or one value)")->capture_default_str()
            ->check(edgent::cli::positive());
        app.add_option("--codecs", opts.codecs,
                       "codecs to measure: fp32 fp16 int8, each optionally +zstd (default all)")
            ->delimiter(',');
        app.add_option("--threads", opts.threads,
                       "OpenCV threads, process-wide (0 = OpenCV default)")
            ->capture_default_str()->check(CLI::NonNegativeNumber);
        edgent::cli::add_output(app, opts.output, "accuracy table (edgent.accuracy/1)");
        app.add_flag("--bench", opts.bench,
                     "print split overhead, codec throughput and bytes on the wire instead");
        app.add_option("--reps", opts.reps, "benchmark repetitions")->capture_default_str()
            ->check(edgent::cli::positive());
      },
      [&] {
        opts.progress = common.progress_mode();
        return edgent::eval::run(opts);
      });
}
