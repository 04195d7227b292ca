#include "regress/latency_fit.hpp"

#include "core/error.hpp"
#include "profile/profile_json.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>

namespace edgent::regress {
namespace {

/// conv latency = 0.02 + 1e-6 in_size + 2e-4 filter_term (+ noise); relu = 0.001 + 5e-7 in_size.
nlohmann::json synthetic_profile(int sweep_per_type, bool with_units) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> in(1e3, 1e6);
  std::uniform_real_distribution<double> ft(10, 5000);
  nlohmann::json sweep = nlohmann::json::array();
  for (int i = 0; i < sweep_per_type; ++i) {
    const double a = in(rng);
    const double b = ft(rng);
    sweep.push_back({{"type", "conv"},
                     {"features", {{"in_size", a}, {"filter_term", b}, {"flops", a * b}}},
                     {"median_ms", 0.02 + 1e-6 * a + 2e-4 * b}});
    sweep.push_back({{"type", "relu"}, {"features", {{"in_size", a}, {"flops", a}}}, {"median_ms", 0.001 + 5e-7 * a}});
  }
  nlohmann::json units = nlohmann::json::array();
  if (with_units) {
    // Units 10 % slower than the sweep law: the held-out error must show exactly that.
    units.push_back({{"type", "conv"},
                     {"features", {{"in_size", 784.0 * 64}, {"filter_term", 9.0 * 128}, {"flops", 1e7}}},
                     {"median_ms", 1.1 * (0.02 + 1e-6 * 784 * 64 + 2e-4 * 9 * 128)}});
    units.push_back({{"type", "gather"}, {"features", {{"flops", 1e5}}}, {"median_ms", 0.01}});
  }
  nlohmann::json load = nlohmann::json::array();
  for (double bytes : {1e5, 1e6, 4e6, 8e6}) {
    load.push_back({{"model_bytes", bytes}, {"median_ms", 0.5 + bytes * 1e-6}});
  }
  return {{"schema", "edgent.profile/1"},
          {"role", "device"},
          {"provenance", {{"model_sha256", "m0"}}},
          {"sweep", sweep},
          {"units", units},
          {"load", load}};
}

Artifact as_artifact(const nlohmann::json& doc) {
  return parse_artifact(doc.dump(), "p.json", "profile");
}

TEST(LatencyFit, RecoversSweepLawAndHoldsOutUnits) {
  const LatencyFit fit = fit_profile(as_artifact(synthetic_profile(20, true)), {});
  ASSERT_TRUE(fit.has_type("conv"));
  const TypeFit& conv = fit.types.at("conv");
  EXPECT_LT(conv.train.mape, 1e-6);
  EXPECT_EQ(conv.train.n, 20u) << "units must not be in the training set";
  ASSERT_TRUE(conv.heldout.has_value());
  EXPECT_EQ(conv.heldout->n, 1u);
  EXPECT_NEAR(conv.heldout->mape, 0.1 / 1.1, 1e-6);
  EXPECT_NEAR(fit.predict("relu", {{"in_size", 1e5}, {"flops", 1e5}}), 0.001 + 0.05, 1e-6);
  EXPECT_EQ(fit.role, "device");
  EXPECT_EQ(fit.model_sha256, "m0");
  ASSERT_TRUE(fit.load.has_value());
  EXPECT_NEAR(fit.load->model.predict({{"model_bytes", 2e6}}), 2.5, 1e-6);
}

/// fc latency = 0.01 + 1e-5 in_size + 1e-4 out_size, + 0.003 behind a Flatten when
/// @p with_flatten (else the feature is left out, as profiles made before it were).
nlohmann::json fc_profile(bool with_flatten) {
  nlohmann::json doc = synthetic_profile(20, false);
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> in(16, 4000);
  std::uniform_real_distribution<double> out(10, 500);
  for (int i = 0; i < 30; ++i) {
    const double a = std::round(in(rng));
    const double b = std::round(out(rng));
    const double flat = i % 2;
    nlohmann::json features = {{"in_size", a}, {"out_size", b}, {"flops", 2 * a * b}};
    if (with_flatten) {
      features["flatten"] = flat;
    }
    doc["sweep"].push_back({{"type", "fc"},
                            {"features", features},
                            {"median_ms", 0.01 + 1e-5 * a + 1e-4 * b + (with_flatten ? 0.003 * flat : 0.0)}});
  }
  return doc;
}

TEST(LatencyFit, AnFcBehindAFlattenPaysForItWhenTheSweepHasBoth) {
  const LatencyFit fit = fit_profile(as_artifact(fc_profile(true)), {});
  ASSERT_TRUE(fit.has_type("fc"));
  const double plain = 0.01 + 1e-5 * 32 + 1e-4 * 10;
  EXPECT_NEAR(fit.predict("fc", {{"in_size", 32}, {"out_size", 10}, {"flops", 640}, {"flatten", 1}}),
              plain + 0.003, 1e-6);
  EXPECT_NEAR(fit.predict("fc", {{"in_size", 32}, {"out_size", 10}, {"flops", 640}, {"flatten", 0}}),
              plain, 1e-6);
  // A profile from before the feature still fits, on the Edgent features.
  const LatencyFit old = fit_profile(as_artifact(fc_profile(false)), {});
  EXPECT_NEAR(old.predict("fc", {{"in_size", 32}, {"out_size", 10}, {"flops", 640}}), plain, 1e-6);
}

/// conv latency = 0.02 + 1e-6 in_size + 2e-4 filter_term + 3e-5 out_size (with @p with_out:
/// else out_size is left out of the features and the time, as profiles made before it were).
nlohmann::json conv_out_profile(bool with_out) {
  nlohmann::json doc = synthetic_profile(0, false);
  std::mt19937_64 rng(13);
  std::uniform_real_distribution<double> in(1e3, 1e5);
  std::uniform_real_distribution<double> ft(10, 5000);
  std::uniform_real_distribution<double> out(1e3, 2e5);
  for (int i = 0; i < 30; ++i) {
    const double a = std::round(in(rng));
    const double b = std::round(ft(rng));
    const double o = std::round(out(rng));
    nlohmann::json features = {{"in_size", a}, {"filter_term", b}, {"flops", a * b}};
    if (with_out) {
      features["out_size"] = o;
    }
    doc["sweep"].push_back({{"type", "conv"},
                            {"features", features},
                            {"median_ms", 0.02 + 1e-6 * a + 2e-4 * b + (with_out ? 3e-5 * o : 0.0)}});
    doc["sweep"].push_back({{"type", "relu"}, {"features", {{"in_size", a}, {"flops", a}}}, {"median_ms", 0.001 + 5e-7 * a}});
  }
  return doc;
}

TEST(LatencyFit, AConvThatWritesALargeOutputPaysForItWhenTheSweepShowsIt) {
  // A stem conv: one input channel, 16 filters, a large output for few FLOPs.
  const model::Features stem{{"in_size", 784}, {"filter_term", 144}, {"flops", 784 * 144}, {"out_size", 12544}};
  const LatencyFit fit = fit_profile(as_artifact(conv_out_profile(true)), {});
  ASSERT_TRUE(fit.has_type("conv"));
  const std::vector<std::string>& names = fit.types.at("conv").model.names;
  EXPECT_NE(std::find(names.begin(), names.end(), "out_size"), names.end());
  EXPECT_NEAR(fit.predict("conv", stem), 0.02 + 1e-6 * 784 + 2e-4 * 144 + 3e-5 * 12544, 1e-6);
  // A profile from before the feature fits on the Edgent features and predicts without it.
  const LatencyFit old = fit_profile(as_artifact(conv_out_profile(false)), {});
  const std::vector<std::string>& old_names = old.types.at("conv").model.names;
  EXPECT_EQ(std::find(old_names.begin(), old_names.end(), "out_size"), old_names.end());
  EXPECT_NEAR(old.predict("conv", stem), 0.02 + 1e-6 * 784 + 2e-4 * 144, 1e-6);
}

TEST(LatencyFit, IncludingUnitsMovesThemIntoTraining) {
  FitSettings o;
  o.include_units = true;
  const LatencyFit fit = fit_profile(as_artifact(synthetic_profile(20, true)), o);
  EXPECT_EQ(fit.types.at("conv").train.n, 21u);
  EXPECT_FALSE(fit.types.at("conv").heldout.has_value());
}

TEST(LatencyFit, UnknownTypesUseTheFlopsFallback) {
  const LatencyFit fit = fit_profile(as_artifact(synthetic_profile(20, true)), {});
  EXPECT_FALSE(fit.has_type("gather"));
  EXPECT_GE(fit.predict("gather", {{"flops", 1e5}}), 0.0);
  EXPECT_EQ(fit.fallback.model.names, std::vector<std::string>{"flops"});
}

TEST(LatencyFit, TooFewSamplesIsAClearError) {
  try {
    fit_profile(as_artifact(synthetic_profile(3, false)), {});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(e.message().find("too few"), std::string::npos) << e.message();
  }
}

TEST(LatencyFit, ArtifactRoundTrip) {
  const LatencyFit fit = fit_profile(as_artifact(synthetic_profile(20, true)), {});
  nlohmann::json doc = to_json(fit);
  doc["schema"] = "edgent.fit/1";
  const LatencyFit back = latency_fit_from_artifact(parse_artifact(doc.dump(), "f.json", "fit"));
  EXPECT_EQ(back.types.size(), fit.types.size());
  const Features x{{"in_size", 5e4}, {"filter_term", 300}, {"flops", 1.5e7}};
  EXPECT_DOUBLE_EQ(back.predict("conv", x), fit.predict("conv", x));
  EXPECT_TRUE(back.types.at("conv").heldout.has_value());
  EXPECT_TRUE(back.load.has_value());
  doc["models"]["conv"].erase("coef");
  try {
    latency_fit_from_artifact(parse_artifact(doc.dump(), "f.json", "fit"));
    FAIL();
  } catch (const SchemaError& e) {
    EXPECT_EQ(e.key(), "models.conv.coef");
  }
}

TEST(LatencyFit, ConvShapeTypeNamesKernelAndStride) {
  EXPECT_EQ(conv_shape_type({{"kernel_area", 9}, {"stride_area", 1}}), "conv@3x3/1");
  EXPECT_EQ(conv_shape_type({{"kernel_area", 25}, {"stride_area", 4}}), "conv@5x5/2");
  EXPECT_EQ(conv_shape_type({{"kernel_area", 3}, {"stride_area", 1}}), "conv@k3/1");
  EXPECT_EQ(conv_shape_type({{"in_size", 3}}), "conv");
  // Grouped convs get models of their own: depthwise (one input channel per group), grouped.
  EXPECT_EQ(conv_shape_type({{"kernel_area", 9}, {"stride_area", 4}, {"group", 32},
                             {"group_channels", 1}}),
            "conv@3x3/2dw");
  EXPECT_EQ(conv_shape_type({{"kernel_area", 9}, {"stride_area", 1}, {"group", 4},
                             {"group_channels", 8}}),
            "conv@3x3/1g");
}

TEST(LatencyFit, NearModelConvsGetAModelPerKernelShape) {
  // 3x3 convs follow one law, 5x5 another; the near-model points of each shape are enough
  // for a model of their own, and a unit is predicted by its shape's model.
  const auto law = [](double k, double in, double ft) {
    return k == 9 ? 0.01 + 1e-6 * in + 1e-4 * ft : 0.05 + 3e-6 * in + 4e-4 * ft;
  };
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> in(1e3, 1e5);
  std::uniform_real_distribution<double> ft(100, 3000);
  nlohmann::json sweep = nlohmann::json::array();
  for (int i = 0; i < 16; ++i) {
    for (const double k : {9.0, 25.0}) {
      const double a = in(rng);
      const double b = ft(rng);
      sweep.push_back({{"type", "conv"},
                       {"near_model", true},
                       {"features", {{"in_size", a}, {"filter_term", b}, {"flops", a * b}, {"kernel_area", k}, {"stride_area", 1}}},
                       {"median_ms", law(k, a, b)}});
    }
  }
  nlohmann::json units = nlohmann::json::array();
  for (const double k : {9.0, 25.0}) {
    units.push_back({{"type", "conv"},
                     {"features", {{"in_size", 5e4}, {"filter_term", 1000}, {"flops", 5e7}, {"kernel_area", k}, {"stride_area", 1}}},
                     {"median_ms", law(k, 5e4, 1000)}});
  }
  const LatencyFit fit = fit_profile(as_artifact({{"schema", "edgent.profile/1"},
                                                  {"role", "edge"},
                                                  {"provenance", {{"model_sha256", "m"}}},
                                                  {"sweep", sweep},
                                                  {"units", units}}),
                                     {});
  ASSERT_TRUE(fit.has_type("conv@3x3/1"));
  ASSERT_TRUE(fit.has_type("conv@5x5/1"));
  for (const double k : {9.0, 25.0}) {
    const Features x{{"in_size", 2e4}, {"filter_term", 500}, {"flops", 1e7}, {"kernel_area", k}, {"stride_area", 1}};
    EXPECT_NEAR(fit.predict("conv", x), law(k, 2e4, 500), 1e-6) << "kernel area " << k;
  }
  // The held-out error is that of the predictions used: exact here.
  ASSERT_TRUE(fit.types.at("conv").heldout.has_value());
  EXPECT_LT(fit.types.at("conv").heldout->mape, 1e-6);
  EXPECT_EQ(fit.types.at("conv@3x3/1").heldout->n, 1u);
}

TEST(LatencyFit, ASegmentSavesEachBoundarysFixedAndPerByteCost) {
  LatencyFit fit;
  fit.net_overhead_ms = 0.01;
  fit.net_overhead_per_byte_ms = 1e-6;
  // Three units, boundaries of 1000 and 3000 bytes: 0.6 - 2 * 0.01 - 4000e-6.
  EXPECT_NEAR(fit.segment_ms({0.1, 0.2, 0.3}, {1000, 3000, 50}), 0.576, 1e-12);
  EXPECT_NEAR(fit.segment_ms({0.1, 0.2, 0.3}), 0.58, 1e-12) << "no sizes: fixed cost only";
  EXPECT_DOUBLE_EQ(fit.segment_ms({0.3}), 0.3);
  EXPECT_DOUBLE_EQ(fit.segment_ms({0.001, 0.002}, {1e9}), 0.002) << "never below the largest unit";
}

TEST(LatencyFit, ABlockIsTheSumOfItsPartsAsOneSegment) {
  const LatencyFit fit = fit_profile(as_artifact(synthetic_profile(20, false)), FitSettings{});
  const model::Features conv{{"in_size", 784.0 * 64}, {"filter_term", 9.0 * 128}, {"flops", 1e7}};
  const model::Features relu{{"in_size", 784.0 * 64}, {"flops", 784.0 * 64}};
  const std::vector<profile::BlockPart> parts{{"conv", conv, 4e5}, {"relu", relu, 2e5}};
  EXPECT_NEAR(block_parts_ms(fit, parts),
              fit.segment_ms({fit.predict("conv", conv), fit.predict("relu", relu)}, {4e5, 2e5}),
              1e-12);
  // Held out with its parts, a block is not a unit type that needs the FLOPs fallback.
  nlohmann::json doc = synthetic_profile(20, false);
  doc["units"].push_back({{"exit", 1}, {"unit", 1}, {"units", {1, 2}}, {"type", "block"},
                          {"features", {{"in_size", 1e4}, {"out_size", 1e4}, {"flops", 2e7}}},
                          {"median_ms", 0.2},
                          {"parts", {{{"type", "conv"}, {"features", conv}, {"output_bytes", 4e5}},
                                     {{"type", "relu"}, {"features", relu}, {"output_bytes", 2e5}}}}});
  const LatencyFit with_block = fit_profile(as_artifact(doc), FitSettings{});
  EXPECT_FALSE(with_block.types.count("block"));
  const profile::Profile read = profile::read_profile(as_artifact(doc));
  ASSERT_EQ(read.units.back().parts.size(), 2u);
  EXPECT_EQ(read.units.back().last_unit, 2);
  EXPECT_EQ(read.units.back().parts[1].type, "relu");
}

TEST(LatencyFit, ReadsTheProfilesEstimate) {
  nlohmann::json doc = synthetic_profile(20, false);
  for (const char* section : {"sweep", "load"}) {
    for (auto& p : doc[section]) {
      p["mean_ms"] = 2 * p["median_ms"].get<double>();
    }
  }
  doc["settings"] = {{"estimate", "mean_ms"}};
  const LatencyFit fit = fit_profile(as_artifact(doc), {});
  EXPECT_NEAR(fit.predict("relu", {{"in_size", 1e5}, {"flops", 1e5}}), 2 * (0.001 + 0.05), 1e-6);
  doc["settings"] = {{"estimate", "max_ms"}};
  EXPECT_THROW(fit_profile(as_artifact(doc), {}), SchemaError);
}

/// A profile with synthetic blocks (`block_sweep`) of conv + relu parts of growing sizes,
/// each measured as @p measured(sum of its parts' predictions, boundaries).
nlohmann::json profile_with_block_sweep(const std::function<double(double, int)>& measured) {
  nlohmann::json doc = synthetic_profile(20, false);
  const LatencyFit plain = fit_profile(as_artifact(doc), FitSettings{});
  nlohmann::json blocks = nlohmann::json::array();
  for (int k = 0; k < 8; ++k) {
    const double in = 2e4 * (k + 1);
    const model::Features conv{{"in_size", in}, {"filter_term", 300.0 * (k + 1)}, {"flops", 1e6}};
    const model::Features relu{{"in_size", in}, {"flops", in}};
    std::vector<profile::BlockPart> parts{{"conv", conv, 4 * in}, {"relu", relu, 4 * in}};
    const int n = 2 + k % 3;  // 2..4 parts
    while (static_cast<int>(parts.size()) < n) {
      parts.push_back({"relu", relu, 4 * in});
    }
    nlohmann::json pj = nlohmann::json::array();
    for (const auto& p : parts) {
      pj.push_back({{"type", p.type}, {"features", p.features}, {"output_bytes", p.output_bytes}});
    }
    blocks.push_back({{"shape", fmt::format("block {}", k)},
                      {"parts", pj},
                      {"median_ms", measured(block_parts_ms(plain, parts), n - 1)}});
  }
  doc["block_sweep"] = blocks;
  return doc;
}

TEST(LatencyFit, BlockCorrectionIsAdoptedOnlyWhenCrossValidationFavoursIt) {
  // Blocks 20 % faster than their parts' sum: the factor wins, with value 0.8.
  const LatencyFit scaled =
      fit_profile(as_artifact(profile_with_block_sweep([](double sum, int) { return 0.8 * sum; })),
                  FitSettings{});
  const BlockCorrection& f = scaled.block_correction;
  EXPECT_EQ(f.method, "factor");
  EXPECT_NEAR(f.value, 0.8, 1e-9);
  EXPECT_EQ(f.blocks, 8);
  EXPECT_NEAR(f.cv_mape.at("none"), 0.25, 1e-9);
  EXPECT_NEAR(f.cv_mape.at("factor"), 0.0, 1e-9);
  const model::Features conv{{"in_size", 5e4}, {"filter_term", 700.0}, {"flops", 1e6}};
  const model::Features relu{{"in_size", 5e4}, {"flops", 5e4}};
  const std::vector<profile::BlockPart> parts{{"conv", conv, 2e5}, {"relu", relu, 2e5}};
  EXPECT_NEAR(block_ms(scaled, parts), 0.8 * block_parts_ms(scaled, parts), 1e-12);

  // A fixed cost per boundary between parts: the boundary term wins.
  const LatencyFit bounded = fit_profile(
      as_artifact(profile_with_block_sweep([](double sum, int b) { return sum - 0.005 * b; })),
      FitSettings{});
  EXPECT_EQ(bounded.block_correction.method, "boundary");
  EXPECT_NEAR(bounded.block_correction.value, 0.005, 1e-9);
  EXPECT_NEAR(block_ms(bounded, parts), block_parts_ms(bounded, parts) - 0.005, 1e-12);

  // Blocks that are their parts' sum: nothing beats the plain sum, none is kept.
  const LatencyFit exact =
      fit_profile(as_artifact(profile_with_block_sweep([](double sum, int) { return sum; })),
                  FitSettings{});
  EXPECT_EQ(exact.block_correction.method, "none");
  EXPECT_DOUBLE_EQ(block_ms(exact, parts), block_parts_ms(exact, parts));

  // Spread over a chain's units, the correction makes the block's segment what block_ms
  // predicts, parts in proportion and never negative.
  for (const LatencyFit* f : {&scaled, &bounded, &exact}) {
    const std::vector<double> part_ms{f->predict("conv", conv), f->predict("relu", relu)};
    std::vector<double> spread = part_ms;
    correct_block(*f, spread, {2e5});
    EXPECT_NEAR(f->segment_ms(spread, {2e5}), block_ms(*f, parts), 1e-12) << f->block_correction.method;
    EXPECT_NEAR(spread[0] / spread[1], part_ms[0] / part_ms[1], 1e-9);
  }
  LatencyFit shrinking = scaled;
  shrinking.block_correction = {"boundary", 10.0, 8, {}};
  std::vector<double> spread{scaled.predict("conv", conv), scaled.predict("relu", relu)};
  correct_block(shrinking, spread, {2e5});
  for (const double ms : spread) {  // a correction larger than the block
    EXPECT_GE(ms, 0.0);
    EXPECT_LT(ms, 1e-12);
  }

  // It survives the fit artifact.
  const nlohmann::json doc = to_json(scaled);
  nlohmann::json stamped = doc;
  stamped["schema"] = "edgent.fit/1";
  const LatencyFit back = latency_fit_from_artifact(parse_artifact(stamped.dump(), "f.json", "fit"));
  EXPECT_EQ(back.block_correction.method, "factor");
  EXPECT_NEAR(back.block_correction.value, 0.8, 1e-12);
  EXPECT_NEAR(back.block_correction.cv_mape.at("none"), 0.25, 1e-9);

  // Without a block sweep there is nothing to learn from.
  const LatencyFit none = fit_profile(as_artifact(synthetic_profile(20, false)), FitSettings{});
  EXPECT_EQ(none.block_correction.method, "none");
  EXPECT_EQ(none.block_correction.blocks, 0);
}

TEST(LatencyFit, BlockCorrectionNeedsAGainBeyondChance) {
  // Blocks scattered around their parts' sum, a little faster on the whole: the factor's
  // held-out MAPE is lower than the plain sum's, by less than the standard error of the gain.
  const std::vector<double> ratio{0.52, 1.5, 0.55, 1.45, 0.6, 1.4, 0.9, 0.95};
  std::size_t k = 0;
  const LatencyFit scattered = fit_profile(
      as_artifact(profile_with_block_sweep([&](double sum, int) { return ratio[k++] * sum; })),
      FitSettings{});
  const BlockCorrection& c = scattered.block_correction;
  EXPECT_EQ(c.blocks, 8);
  EXPECT_LT(c.cv_mape.at("factor"), c.cv_mape.at("none"));
  EXPECT_EQ(c.method, "none");
}

TEST(LatencyFit, BlockCorrectionLearnsOnlyFromBlocksThePartsRegressionsCover) {
  // Six blocks 20 % faster than their parts' sum, two that the parts' regressions miss by
  // more than 2x (outside what they were fitted on): the factor is the six's, learned from six.
  std::size_t k = 0;
  const LatencyFit fit = fit_profile(as_artifact(profile_with_block_sweep([&](double sum, int) {
                                       const std::size_t i = k++;
                                       return (i == 2 ? 10.0 : i == 5 ? 0.1 : 0.8) * sum;
                                     })),
                                     FitSettings{});
  EXPECT_EQ(fit.block_correction.method, "factor");
  EXPECT_NEAR(fit.block_correction.value, 0.8, 1e-9);
  EXPECT_EQ(fit.block_correction.blocks, 6);
  EXPECT_NEAR(fit.block_correction.cv_mape.at("factor"), 0.0, 1e-9);
}

TEST(LatencyFit, BlockCorrectionLearnsFromTheKindsOfBlockTheModelHas) {
  const LatencyFit fit = fit_profile(as_artifact(synthetic_profile(20, false)), FitSettings{});
  const model::Features conv{{"in_size", 5e4}, {"filter_term", 700.0}, {"flops", 1e6}};
  const model::Features relu{{"in_size", 5e4}, {"flops", 5e4}};
  const std::vector<profile::BlockPart> residual{{"conv", conv, 2e5}, {"eltwise", relu, 2e5}, {"relu", relu, 2e5}};
  const std::vector<profile::BlockPart> inception{{"conv", conv, 2e5}, {"conv", conv, 2e5}, {"concat", relu, 4e5}};
  EXPECT_EQ(block_kind(residual), "residual");
  EXPECT_EQ(block_kind(inception), "inception");
  // Residual blocks measured at their parts' sum, inception blocks 30 % faster.
  std::vector<profile::BlockTiming> sweep;
  for (int i = 0; i < 6; ++i) {
    sweep.push_back({"residual", residual, block_parts_ms(fit, residual)});
    sweep.push_back({"inception", inception, 0.7 * block_parts_ms(fit, inception)});
  }
  const BlockCorrection for_residual = fit_block_correction(fit, sweep, {residual});
  EXPECT_EQ(for_residual.method, "none");
  EXPECT_EQ(for_residual.blocks, 6);
  const BlockCorrection for_inception = fit_block_correction(fit, sweep, {inception});
  EXPECT_EQ(for_inception.method, "factor");
  EXPECT_NEAR(for_inception.value, 0.7, 1e-9);
  EXPECT_EQ(for_inception.blocks, 6);
  // A model of both kinds (or a profile without its blocks' parts) learns from all twelve.
  EXPECT_EQ(fit_block_correction(fit, sweep, {residual, inception}).blocks, 12);
  EXPECT_EQ(fit_block_correction(fit, sweep).blocks, 12);
}

} // namespace
} // namespace edgent::regress

