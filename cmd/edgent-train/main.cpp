// edgent-train: trains the 5-exit branchy AlexNet (libtorch, CPU), exports it to ONNX and
// writes its edgent.model/1 card with per-exit accuracy measured by OpenCV DNN.

#include "cli/common_options.hpp"
#include "core/error.hpp"
#include "train/train_command.hpp"

#include <string>
#include <vector>

int main(int argc, char** argv) {
  using namespace edgent;
  train::TrainOptions opts;
  train::BenchOptions bench;
  cli::CommonOptions common;
  return cli::run_tool(
      "edgent-train",
      "Train a 5-exit branchy AlexNet on Fashion-MNIST (or CIFAR-10), export it to ONNX and "
      "write its model card",
      argc, argv, common,
      [&](CLI::App& app) {
        app.add_option("--data", opts.data_dir, "Dataset directory")->capture_default_str();
        app.add_option("--dataset", opts.dataset, "fashion-mnist or cifar10 (binary version)")
            ->capture_default_str()
            ->check(CLI::IsMember({"fashion-mnist", "cifar10"}));
        app.add_option("--epochs", opts.epochs, "Training epochs")
            ->capture_default_str()
            ->check(CLI::Range(1, 1000));
        app.add_option("--batch-size", opts.batch_size, "Images per step")
            ->capture_default_str()
            ->check(CLI::Range(1, 65536));
        app.add_option("--lr", opts.lr, "Peak learning rate (cosine decay to 0)")
            ->capture_default_str()
            ->check(cli::positive());
        app.add_option("--optimizer", opts.optimizer, "adam or sgd")
            ->capture_default_str()
            ->check(CLI::IsMember({"adam", "sgd"}));
        app.add_option("--momentum", opts.momentum, "SGD momentum in [0, 1)")->capture_default_str();
        app.add_option("--weight-decay", opts.weight_decay, "L2 weight decay in [0, 1)")
            ->capture_default_str();
        app.add_option("--loss-weights", opts.loss_weights,
                       "Weights of the exits' cross-entropy losses, w1,...,w5")
            ->delimiter(',')
            ->expected(5)
            ->capture_default_str();
        app.add_flag("--flip,!--no-flip", opts.flip, "Flip training images horizontally at random");
        app.add_option("--seed", opts.seed, "Random seed (weights, shuffling, flips)")
            ->capture_default_str();
        app.add_option("--threads", opts.threads, "Torch and OpenCV threads")
            ->capture_default_str()
            ->check(CLI::Range(1, 256));
        app.add_option("--train-limit", opts.train_limit, "Use the first N training images (0 = all)")
            ->capture_default_str();
        app.add_option("--test-limit", opts.test_limit, "Use the first N test images (0 = all)")
            ->capture_default_str();
        app.add_flag("--arch-only", opts.arch_only,
                     "Export the architecture with random weights (accuracy null), no training");
        app.add_option("--input", opts.input,
                       "Input CxHxW (default: the dataset's; 3x224x224 with --arch-only)");
        app.add_option("-o,--output", opts.output,
                       "Output directory, or the card path <name>.json (<name>.onnx beside it)")
            ->capture_default_str();
        app.add_option("--name", opts.name, "Model name (default from dataset or input)");
        app.add_option("--check-samples", opts.check_samples,
                       "Test images for the libtorch-vs-OpenCV export check")
            ->capture_default_str()
            ->check(CLI::Range(1, 10000));
        app.add_option("--bench", bench.card,
                       "Instead of training: time libtorch vs OpenCV DNN per exit for a model card")
            ->type_name("CARD");
        app.add_option("--bench-reps", bench.reps, "Timed runs per exit and engine for --bench")
            ->capture_default_str()
            ->check(CLI::Range(1, 100000));
        app.final_callback([&] { train::validate(opts); });
      },
      [&] {
        opts.progress = common.progress_mode();
        if (!bench.card.empty()) {
          return train::run(bench);
        }
        return train::run(opts);
      });
}
