#include "model/card_from_onnx.hpp"

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "model/model_card.hpp"
#include "model/onnx_graph.hpp"
#include "model/partition.hpp"
#include "model/reference_models.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <string>

namespace edgent::model {
namespace {

std::shared_ptr<const OnnxGraph> graph_of(const OnnxBuilder& b, const std::string& file) {
  return OnnxGraph::from_bytes(b.serialize(), file);
}

/// The message of the ConfigError that @p f throws, or "" when it throws none.
template <typename F> std::string config_error(F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return {};
}

TEST(CardFromOnnx, DescribesTheGraphAndLeavesTheUnknownNeutral) {
  const auto g = graph_of(resnet_exits_model(1), "resnet.onnx");
  const ModelCard card = card_from_onnx(*g, "resnet.onnx", "resnet", CardNormalization{});
  EXPECT_EQ(card.onnx_sha256, g->sha256());
  EXPECT_EQ(card.onnx_bytes, static_cast<std::int64_t>(g->model_bytes()));
  EXPECT_EQ(card.input_shape, (std::vector<std::int64_t>{1, 1, 28, 28}));
  ASSERT_EQ(card.exits.size(), 3u);
  const Partition p = analyse(*g);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(card.exits[i].output, g->outputs()[i]);
    EXPECT_FALSE(card.exits[i].accuracy);
    EXPECT_NEAR(static_cast<double>(card.exits[i].flops), p.exits[i].flops(0, p.exits[i].size()), 1.0);
  }
  EXPECT_EQ(card.classes.size(), 10u);
  EXPECT_FALSE(card.dataset);
  EXPECT_FALSE(card.training);
  EXPECT_FALSE(card.arch_only);
  EXPECT_EQ(card.norm_mean, std::vector<double>{0.0});
  // Units shared by the exits appear once, naming every exit that runs them.
  EXPECT_EQ(card.units.front().exits, (std::vector<int>{1, 2, 3}));
  // What it writes is what every tool reads, and it matches its ONNX.
  const ModelCard back = model_card_from_json(to_json(card), "card.json");
  EXPECT_EQ(back.units.size(), card.units.size());
  EXPECT_NO_THROW(check_card_matches_onnx(back, "card.json", *g));
}

TEST(CardFromOnnx, NormalisationMustFitTheChannels) {
  const auto g = graph_of(residual_model(1), "r.onnx");  // 3 channels
  CardNormalization norm;
  norm.mean = {0.5};
  norm.std = {0.2, 0.3, 0.4};
  const ModelCard card = card_from_onnx(*g, "r.onnx", "r", norm);
  EXPECT_EQ(card.norm_mean, (std::vector<double>{0.5, 0.5, 0.5}));
  norm.mean = {0.1, 0.2};
  EXPECT_NE(config_error([&] { card_from_onnx(*g, "r.onnx", "r", norm); }).find("--mean"),
            std::string::npos);
}

TEST(CardFromOnnx, ReferencesTheOnnxRelativeToTheCard) {
  EXPECT_EQ(onnx_reference("/a/b/m.onnx", "/a/b/card.json"), "m.onnx");
  EXPECT_EQ(onnx_reference("/a/m.onnx", "/a/b/card.json"), "../m.onnx");
  EXPECT_EQ(onnx_reference("/a/m.onnx", "-"), "/a/m.onnx");
}

class CardCheck : public ::testing::Test {
protected:
  std::shared_ptr<const OnnxGraph> m_graph = graph_of(inception_exits_model(2), "inc.onnx");
  ModelCard m_card = card_from_onnx(*m_graph, "inc.onnx", "inc", CardNormalization{});

  /// The message of the mismatch, which must name the card and @p key.
  std::string mismatch(const std::string& key) {
    const std::string what =
        config_error([&] { check_card_matches_onnx(m_card, "dir/inc.json", *m_graph); });
    EXPECT_NE(what.find("dir/inc.json"), std::string::npos) << what;
    EXPECT_NE(what.find(key), std::string::npos) << what;
    return what;
  }
};

TEST_F(CardCheck, AMatchingCardPasses) {
  EXPECT_NO_THROW(check_card_matches_onnx(m_card, "dir/inc.json", *m_graph));
}

TEST_F(CardCheck, AnotherSha256IsNamedWithBothValues) {
  m_card.onnx_sha256 = std::string(64, 'a');
  const std::string what = mismatch("onnx_sha256");
  EXPECT_NE(what.find(std::string(64, 'a')), std::string::npos) << what;
  EXPECT_NE(what.find(m_graph->sha256()), std::string::npos) << what;
}

TEST_F(CardCheck, AnotherByteCountIsNamedWithBothValues) {
  m_card.onnx_bytes += 1;
  const std::string what = mismatch("onnx_bytes");
  EXPECT_NE(what.find(std::to_string(m_card.onnx_bytes) + " bytes"), std::string::npos) << what;
  EXPECT_NE(what.find(std::to_string(m_graph->model_bytes()) + " bytes"), std::string::npos)
      << what;
}

TEST_F(CardCheck, AnotherInputShapeIsNamedWithBothValues) {
  m_card.input_shape = {1, 3, 32, 32};
  const std::string what = mismatch("input.shape");
  EXPECT_NE(what.find("[1, 3, 32, 32]"), std::string::npos) << what;
  EXPECT_NE(what.find("[1, 1, 28, 28]"), std::string::npos) << what;
}

TEST_F(CardCheck, SwappedOrUnknownExitOutputsAreNamed) {
  std::swap(m_card.exits[0].output, m_card.exits[1].output);
  std::string what = mismatch("exits[0].output");
  EXPECT_NE(what.find("'exit2'"), std::string::npos) << what;
  EXPECT_NE(what.find("'exit1'"), std::string::npos) << what;
  std::swap(m_card.exits[0].output, m_card.exits[1].output);
  m_card.exits[1].output = "logits";
  what = mismatch("exits[1].output");
  EXPECT_NE(what.find("'logits'"), std::string::npos) << what;
  m_card.exits.pop_back();
  what = mismatch("exits");
  EXPECT_NE(what.find("1 exits"), std::string::npos) << what;
  EXPECT_NE(what.find("2 graph outputs"), std::string::npos) << what;
}

TEST_F(CardCheck, VerifiedOnnxPathChecksTheFileOnDisk) {
  const testing::TempDir dir("card-check");
  write_file_atomic(dir.file("inc.onnx"), inception_exits_model(2).serialize());
  EXPECT_EQ(verified_onnx_path(m_card, dir.file("inc.json")), dir.file("inc.onnx"));
  m_card.input_shape = {1, 1, 32, 32};
  EXPECT_THROW(verified_onnx_path(m_card, dir.file("inc.json")), ConfigError);
}

} // namespace
} // namespace edgent::model
