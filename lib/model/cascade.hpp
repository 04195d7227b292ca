#pragma once

#include "model/partition.hpp"

#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace edgent::model {

class SegmentRunner;

/// A confidence cascade (per-input early exit, as in SPINN): an input leaves at the first exit
/// of `exits` whose confidence exceeds that exit's threshold, and at the last exit otherwise.
/// The confidence is the top softmax probability of the exit's logits: it is in [1/classes, 1],
/// so thresholds share one scale for every exit and every model, it is what the model card
/// summarises per exit, and it costs one pass over the logits (the entropy ranks inputs
/// almost the same way but its scale depends on the number of classes).
struct Cascade {
  std::vector<int> exits;         ///< 1-based exit numbers, strictly ascending; the last is final
  std::vector<double> thresholds; ///< one per non-final exit, each in [0, 1]

  /// Whether this is a plain fixed exit (one exit, no thresholds).
  bool fixed() const { return exits.size() <= 1; }
  /// The final exit (the last of exits).
  int final_exit() const { return exits.back(); }
};

/// Name of the confidence measure ("top-probability"), as artifacts record it.
inline constexpr const char* kConfidenceMeasure = "top-probability";

/// Top softmax probability of @p logits (any float32 Mat), computed in double.
double top_probability(const cv::Mat& logits);
/// Whether an input with confidence @p confidence leaves at an exit of threshold @p threshold:
/// confidence > threshold. So threshold 0 always leaves and threshold 1 never does.
inline bool confident(double confidence, double threshold) { return confidence > threshold; }

/// Checks a cascade in itself: at least one exit, exits >= 1 strictly ascending, one threshold
/// per non-final exit, each finite in [0, 1]. Throws ConfigError naming @p where and the key.
void check_cascade(const Cascade& cascade, const std::string& where);

/// Parses "E:TAU,E:TAU,...,E" (the last exit has no threshold), e.g. "1:0.9,3:0.8,5".
/// Throws UsageError naming @p option for anything else, thresholds outside [0, 1] or NaN.
Cascade parse_cascade(const std::string& text, const std::string& option = "--cascade");
/// The inverse of parse_cascade ("1:0.9,5").
std::string cascade_to_string(const Cascade& cascade);

/// Where each exit of a cascade leaves the final exit's chain.
struct CascadeLayout {
  int final_size = 0;      ///< units of the final exit's chain
  /// Per exit of the cascade: the cut of the final chain (and of the exit's own chain) after
  /// the units the two share (at least one), where the exit's branch leaves; the final
  /// exit's is final_size.
  std::vector<int> branch;
};

/// Units 1..k shared by two chains given by their unit names: the largest k with equal names.
int shared_prefix(const std::vector<std::string>& a, const std::vector<std::string>& b);

/// The layout of @p cascade on @p partition. Throws ConfigError (naming @p where) when an exit
/// is unknown, when a branch point is not a cut point of both chains, or when the branch points
/// do not follow the exits' order.
CascadeLayout cascade_layout(const Partition& partition, const Cascade& cascade,
                             const std::string& where = "cascade");

/// What a part of a cascade produced.
struct CascadeStep {
  int exit = 0;           ///< exit that answered; 0 = none yet (output is the tensor at `to`)
  double confidence = 0;  ///< the answering exit's confidence (0 when none answered)
  cv::Mat output;         ///< the exit's logits, or the tensor at `to` of the final chain
};

/// Runs units (from, to] of the cascade's final chain on @p input (the tensor at @p from) and
/// evaluates, in order, every non-final exit whose branch point b lies in the part
/// (from < b <= to), returning at the first confident one; at to = n the final
/// exit answers. The device runs the part (0, cut], the edge (cut, n]. Throws ConfigError for
/// a bad cascade or cut.
CascadeStep run_cascade_part(SegmentRunner& runner, const Cascade& cascade,
                             const CascadeLayout& layout, const cv::Mat& input, int from, int to);

/// The whole cascade on one machine, split at @p cut of the final chain as a co-inference
/// would be; also says whether the answer came from the part before the cut.
struct CascadeResult {
  int exit = 0;
  double confidence = 0;
  bool before_cut = false; ///< answered in (0, cut] (on the device when device-first)
  cv::Mat logits;
};
CascadeResult run_cascade(SegmentRunner& runner, const Cascade& cascade, int cut,
                          const cv::Mat& input);

} // namespace edgent::model
