#include "regress/linear_model.hpp"

#include "core/error.hpp"
#include "core/stats.hpp"

#include <fmt/format.h>
#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace edgent::regress {

namespace {

double feature(const Features& x, const std::string& name) {
  const auto it = x.find(name);
  if (it == x.end()) {
    throw ConfigError("missing regression feature", {}, name);
  }
  return it->second;
}

} // namespace

double LinearModel::predict(const Features& x) const {
  double y = intercept;
  for (std::size_t i = 0; i < names.size(); ++i) {
    y += coef[i] * feature(x, names[i]);
  }
  return std::max(0.0, y);
}

LinearModel fit_linear(const std::vector<Sample>& samples, const std::vector<std::string>& names) {
  const std::size_t k = names.size() + 1;
  if (samples.size() < k) {
    throw ConfigError(fmt::format("{} samples cannot fit {} coefficients ({}): need at least {}",
                                  samples.size(), k, fmt::join(names, ", "), k));
  }
  // Column scales keep the system well conditioned (in_size ~1e5, flops ~1e8).
  std::vector<double> scale(names.size(), 0.0);
  for (const Sample& s : samples) {
    if (!(s.ms > 0) || !std::isfinite(s.ms)) {
      throw ConfigError(fmt::format("sample latency must be > 0 ms, got {}", s.ms));
    }
    for (std::size_t j = 0; j < names.size(); ++j) {
      scale[j] = std::max(scale[j], std::fabs(feature(s.features, names[j])));
    }
  }
  for (double& sc : scale) {
    if (sc == 0) {
      sc = 1;
    }
  }
  // Row i divided by y_i: minimises Σ((ŷ_i − y_i)/y_i)².
  cv::Mat a(static_cast<int>(samples.size()), static_cast<int>(k), CV_64F);
  cv::Mat b(static_cast<int>(samples.size()), 1, CV_64F);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const Sample& s = samples[i];
    const int r = static_cast<int>(i);
    a.at<double>(r, 0) = 1.0 / s.ms;
    for (std::size_t j = 0; j < names.size(); ++j) {
      a.at<double>(r, static_cast<int>(j + 1)) = feature(s.features, names[j]) / scale[j] / s.ms;
    }
    b.at<double>(r, 0) = 1.0;
  }
  cv::Mat x;
  cv::solve(a, b, x, cv::DECOMP_SVD);
  LinearModel model;
  model.names = names;
  model.intercept = x.at<double>(0, 0);
  for (std::size_t j = 0; j < names.size(); ++j) {
    model.coef.push_back(x.at<double>(static_cast<int>(j + 1), 0) / scale[j]);
  }
  // Least squares on relative errors weighs the ratios y/ŷ by 1/y and is biased low for the
  // unweighted mean when the law misses: rescale so that the mean of y/ŷ is 1.
  double ratios = 0;
  std::size_t n = 0;
  for (const Sample& s : samples) {
    double p = model.intercept;
    for (std::size_t j = 0; j < names.size(); ++j) {
      p += model.coef[j] * feature(s.features, names[j]);
    }
    if (p > 0) {
      ratios += s.ms / p;
      ++n;
    }
  }
  if (n > 0 && std::isfinite(ratios) && ratios > 0) {
    const double c = ratios / static_cast<double>(n);
    model.intercept *= c;
    for (double& coef : model.coef) {
      coef *= c;
    }
  }
  return model;
}

FitQuality evaluate(const LinearModel& model, const std::vector<Sample>& samples) {
  std::vector<double> predicted;
  predicted.reserve(samples.size());
  for (const Sample& s : samples) {
    predicted.push_back(model.predict(s.features));
  }
  return evaluate(predicted, samples);
}

FitQuality evaluate(const std::vector<double>& predicted, const std::vector<Sample>& samples) {
  FitQuality q;
  q.n = samples.size();
  if (samples.empty()) {
    return q;
  }
  double mean = 0;
  for (const Sample& s : samples) {
    mean += s.ms;
  }
  mean /= static_cast<double>(samples.size());
  double ss_res = 0;
  double ss_tot = 0;
  std::vector<double> ape;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const Sample& s = samples[i];
    const double p = predicted.at(i);
    ss_res += (p - s.ms) * (p - s.ms);
    ss_tot += (s.ms - mean) * (s.ms - mean);
    ape.push_back(std::fabs(p - s.ms) / s.ms);
  }
  q.r2 = ss_tot > 0 ? 1.0 - ss_res / ss_tot : (ss_res == 0 ? 1.0 : 0.0);
  q.mape = std::accumulate(ape.begin(), ape.end(), 0.0) / static_cast<double>(ape.size());
  q.median_ape = stats::median(std::move(ape));
  return q;
}

double cross_validated_mape(const std::vector<Sample>& samples,
                            const std::vector<std::string>& names, int folds, std::uint64_t seed) {
  const int k = std::max(2, std::min<int>(folds, static_cast<int>(samples.size())));
  std::vector<std::size_t> order(samples.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  double total = 0;
  std::size_t count = 0;
  for (int f = 0; f < k; ++f) {
    std::vector<Sample> train;
    std::vector<Sample> test;
    for (std::size_t i = 0; i < order.size(); ++i) {
      (static_cast<int>(i % static_cast<std::size_t>(k)) == f ? test : train).push_back(samples[order[i]]);
    }
    if (test.empty() || train.size() < names.size() + 1) {
      continue;
    }
    const FitQuality q = evaluate(fit_linear(train, names), test);
    total += q.mape * static_cast<double>(q.n);
    count += q.n;
  }
  if (count == 0) {
    throw ConfigError(fmt::format("{} samples are too few to cross-validate {} features",
                                  samples.size(), names.size()));
  }
  return total / static_cast<double>(count);
}

nlohmann::json to_json(const LinearModel& model) {
  return nlohmann::json{{"features", model.names}, {"coef", model.coef}, {"intercept", model.intercept}};
}

LinearModel linear_model_from_json(const JsonView& view) {
  LinearModel model;
  for (const JsonView& name : view.at("features").elements()) {
    model.names.push_back(name.nonempty_string());
  }
  const JsonView coef = view.at("coef");
  if (coef.size() != model.names.size()) {
    coef.fail(fmt::format("has {} values for {} features", coef.size(), model.names.size()));
  }
  for (const JsonView& c : coef.elements()) {
    model.coef.push_back(c.number());
  }
  model.intercept = view.at("intercept").number();
  return model;
}

} // namespace edgent::regress
