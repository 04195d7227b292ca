#include "runtime/infer_config.hpp"

#include "core/error.hpp"

namespace edgent::runtime {

const char* mode_name(PlanMode mode) {
  switch (mode) {
  case PlanMode::fixed:
    return "plan";
  case PlanMode::fits:
    return "fits";
  case PlanMode::map:
    return "map";
  }
  return "?";
}

InferConfig validate(const InferOptions& o) {
  InferConfig config;
  config.fits_given = !o.device_fit.empty() || !o.edge_fit.empty();
  if (config.fits_given && (o.device_fit.empty() || o.edge_fit.empty())) {
    throw UsageError("--device-fit and --edge-fit go together");
  }
  const int sources = (o.plan.empty() ? 0 : 1) + (o.map.empty() ? 0 : 1);
  if (sources > 1) {
    throw UsageError("give one plan source: --plan, --map, or --device-fit/--edge-fit/--deadline");
  }
  config.mode = !o.plan.empty() ? PlanMode::fixed : !o.map.empty() ? PlanMode::map : PlanMode::fits;
  if (config.mode == PlanMode::fits && !config.fits_given) {
    throw UsageError("give a plan source: --plan, --map, or --device-fit/--edge-fit/--deadline");
  }
  if (config.mode == PlanMode::fits && !(o.deadline_ms > 0)) {
    throw UsageError("planning from fits needs --deadline");
  }
  if (!o.link_trace.empty() && !o.net.emulate_trace.empty()) {
    throw UsageError("--link-trace describes a link shaped elsewhere, --emulate-trace one this "
                     "process shapes: give one",
                     {}, "--link-trace");
  }
  if (o.oracle &&
      (config.mode != PlanMode::fits || (o.net.emulate_trace.empty() && o.link_trace.empty()))) {
    throw UsageError("--oracle plans from fits at the link's true bandwidth: it needs "
                     "--device-fit/--edge-fit/--deadline and --emulate-trace or --link-trace",
                     {}, "--oracle");
  }
  const int input_sources =
      (o.data.empty() ? 0 : 1) + (o.images.empty() ? 0 : 1) + (o.tensors.empty() ? 0 : 1);
  if (input_sources != 1) {
    throw UsageError("give one input: --data, --images or --tensors");
  }
  config.strategy = plan::parse_strategy(o.strategy);
  if (!o.cascades.empty() && config.mode != PlanMode::fits) {
    throw UsageError("--cascades plans a cascade per request from the fits: it needs "
                     "--device-fit/--edge-fit/--deadline, not --plan or --map (a plan or map "
                     "made with --cascades carries its cascades)",
                     {}, "--cascades");
  }
  if (!o.cascades.empty() && config.strategy != plan::Strategy::edgent) {
    throw UsageError("--cascades searches exits, thresholds and cuts together: it goes with "
                     "--strategy edgent only",
                     {}, "--cascades");
  }
  return config;
}

} // namespace edgent::runtime
