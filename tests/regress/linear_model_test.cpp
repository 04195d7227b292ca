#include "regress/linear_model.hpp"

#include "core/error.hpp"

#include <gtest/gtest.h>

#include <random>

namespace edgent::regress {
namespace {

std::vector<Sample> synthetic(double intercept, double a, double b, double noise, int n,
                              std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> in(1e3, 1e6);
  std::uniform_real_distribution<double> ft(10, 5000);
  std::normal_distribution<double> eps(0.0, 1.0);
  std::vector<Sample> out;
  for (int i = 0; i < n; ++i) {
    Sample s;
    s.features = {{"in_size", in(rng)}, {"filter_term", ft(rng)}};
    const double y = intercept + a * s.features["in_size"] + b * s.features["filter_term"];
    s.ms = y * (1.0 + noise * eps(rng));
    out.push_back(s);
  }
  return out;
}

TEST(LinearFit, RecoversKnownCoefficientsExactly) {
  const auto samples = synthetic(0.05, 2e-6, 3e-4, 0.0, 40, 7);
  const LinearModel m = fit_linear(samples, {"in_size", "filter_term"});
  EXPECT_NEAR(m.intercept, 0.05, 1e-9);
  EXPECT_NEAR(m.coef[0], 2e-6, 1e-12);
  EXPECT_NEAR(m.coef[1], 3e-4, 1e-10);
  const FitQuality q = evaluate(m, samples);
  EXPECT_NEAR(q.r2, 1.0, 1e-9);
  EXPECT_LT(q.mape, 1e-9);
}

TEST(LinearFit, RecoversCoefficientsUnderNoise) {
  const auto samples = synthetic(0.05, 2e-6, 3e-4, 0.05, 400, 11);
  const LinearModel m = fit_linear(samples, {"in_size", "filter_term"});
  EXPECT_NEAR(m.coef[0], 2e-6, 2e-7);
  EXPECT_NEAR(m.coef[1], 3e-4, 3e-5);
  const FitQuality q = evaluate(m, samples);
  EXPECT_GT(q.r2, 0.95);
  EXPECT_LT(q.median_ape, 0.06);
  EXPECT_LT(cross_validated_mape(samples, {"in_size", "filter_term"}), 0.08);
}

TEST(LinearFit, MeasuredOverPredictedAveragesOneOnTheTrainingSet) {
  // A law the features cannot express (latency grows with in_size squared): relative least
  // squares alone leaves the mean of y / ŷ off 1; the fit rescales it to 1.
  std::vector<Sample> samples;
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(1, 100);
  for (int i = 0; i < 50; ++i) {
    const double x = u(rng);
    samples.push_back({{{"in_size", x}}, 0.01 + 1e-3 * x * x});
  }
  const LinearModel m = fit_linear(samples, {"in_size"});
  double mean_ratio = 0;
  for (const Sample& s : samples) {
    mean_ratio += s.ms / m.predict(s.features);
  }
  EXPECT_NEAR(mean_ratio / static_cast<double>(samples.size()), 1.0, 1e-9);
}

TEST(LinearFit, CrossValidationPrefersTheTrueFeatures) {
  // Latency proportional to a product the plain features cannot express.
  std::vector<Sample> samples;
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(1, 100);
  for (int i = 0; i < 60; ++i) {
    const double p = u(rng);
    const double q = u(rng);
    samples.push_back({{{"p", p}, {"q", q}, {"flops", p * q}}, 0.01 * p * q + 0.1});
  }
  EXPECT_LT(cross_validated_mape(samples, {"p", "q", "flops"}),
            cross_validated_mape(samples, {"p", "q"}));
}

TEST(LinearFit, PredictionsAreNeverNegative) {
  LinearModel m{{"x"}, {-1.0}, 0.5};
  EXPECT_DOUBLE_EQ(m.predict({{"x", 10}}), 0.0);
  EXPECT_DOUBLE_EQ(m.predict({{"x", 0.25}}), 0.25);
}

TEST(LinearFit, ClearErrors) {
  EXPECT_THROW(fit_linear({{{{"x", 1}}, 1.0}}, {"x"}), ConfigError);  // too few samples
  EXPECT_THROW(fit_linear({{{{"x", 1}}, 1.0}, {{{"x", 2}}, 0.0}}, {"x"}), ConfigError);  // y <= 0
  try {
    LinearModel{{"in_size"}, {1.0}, 0}.predict({{"out_size", 1}});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "in_size");
  }
}

TEST(LinearFit, JsonRoundTrip) {
  const LinearModel m{{"a", "b"}, {1.5, -2.0}, 0.25};
  const nlohmann::json j = to_json(m);
  const LinearModel back = linear_model_from_json(JsonView(j, "f.json"));
  EXPECT_EQ(back.names, m.names);
  EXPECT_EQ(back.coef, m.coef);
  EXPECT_DOUBLE_EQ(back.intercept, 0.25);
  nlohmann::json bad = j;
  bad["coef"] = {1.0};
  EXPECT_THROW(linear_model_from_json(JsonView(bad, "f.json")), SchemaError);
}

} // namespace
} // namespace edgent::regress
