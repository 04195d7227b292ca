#pragma once

#include "core/artifact.hpp"
#include "profile/profile_json.hpp"
#include "regress/fit_json.hpp"
#include "regress/linear_model.hpp"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace edgent::regress {

/// The Edgent regression features of a layer type: a unit type's
/// model::UnitTypeTraits::regression_features, and load {model_bytes}. Empty for types
/// without a model of their own (they use the FLOPs fallback).
const std::vector<std::string>& edgent_features(const std::string& type);

struct FitSettings {
  bool include_units = false;  ///< also train on the model's units (then nothing is held out)
  int folds = 5;
  std::uint64_t seed = 1;
};

/// The fit's type name of a conv with @p features of its own kernel shape, from kernel_area
/// and stride_area: "conv@3x3/1" for a square kernel and stride, else "conv@k<area>/<area>";
/// "conv" when the features do not say.
std::string conv_shape_type(const Features& features);

/// A profile's measured cost per boundary between unit nets (its net_overhead section at its
/// estimate; a negative estimate counts 0): {ms, ms per byte crossing it}; zeros when the
/// profile has none.
std::pair<double, double> profile_net_overhead(const profile::Profile& profile);

/// A profile's request overhead (its requests section against its exits' rotation timings):
/// each exit's extra time as a request, fitted on the exit chains' weight bytes
/// (fit_nonnegative_line); net_ms, the median over the exits with a split timing of
/// (split − whole − the warm boundaries) / (nets − 1), at least 0. Zeros when the profile has
/// no requests section.
RequestOverhead profile_request_overhead(const profile::Profile& profile);

/// A profile's codec costs (its codecs section): per codec and operation a line through the
/// measured tensor sizes (fit_nonnegative_line). Empty when the profile has none.
std::map<std::string, CodecCost> profile_codec_costs(const profile::Profile& profile);

/// The plain sum of a block's parts (a profile unit of type "block", several units no cut
/// separates): each part's prediction, summed as one segment (LatencyFit::segment_ms, which
/// takes off the measured cost of each boundary between unit nets), ms. What the block
/// correction is learned on and applied to.
double block_parts_ms(const LatencyFit& fit, const std::vector<profile::BlockPart>& parts);
/// A block's predicted time, as edgent-fit --predict reports it and plans charge it:
/// block_parts_ms() with the fit's block_correction applied (none unless leave-one-block-out
/// cross-validation on the profile's synthetic blocks favoured it clearly), ms. Over three
/// runs of experiments/ownmodels.sh it took the own models' worst chain error from 12-13 %
/// (plain sums) to 8-9 %.
double block_ms(const LatencyFit& fit, const std::vector<profile::BlockPart>& parts);
/// Applies the fit's block correction to one block of a chain whose parts' predictions are
/// @p part_ms (run as one net, @p boundary_bytes between part i and i + 1): the difference
/// between the corrected and the plain sum is spread over the parts in proportion to their
/// times, so that any segment holding the whole block sums to block_ms() and no part goes
/// below 0. Nothing changes without a correction or with fewer than 2 parts.
void correct_block(const LatencyFit& fit, std::vector<double>& part_ms,
                   const std::vector<double>& boundary_bytes);

/// A block's kind from its parts: "inception" when it joins branches (a concat part), else
/// "residual" (branches joined by an elementwise Add or Mul).
std::string block_kind(const std::vector<profile::BlockPart>& parts);

/// Chooses the block correction from @p blocks (the profile's synthetic blocks, never the
/// model's own) with @p fit's part models: each method ("none", "factor": the median ratio
/// measured / sum; "boundary": the median of (sum - measured) / boundaries) is scored by its
/// leave-one-block-out MAPE, and the best is adopted only when it beats "none".
/// It learns only from the synthetic blocks that can teach the model's: those of a kind
/// (block_kind) among @p model_blocks (the model's blocks' parts; empty = every kind), and
/// whose parts' sum is within a factor of 2 of their measured time. A block the parts'
/// regressions miss by more than that lies outside what they were fitted on (the sweep's
/// points near the model), and a correction of the sum learned on it would carry that
/// extrapolation to the model's blocks. Fewer than 4 blocks left give "none" with no scores.
/// `blocks` counts the blocks learned from.
BlockCorrection fit_block_correction(const LatencyFit& fit,
                                     const std::vector<profile::BlockTiming>& blocks,
                                     const std::vector<std::vector<profile::BlockPart>>& model_blocks = {});

/// Fits every layer type found in a profile (edgent.profile/1): the synthetic sweep is the
/// training set, the model's units are held out and report the held-out error. Per type the
/// Edgent features are used, plus "flops" when that lowers the cross-validated error. Where a
/// type has enough sweep points near the model (variants of its own layers, `near_model`),
/// only those are used: one linear law fits OpenCV's layers well locally, not across sizes.
/// Conv also gets a model per kernel shape (conv_shape_type) with enough near points: OpenCV
/// runs some shapes on specialised kernels (Winograd for 3x3 stride 1).
/// The fit records the correction fit_block_correction() learns from the profile's block_sweep
/// (applied by block_ms and correct_block).
/// Throws ConfigError naming the type when a type has too few samples.
LatencyFit fit_profile(const profile::Profile& profile, const FitSettings& options);
/// fit_profile() of profile::read_profile(@p profile).
LatencyFit fit_profile(const Artifact& profile, const FitSettings& options);


} // namespace edgent::regress
