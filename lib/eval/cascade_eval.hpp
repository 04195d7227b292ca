#pragma once

#include "eval/accuracy.hpp"
#include "model/cascade_json.hpp"
#include "model/segment_runner.hpp"

#include <functional>
#include <vector>

namespace edgent::eval {

/// Every exit's answer on every image of a test set: enough to score any cascade offline.
struct ExitScores {
  int exits = 0;                             ///< number of exits of the model
  std::vector<int> labels;                   ///< per image
  std::vector<std::vector<int>> predicted;   ///< [image][exit - 1]: top-1 class
  std::vector<std::vector<double>> confidence; ///< [image][exit - 1]: top softmax probability
};

/// Runs every exit once per image of @p data: the shared trunk once when the exits branch off
/// the last exit's chain (model::cascade_layout), each whole chain otherwise. @p progress is
/// called after each image (may be empty). Throws DataError when images and labels differ in
/// number or a label is negative.
ExitScores exit_scores(model::SegmentRunner& runner, const LabelledSet& data,
                       const std::function<void(std::size_t)>& progress = {});

/// Scores @p cascade on @p scores: each image answers at the first exit whose confidence
/// exceeds its threshold (model::confident), else at the last. Throws ConfigError for a bad
/// cascade or an exit the scores lack.
model::CascadeRecord score_cascade(const ExitScores& scores, const model::Cascade& cascade);

/// The default threshold grid: 0, 0.5 ... 0.999, 1.
std::vector<double> default_threshold_grid();

/// Every cascade of the grid: each non-empty ascending exit set that branches off its last
/// exit's chain in order (model::cascade_layout on @p partition), one entry for a single exit,
/// one per threshold of @p grid (the same threshold at every non-final exit) otherwise.
std::vector<model::CascadeRecord> cascade_grid(const model::Partition& partition,
                                               const ExitScores& scores,
                                               const std::vector<double>& grid);

} // namespace edgent::eval