namespace edgent::regress {
namespace {

TEST(LatencyFit, EachExtraNetOfARequestCostsTheMedianSplitExcessBeyondItsWarmBoundaries) {
  profile::Profile p;
  p.net_overhead = profile::NetOverhead{0.1, 0.001};
  profile::RequestTimings r;
  r.gap_ms = 100;
  // Exit 1: 3 nets, 1000 boundary bytes: (20 - 10 - (2 x 0.1 + 1)) / 2 = 4.4.
  // Exit 2: 5 nets, 0 bytes: (30 - 10 - 0.4) / 4 = 4.9. Exit 3: split faster than whole: 0.
  // Exit 4: no split timing.
  r.exits = {profile::RequestPoint{1, 1000, 10, 8, profile::SplitRequestPoint{3, 1000, 20}},
             profile::RequestPoint{2, 2000, 10, 8, profile::SplitRequestPoint{5, 0, 30}},
             profile::RequestPoint{3, 3000, 10, 8, profile::SplitRequestPoint{2, 0, 9}},
             profile::RequestPoint{4, 4000, 10, 8, std::nullopt}};
  p.requests = r;
  EXPECT_NEAR(profile_request_overhead(p).net_ms, 4.4, 1e-12);
  p.requests->exits.pop_back();
  p.requests->exits.pop_back();
  EXPECT_NEAR(profile_request_overhead(p).net_ms, (4.4 + 4.9) / 2, 1e-12);
  for (auto& e : p.requests->exits) {
    e.split.reset();
  }
  EXPECT_EQ(profile_request_overhead(p).net_ms, 0.0) << "not measured";
}

} // namespace
} // namespace edgent::regress
