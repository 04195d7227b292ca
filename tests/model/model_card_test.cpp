#include "model/model_card.hpp"

#include "core/artifact.hpp"
#include "core/error.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace edgent::model {
namespace {

ModelCard sample_card() {
  ModelCard c;
  c.name = "tiny";
  c.onnx = "tiny.onnx";
  c.onnx_sha256 = std::string(64, 'a');
  c.onnx_bytes = 1234;
  c.input_shape = {1, 1, 28, 28};
  c.norm_mean = {0.286};
  c.norm_std = {0.353};
  c.classes = {"a", "b"};
  c.dataset = DatasetCard{"fashion-mnist", "/data", 60000, 10000};
  c.seed = 7;
  c.training = TrainingCard{5, 128, 1e-3, "adam", 0.9, 0.0, {0.5, 1.0}, false, 1, 812.5};
  c.exits.push_back(ExitCard{1, "exit1", 0.85, 5'000'000, 25'000, Distribution{0.8, 0.4, 0.9, 1.0},
                             Distribution{0.5, 0.01, 0.3, 1.2}, {}, {}});
  c.exits.push_back(ExitCard{2, "exit2", 0.91, 59'000'000, 1'280'000, std::nullopt, std::nullopt,
                             {}, {}});
  c.units.push_back(UnitCard{"conv1", "conv", "conv1", 1'254'400, 832, {1, 2}, {1, 32, 28, 28}});
  return c;
}

TEST(ModelCard, RoundTripsThroughJson) {
  const ModelCard c = sample_card();
  const ModelCard r = model_card_from_json(to_json(c), "card.json");
  EXPECT_EQ(r.name, "tiny");
  EXPECT_EQ(r.input_shape, c.input_shape);
  ASSERT_TRUE(r.training.has_value());
  EXPECT_EQ(r.training->loss_weights, c.training->loss_weights);
  EXPECT_DOUBLE_EQ(r.training->seconds, 812.5);
  ASSERT_EQ(r.exits.size(), 2u);
  EXPECT_DOUBLE_EQ(*r.exits[1].accuracy, 0.91);
  EXPECT_DOUBLE_EQ(r.exits[0].confidence->p50, 0.9);
  EXPECT_FALSE(r.exits[1].entropy.has_value());
  ASSERT_EQ(r.units.size(), 1u);
  EXPECT_EQ(r.units[0].exits, (std::vector<int>{1, 2}));
}

TEST(ModelCard, WritesAndReadsAStampedArtifact) {
  const testing::TempDir tmp("model-card");
  const auto& dir = tmp.path();
  const std::string path = (dir / "tiny.json").string();
  write_model_card(path, sample_card(), "edgent-train");
  const ModelCard r = read_model_card(path);
  EXPECT_EQ(r.seed, 7);
  EXPECT_EQ(onnx_path(r, path), (dir / "tiny.onnx").string());
  EXPECT_THROW(read_artifact(path, "plan"), SchemaError);
}

TEST(ModelCard, ArchOnlyCardsMustNotClaimAccuracy) {
  ModelCard c = sample_card();
  c.arch_only = true;
  try {
    model_card_from_json(to_json(c), "card.json");
    FAIL() << "accepted";
  } catch (const SchemaError& e) {
    EXPECT_NE(e.message().find("exits[0].accuracy"), std::string::npos) << e.message();
  }
  for (auto& e : c.exits) {
    e.accuracy.reset();
  }
  EXPECT_NO_THROW(model_card_from_json(to_json(c), "card.json"));
}

TEST(ModelCard, RejectsBadValuesNamingTheKey) {
  auto doc = to_json(sample_card());
  doc["normalization"]["std"] = {0.0};
  EXPECT_THROW(model_card_from_json(doc, "card.json"), SchemaError);
  doc = to_json(sample_card());
  doc["exits"][1]["exit"] = 3;
  EXPECT_THROW(model_card_from_json(doc, "card.json"), SchemaError);
  doc = to_json(sample_card());
  doc["onnx_sha256"] = "xyz";
  EXPECT_THROW(model_card_from_json(doc, "card.json"), SchemaError);
  doc = to_json(sample_card());
  doc["exits"][0]["accuracy"] = 1.5;
  EXPECT_THROW(model_card_from_json(doc, "card.json"), SchemaError);
  doc = to_json(sample_card());
  doc["input"]["shape"] = {1, 28, 28};
  EXPECT_THROW(model_card_from_json(doc, "card.json"), SchemaError);
}

TEST(ModelCard, KeepsTheHandWrittenChains) {
  const std::string file = EDGENT_TEST_DATA_DIR "/plan/model.json";
  const ModelCard card = read_model_card(file);
  ASSERT_EQ(card.exits.size(), 5U);
  EXPECT_FALSE(card.exits[0].chain.empty());
  EXPECT_EQ(card.exits[0].cuts.front(), 0);
  nlohmann::json doc = read_artifact(file, "model").doc;
  doc.erase("schema");
  doc.erase("generator");
  EXPECT_EQ(to_json(card), doc) << "the planner's extension round-trips";

  doc["exits"][1]["chain"][0].erase("flops");
  doc["exits"][1]["chain"][0]["features"].erase("flops");
  try {
    (void)model_card_from_json(doc, "m.json");
    FAIL() << "no error";
  } catch (const SchemaError& e) {
    EXPECT_EQ(e.key(), "exits[1].chain[0].flops");
  }
}

TEST(Summarize, MeanAndInterpolatedPercentiles) {
  const Distribution d = summarize({5, 1, 2, 3, 4, 6, 7, 8, 9, 10, 0});
  EXPECT_DOUBLE_EQ(d.mean, 5.0);
  EXPECT_DOUBLE_EQ(d.p50, 5.0);
  EXPECT_DOUBLE_EQ(d.p10, 1.0);
  EXPECT_DOUBLE_EQ(d.p90, 9.0);
  EXPECT_DOUBLE_EQ(summarize({}).mean, 0.0);
}

} // namespace
} // namespace edgent::model
