#include "train/branchy_arch.hpp"

#include "core/error.hpp"

#include <gtest/gtest.h>

#include <set>

namespace edgent::train {
namespace {

TEST(BranchyArch, DefaultNetworkHasFiveExitsAndAPaperSizedCost) {
  const Shape in{1, 28, 28};
  const BranchyArch arch = branchy_alexnet(in);
  ASSERT_EQ(arch.exits(), 5);
  const auto graph = place(arch, in);
  std::int64_t total = 0;
  for (const auto& l : graph) {
    total += l.flops;
  }
  EXPECT_GE(exit_flops(graph, 5), 50'000'000);
  EXPECT_LE(total, 200'000'000);
  for (int k = 1; k < 5; ++k) {
    EXPECT_LT(exit_flops(graph, k), exit_flops(graph, k + 1)) << "exit " << k;
  }
  // conv1: 2 * 1*5*5 * 32 * 28*28 FLOPs, 32*25 + 32 parameters.
  EXPECT_EQ(graph[0].spec->name, "conv1");
  EXPECT_EQ(graph[0].flops, 2 * 25 * 32 * 28 * 28);
  EXPECT_EQ(graph[0].params, 32 * 25 + 32);
  EXPECT_EQ(graph[0].exits, (std::vector<int>{1, 2, 3, 4, 5}));
}

TEST(BranchyArch, EveryExitEndsInItsNamedClassifier) {
  const Shape in{1, 28, 28};
  const BranchyArch arch = branchy_alexnet(in);
  const auto graph = place(arch, in);
  std::set<std::string> names;
  int outputs = 0;
  for (const auto& l : graph) {
    EXPECT_TRUE(names.insert(l.output).second) << "duplicate tensor " << l.output;
    if (l.output.rfind("exit", 0) == 0) {
      ++outputs;
      EXPECT_EQ(l.spec->type, LayerType::fc);
      EXPECT_EQ(l.out, (Shape{10, 1, 1}));
      EXPECT_EQ(l.exits, (std::vector<int>{std::stoi(l.output.substr(4))}));
    }
  }
  EXPECT_EQ(outputs, 5);
  for (const auto& l : graph) {
    const bool after_flatten = l.spec->name == "drop6" || l.spec->name == "relu6" ||
                               l.spec->name == "fc6" || l.spec->type == LayerType::flatten;
    if (after_flatten) {
      EXPECT_TRUE(l.flat) << l.spec->name;
    }
    if (l.spec->type == LayerType::conv || l.spec->type == LayerType::max_pool) {
      EXPECT_FALSE(l.flat) << l.spec->name;
    }
  }
  // Each layer reads a tensor written before it.
  std::set<std::string> seen{"input"};
  for (const auto& l : graph) {
    EXPECT_TRUE(seen.count(l.input)) << l.spec->name << " reads " << l.input;
    seen.insert(l.output);
  }
}

TEST(BranchyArch, ImageNetSizedFamilyMember) {
  const Shape in{3, 224, 224};
  const auto graph = place(branchy_alexnet(in), in);
  // The AlexNet trunk: conv1 11x11/4 gives 64x55x55, pool5 256x6x6.
  EXPECT_EQ(graph[0].out, (Shape{64, 55, 55}));
  EXPECT_GT(exit_flops(graph, 5), 1'000'000'000);
  EXPECT_GT(exit_params(graph, 5), 50'000'000);
}

TEST(BranchyArch, TooSmallInputIsAConfigError) {
  const Shape in{1, 3, 3};  // pool2 would leave nothing
  EXPECT_THROW(place(branchy_alexnet(in), in), ConfigError);
}

TEST(ParseShape, AcceptsCxHxWOnly) {
  EXPECT_EQ(parse_shape("3x224x224"), (Shape{3, 224, 224}));
  EXPECT_EQ(parse_shape("1X28X28"), (Shape{1, 28, 28}));
  for (const char* bad : {"", "3x224", "3x224x224x1", "ax2x2", "0x28x28", "3x4x4", "3x224x99999",
                          "3x-2x28"}) {
    EXPECT_THROW(parse_shape(bad), UsageError) << bad;
  }
}

} // namespace
} // namespace edgent::train
