// edgent-eval: top-1 accuracy of every (exit, cut, codec) -> edgent.accuracy/1, with
// --write-card the model card of a bare ONNX, or with --bench the partitioning benchmarks (split overhead, codec throughput, bytes on the wire).
#include "cli/common_options.hpp"
#include "eval/eval_command.hpp"

int main(int argc, char** argv) {
  edgent::cli::CommonOptions common;
  edgent::eval::EvalOptions opts;
  return edgent::cli::run_tool(
      "edgent-eval",
      "Measure the accuracy of every (exit, cut, codec) of a model on a labelled test set, "
      "or benchmark partitioned execution (--bench)",
      argc, argv, common,
      [&](CLI::App& app) {
        edgent::cli::add_input(app, "--model", opts.model,
                               "model card (edgent.model/1): its ONNX and normalisation; or a bare ONNX (pixel / 255)");
        edgent::cli::add_input(app, "--onnx", opts.onnx,
                               "bare ONNX model instead of a card, normalised by --scale/--mean/--std "
                               "(--bench without either: built-in branchy AlexNet)");
        edgent::cli::add_input(app, "--data", opts.data,
                               "Fashion-MNIST directory (t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz])");
        app.add_option("--limit", opts.limit, "test samples to use, 0 = all")->capture_default_str();
        auto* scale = app.add_option("--scale", opts.scale, "with --onnx: x = (pixel * scale - mean) / std")
            ->capture_default_str()->check(edgent::cli::positive());
        auto* mean = app.add_option("--mean", opts.mean, "with --onnx: mean per channel (or one value)")
            ->capture_default_str();
        auto* sd = app.add_option("--std", opts.std, "with --onnx: std per channel (or one value)")
            ->capture_default_str()->check(edgent::cli::positive());
        app.get_option("--model")->excludes("--onnx");
        for (auto* opt : {scale, mean, sd}) {
          app.get_option("--model")->excludes(opt);
        }
        app.add_option("--codecs", opts.codecs,
                       "codecs to measure: fp32 fp16 int8, each optionally +zstd (default all)")
            ->delimiter(',');
        app.add_option("--threads", opts.threads,
                       "OpenCV threads, process-wide (0 = OpenCV default)")
            ->capture_default_str()->check(edgent::cli::non_negative());
        edgent::cli::add_output(app, opts.output, "accuracy table (edgent.accuracy/1), or cascade table with --cascades");
        app.add_option("--write-card", opts.card_output,
                       "with --onnx: write its model card (edgent.model/1) here; with --data "
                       "also the accuracy table (-o) and the card's accuracies")
            ->excludes("--model");
        app.add_option("--name", opts.name,
                       "with --write-card: the card's name (default: the ONNX file's stem)")
            ->needs("--write-card");
        app.add_flag("--cascades", opts.cascades,
                     "write the cascade table (edgent.cascade/1) instead: accuracy and exit "
                     "distribution of every exit set at every threshold of --thresholds");
        app.add_option("--thresholds", opts.thresholds,
                       "with --cascades: the threshold grid, each in [0, 1] (default 0,0.5,0.6,"
                       "0.7,0.8,0.85,0.9,0.93,0.95,0.97,0.98,0.99,0.995,0.999,1)")
            ->delimiter(',');
        app.add_flag("--bench", opts.bench,
                     "print split overhead, codec throughput and bytes on the wire instead")
            ->excludes("--write-card");
        app.add_option("--reps", opts.reps, "benchmark repetitions")->capture_default_str()
            ->check(edgent::cli::positive());
      },
      [&] {
        opts.progress = common.progress_mode();
        return edgent::eval::run(opts);
      });
}
