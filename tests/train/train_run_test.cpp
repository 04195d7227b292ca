// A CI-sized training run end to end, and the command line's failure modes.

#include "train/train_command.hpp"

#include "core/error.hpp"
#include "data/dataset.hpp"
#include "model/model_card.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <unistd.h>
#include <opencv2/dnn.hpp>

#include <filesystem>
#include <fstream>
#include <string>

namespace edgent::train {
namespace {

namespace fs = std::filesystem;

bool have_fashion_mnist() {
  return fs::exists(std::string(data::kFashionMnistDir) + "/train-images-idx3-ubyte.gz");
}

/// Runs edgent-train with @p args; returns the exit status and fills @p err with stderr.
int run_tool(const std::string& args, std::string& err) {
  const testing::RunResult r = testing::run_tool("edgent-train", args);
  err = r.err;
  return r.code;
}

TrainOptions ci_options(const fs::path& out) {
  TrainOptions o;
  o.train_limit = 2000;
  o.test_limit = 500;
  o.epochs = 2;
  o.batch_size = 64;
  o.threads = 1;
  o.check_samples = 16;
  o.output = (out / "ci.json").string();
  o.progress = Progress::Mode::quiet;
  return o;
}

TEST(TrainRun, CiSizedRunExportsAModelOpenCvRunsAboveChance) {
  if (!have_fashion_mnist()) {
    GTEST_SKIP() << "dataset-fashion-mnist not installed";
  }
  const testing::TempDir tmp("train-ci");
  const fs::path& dir = tmp.path();
  ASSERT_EQ(run(ci_options(dir)), 0);  // includes the libtorch-vs-OpenCV 1e-4 check
  const std::string card_path = (dir / "ci.json").string();
  const model::ModelCard card = model::read_model_card(card_path);
  EXPECT_FALSE(card.arch_only);
  EXPECT_EQ(card.input_shape, (std::vector<std::int64_t>{1, 1, 28, 28}));
  ASSERT_EQ(card.exits.size(), 5u);
  ASSERT_TRUE(card.dataset.has_value());
  EXPECT_EQ(card.dataset->test_samples, 500);
  ASSERT_TRUE(card.training.has_value());
  EXPECT_GT(card.training->seconds, 0);

  // Re-measure exit accuracy with OpenCV from the files alone: it must match the card and
  // beat chance (10%) clearly.
  const std::string onnx = model::onnx_path(card, card_path);
  cv::dnn::Net net = cv::dnn::readNetFromONNX(onnx);
  const data::Dataset test =
      data::load_fashion_mnist(data::kFashionMnistDir, data::Split::test, 500);
  const data::Normalization norm{card.norm_scale, card.norm_mean, card.norm_std};
  std::vector<int> correct(5, 0);
  std::vector<float> image(test.image_values());
  for (std::size_t i = 0; i < test.size(); ++i) {
    data::to_float(test, norm, i, 1, image);
    net.setInput(cv::Mat(std::vector<int>{1, 1, 28, 28}, CV_32F, image.data()));
    std::vector<cv::Mat> outs;
    net.forward(outs, std::vector<std::string>{"exit1", "exit2", "exit3", "exit4", "exit5"});
    for (int k = 0; k < 5; ++k) {
      cv::Point best;
      cv::minMaxLoc(outs[k].reshape(1, 1), nullptr, nullptr, nullptr, &best);
      correct[k] += best.x == test.labels[i];
    }
  }
  for (int k = 0; k < 5; ++k) {
    const double acc = correct[k] / 500.0;
    EXPECT_NEAR(acc, *card.exits[k].accuracy, 1e-9) << "exit" << k + 1;
    EXPECT_GT(acc, 0.3) << "exit" << k + 1;
    EXPECT_GT(card.exits[k].confidence->mean, 0.1);
  }
  fs::remove_all(dir);
}

TEST(TrainRun, SameSeedSameModel) {
  if (!have_fashion_mnist()) {
    GTEST_SKIP() << "dataset-fashion-mnist not installed";
  }
  std::string sha[2];
  for (int i = 0; i < 2; ++i) {
    const testing::TempDir tmp("train-repro");
    const fs::path& dir = tmp.path();
    TrainOptions o = ci_options(dir);
    o.train_limit = 256;
    o.test_limit = 32;
    o.epochs = 1;
    o.flip = true;
    ASSERT_EQ(run(o), 0);
    sha[i] = model::read_model_card(o.output).onnx_sha256;
    fs::remove_all(dir);
  }
  EXPECT_EQ(sha[0], sha[1]);
}

TEST(TrainRun, Cifar10FilesWrittenByTheTest) {
  const testing::TempDir tmp("train-cifar");
  const fs::path& dir = tmp.path();
  auto write_batch = [&](const std::string& name, int n) {
    std::ofstream out(dir / name, std::ios::binary);
    for (int i = 0; i < n; ++i) {
      out.put(static_cast<char>(i % 10));
      for (int p = 0; p < 3072; ++p) {
        out.put(static_cast<char>((i * 31 + p * 7) % 256));
      }
    }
  };
  write_batch("data_batch_1.bin", 40);
  write_batch("test_batch.bin", 10);
  TrainOptions o = ci_options(dir);
  o.dataset = "cifar10";
  o.data_dir = dir.string();
  o.epochs = 1;
  o.check_samples = 4;
  o.output = dir.string();
  ASSERT_EQ(run(o), 0);
  const model::ModelCard card = model::read_model_card((dir / "branchy-alexnet-cifar10.json").string());
  EXPECT_EQ(card.input_shape, (std::vector<std::int64_t>{1, 3, 32, 32}));
  EXPECT_EQ(card.norm_mean.size(), 3u);
  EXPECT_EQ(card.classes[1], "automobile");
  fs::remove_all(dir);
}

TEST(TrainRun, ArchOnlyCardSaysAccuracyIsUnknown) {
  const testing::TempDir tmp("train-arch");
  const fs::path& dir = tmp.path();
  std::string err;
  ASSERT_EQ(run_tool("--arch-only --input 1x32x32 --quiet -o " + dir.string(), err), 0) << err;
  EXPECT_EQ(err, "");
  const model::ModelCard card = model::read_model_card((dir / "branchy-alexnet-1x32x32.json").string());
  EXPECT_TRUE(card.arch_only);
  EXPECT_FALSE(card.dataset.has_value());
  for (const auto& e : card.exits) {
    EXPECT_FALSE(e.accuracy.has_value());
  }
  ASSERT_EQ(run_tool("--arch-only --input 1x32x32 -o " + dir.string(), err), 0);
  EXPECT_NE(err.find("accuracy is null"), std::string::npos) << err;
  fs::remove_all(dir);
}

TEST(TrainCli, NonsenseHyperParametersAreUsageErrors) {
  std::string err;
  for (const char* args : {"--epochs 0", "--lr -1", "--lr nan", "--batch-size 0",
                           "--loss-weights 1,2", "--loss-weights 1,1,1,1,-1",
                           "--loss-weights 0,0,0,0,0", "--momentum 1.5", "--threads 0",
                           "--input 3x2", "--dataset imagenet", "--optimizer rmsprop"}) {
    EXPECT_EQ(run_tool(std::string(args) + " --data /nonexistent", err), 2) << args;
    EXPECT_NE(err.find("edgent-train: error: "), std::string::npos) << args << ": " << err;
  }
}

TEST(TrainCli, MissingDatasetNamesTheDebianPackage) {
  const testing::TempDir tmp("train-missing");
  const fs::path& dir = tmp.path();
  std::string err;
  EXPECT_EQ(run_tool("--data /nonexistent/fmnist -o " + dir.string(), err), 1);
  EXPECT_NE(err.find("dataset-fashion-mnist"), std::string::npos) << err;
  EXPECT_TRUE(fs::is_empty(dir));
  fs::remove_all(dir);
}

TEST(TrainCli, CorruptDatasetNamesFileAndOffset) {
  const testing::TempDir tmp("train-corrupt");
  const fs::path& dir = tmp.path();
  {
    std::ofstream(dir / "train-images-idx3-ubyte", std::ios::binary)
        .write("\x00\x00\x08\x03\x00\x00\x00\x0a\x00\x00\x00\x1c\x00\x00\x00\x1c\x01\x02", 18);
    std::ofstream(dir / "train-labels-idx1-ubyte", std::ios::binary)
        .write("\x00\x00\x08\x01\x00\x00\x00\x02\x01\x02", 10);
  }
  std::string err;
  EXPECT_EQ(run_tool("--data " + dir.string() + " -o " + dir.string() + "/m.json", err), 1);
  EXPECT_NE(err.find("train-images-idx3-ubyte: truncated at offset 18"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(dir / "m.json"));
  fs::remove_all(dir);
}

TEST(TrainCli, UnwritableOutputFailsBeforeTrainingAndLeavesNoFile) {
  std::string err;
  EXPECT_EQ(run_tool("--arch-only --input 1x28x28 -o /nonexistent-dir/m.json", err), 1);
  EXPECT_NE(err.find("/nonexistent-dir"), std::string::npos) << err;
  const testing::TempDir tmp("train-unwritable");
  const fs::path& dir = tmp.path();
  // A path through a regular file can never be created, even by root.
  std::ofstream(dir / "file").put('x');
  EXPECT_EQ(run_tool("--arch-only --input 1x28x28 -o " + (dir / "file" / "m.json").string(), err), 1);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}), 1);
  fs::remove_all(dir);
}

} // namespace
} // namespace edgent::train
