#pragma once

#include "core/json_view.hpp"
#include "core/stats.hpp"
#include "model/features.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace edgent::regress {

/// Named regression features of one layer or unit (the model stage's).
using model::Features;

/// One observation: features and the measured latency in ms.
struct Sample {
  Features features;
  double ms = 0;
};

/// y = intercept + Σ coef[i] · features[names[i]], in ms, never negative.
struct LinearModel {
  std::vector<std::string> names;
  std::vector<double> coef;
  double intercept = 0;

  /// The prediction in ms, clamped at 0. Throws ConfigError naming the feature when one
  /// of the model's features is missing from @p x.
  double predict(const Features& x) const;
};

/// How good a model is on a set of samples.
struct FitQuality {
  double r2 = 0;           ///< coefficient of determination on absolute ms
  double mape = 0;         ///< mean absolute percentage error, as a fraction (0.1 = 10 %)
  double median_ape = 0;   ///< median absolute percentage error, as a fraction
  std::size_t n = 0;
};

/// Least squares minimising the *relative* error Σ((ŷ−y)/y)², so that fast and slow layers
/// weigh alike (latencies span orders of magnitude), then scaled so that the mean of y/ŷ over
/// @p samples is 1 (relative least squares is biased low where the law misses). Features are
/// scaled before solving.
/// Throws ConfigError when there are fewer samples than coefficients, or a sample has
/// y ≤ 0 or lacks a feature.
LinearModel fit_linear(const std::vector<Sample>& samples, const std::vector<std::string>& names);

/// Quality of @p model on @p samples (n = 0 and zeros when empty).
FitQuality evaluate(const LinearModel& model, const std::vector<Sample>& samples);
/// Quality of predictions @p predicted[i] of @p samples[i] (same length).
FitQuality evaluate(const std::vector<double>& predicted, const std::vector<Sample>& samples);

/// k-fold cross-validated MAPE of fitting @p names on @p samples (folds by a fixed shuffle
/// with @p seed); k is reduced to the sample count when smaller.
double cross_validated_mape(const std::vector<Sample>& samples,
                            const std::vector<std::string>& names, int folds = 5,
                            std::uint64_t seed = 1);

nlohmann::json to_json(const LinearModel& model);
LinearModel linear_model_from_json(const JsonView& view);

} // namespace edgent::regress
