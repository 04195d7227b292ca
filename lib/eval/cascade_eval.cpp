#include "eval/cascade_eval.hpp"

#include "core/error.hpp"
#include "model/cascade.hpp"

#include <fmt/format.h>

#include <numeric>

namespace edgent::eval {

ExitScores exit_scores(model::SegmentRunner& runner, const LabelledSet& data,
                       const std::function<void(std::size_t)>& progress) {
  if (data.images.size() != data.labels.size()) {
    throw DataError(fmt::format("{} images but {} labels", data.images.size(), data.labels.size()));
  }
  const model::Partition& partition = runner.partition();
  ExitScores s;
  s.exits = static_cast<int>(partition.exits.size());
  model::Cascade all;
  for (int e = 1; e <= s.exits; ++e) {
    all.exits.push_back(e);
  }
  all.thresholds.assign(all.exits.size() - 1, 1.0);
  std::optional<model::CascadeLayout> layout;
  try {
    layout = model::cascade_layout(partition, all);
  } catch (const ConfigError&) {
    // Exits that do not branch off one chain in order: each chain runs whole.
  }
  for (std::size_t i = 0; i < data.images.size(); ++i) {
    if (data.labels[i] < 0) {
      throw DataError(fmt::format("label {} of sample {} is negative", data.labels[i], i), {},
                      "labels");
    }
    std::vector<cv::Mat> logits(all.exits.size());
    if (layout) {
      cv::Mat x = data.images[i];
      int pos = 0;
      for (std::size_t k = 0; k + 1 < all.exits.size(); ++k) {
        const int b = layout->branch[k];
        if (b > pos) {
          x = runner.run(s.exits, pos, b, x);
          pos = b;
        }
        logits[k] = runner.run(all.exits[k], b, runner.chain(all.exits[k]).size(), x);
      }
      logits.back() = runner.run(s.exits, pos, layout->final_size, x);
    } else {
      for (std::size_t k = 0; k < all.exits.size(); ++k) {
        logits[k] = runner.run_exit(all.exits[k], data.images[i]);
      }
    }
    std::vector<int> pred;
    std::vector<double> conf;
    for (const cv::Mat& l : logits) {
      pred.push_back(argmax(l));
      conf.push_back(model::top_probability(l));
    }
    s.labels.push_back(data.labels[i]);
    s.predicted.push_back(std::move(pred));
    s.confidence.push_back(std::move(conf));
    if (progress) {
      progress(i + 1);
    }
  }
  return s;
}

model::CascadeRecord score_cascade(const ExitScores& scores, const model::Cascade& cascade) {
  model::check_cascade(cascade, "cascade");
  if (cascade.final_exit() > scores.exits) {
    throw ConfigError(fmt::format("exit {} is not an exit of the model (1..{})",
                                  cascade.final_exit(), scores.exits),
                      "cascade", "exits");
  }
  model::CascadeRecord r;
  r.cascade = cascade;
  std::vector<std::size_t> left(cascade.exits.size(), 0);
  std::size_t correct = 0;
  const std::size_t n = scores.labels.size();
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t k = 0;
    while (k + 1 < cascade.exits.size() &&
           !model::confident(scores.confidence[i][static_cast<std::size_t>(cascade.exits[k] - 1)],
                             cascade.thresholds[k])) {
      ++k;
    }
    ++left[k];
    correct += scores.predicted[i][static_cast<std::size_t>(cascade.exits[k] - 1)] ==
               scores.labels[i];
  }
  r.accuracy = n ? static_cast<double>(correct) / static_cast<double>(n) : 0.0;
  for (const std::size_t l : left) {
    r.leave.push_back(n ? static_cast<double>(l) / static_cast<double>(n) : 0.0);
  }
  return r;
}

std::vector<double> default_threshold_grid() {
  return {0.0, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999, 1.0};
}

std::vector<model::CascadeRecord> cascade_grid(const model::Partition& partition,
                                               const ExitScores& scores,
                                               const std::vector<double>& grid) {
  std::vector<model::CascadeRecord> out;
  const int n = scores.exits;
  if (n > 16) {
    throw ConfigError(fmt::format("the model has {} exits: a grid over every exit set needs 16 or "
                                  "fewer",
                                  n),
                      "model", "exits");
  }
  for (unsigned mask = 1; mask < (1u << n); ++mask) {
    model::Cascade c;
    for (int e = 1; e <= n; ++e) {
      if (mask & (1u << (e - 1))) {
        c.exits.push_back(e);
      }
    }
    if (c.fixed()) {
      out.push_back(score_cascade(scores, c));
      continue;
    }
    c.thresholds.assign(c.exits.size() - 1, 0.0);
    try {
      (void)model::cascade_layout(partition, c);
    } catch (const ConfigError&) {
      continue;
    }
    for (const double tau : grid) {
      std::fill(c.thresholds.begin(), c.thresholds.end(), tau);
      out.push_back(score_cascade(scores, c));
    }
  }
  return out;
}

} // namespace edgent::eval
