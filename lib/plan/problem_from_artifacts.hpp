#pragma once

#include "core/artifact.hpp"
#include "plan/problem.hpp"

#include <string>
#include <vector>

namespace edgent::plan {

/// Builds the planner's input from artifacts: the model card (`edgent.model/1`), an optional
/// accuracy table (`edgent.accuracy/1`, nullptr = none) and the device and edge fits
/// (`edgent.fit/1`). Until the model analysis lands, each card exit must carry
/// `chain` [{name, type, features {...}, flops, output_bytes}] and may carry `cuts` [indices]
/// (default: every cut 0..n). Each unit's latency is the role's linear model for its type on the
/// named features ("flops" may be taken from the unit), else the fallback, clamped to ≥ 0.
/// Throws SchemaError for bad keys and ConfigError for a fit or accuracy table of another model
/// (sha mismatch), a fit of the wrong role, or an empty codec set.
PlanProblem problem_from_artifacts(const Artifact& model, const Artifact* accuracy,
                                   const Artifact& device_fit, const Artifact& edge_fit,
                                   const std::vector<Codec>& codecs);

/// Predicted ms of one unit from a fit document: models[type] on @p features, else fallback.
/// Clamped to ≥ 0. Throws SchemaError naming the fit file when a needed feature is missing.
double predict_unit_ms(const JsonView& fit, const std::string& type, const JsonView& features,
                       double flops);

} // namespace edgent::plan
