#pragma once

#include "dynamic/config_map.hpp"
#include "plan/cascade_plan.hpp"
#include "plan/latency_model.hpp"
#include "plan/plan_json.hpp"
#include "plan/planner.hpp"
#include "runtime/infer_config.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>

namespace edgent::runtime {

class DeviceRunner;

/// What the device knows of the link when a request starts.
struct RequestConditions {
  /// The network to plan at: the planning bandwidth (measured estimate, true rate for the
  /// oracle, or the prior) both ways, and the RTT.
  plan::Network network;
  std::optional<double> measured_kbps;  ///< the estimator's bandwidth; empty = none yet
  double now_s = 0;                     ///< seconds on the link's clock (EdgeLink::now_s)
};

/// The plan of one request.
struct PlanChoice {
  plan::PlanRecord plan;
  std::optional<plan::Breakdown> predicted;  ///< empty = no prediction
  /// A cascade's prediction for an input answered at each of its exits, in the cascade's
  /// order (predicted is their mean weighted by P(leave)); empty for a fixed exit or without
  /// a latency model.
  std::vector<plan::Breakdown> per_exit;
  nlohmann::json state;  ///< map mode: {index, lo_kbps, estimate_kbps}; null otherwise
};

/// Gives edgent-infer the plan of each request.
class PlanSource {
public:
  virtual ~PlanSource() = default;
  /// The run's mode (its name is the summary's `mode`).
  virtual PlanMode mode() const = 0;
  /// The latency requirement of the run, ms.
  virtual double deadline_ms() const = 0;
  /// Checks every plan the run may use against the model and loads their segment nets, run
  /// once, so that no request pays for loading them. Plans chosen per request are checked as
  /// they come; of those, the one for @p start (the conditions the run starts under) is
  /// loaded. Throws ConfigError naming the file. Call once, before next().
  virtual void prepare(DeviceRunner& runner, const RequestConditions& start) = 0;
  /// True when no request ever crosses the network.
  virtual bool device_only(const DeviceRunner& runner) const = 0;
  /// The plan of the request starting under @p conditions.
  virtual PlanChoice next(const RequestConditions& conditions) = 0;
  /// The device and edge latency model (from the fits), null when none was given.
  const plan::LatencyModel* latency_model() const { return m_latency.get(); }

protected:
  explicit PlanSource(std::shared_ptr<const plan::LatencyModel> latency)
      : m_latency(std::move(latency)) {}
  /// Sets @p choice's predictions of its plan under @p network, when there is a model and
  /// the plan can be predicted there (a link, or nothing sent): for a cascade the expected
  /// breakdown over its exits (P(leave) from the plan) and each exit's; otherwise
  /// choice.predicted = @p stored.
  void predict(PlanChoice& choice, const plan::Network& network,
               std::optional<plan::Breakdown> stored) const;

private:
  std::shared_ptr<const plan::LatencyModel> m_latency;
};

/// A plan file's plan (edgent.plan/1).
struct FixedPlan {
  plan::PlanRecord plan;
  std::optional<plan::Breakdown> predicted;
  double deadline_ms = 0;  ///< the given deadline, else the plan's
  std::string file;        ///< the plan file, as errors name it
};

/// Reads the plan file @p path made for the model whose ONNX has @p model_sha256; the
/// deadline is @p deadline_ms when > 0, else the plan's. Throws SchemaError, and ConfigError
/// when the plan was made for another model.
FixedPlan read_fixed_plan(const std::string& path, const std::string& model_sha256,
                          double deadline_ms);

/// One plan for every request (--plan).
class FixedPlanSource : public PlanSource {
public:
  /// @p latency may be null: the plan's own prediction then stands.
  FixedPlanSource(FixedPlan plan, std::shared_ptr<const plan::LatencyModel> latency);
  PlanMode mode() const override { return PlanMode::fixed; }
  double deadline_ms() const override { return m_plan.deadline_ms; }
  void prepare(DeviceRunner& runner, const RequestConditions& start) override;
  bool device_only(const DeviceRunner& runner) const override;
  PlanChoice next(const RequestConditions& conditions) override;

private:
  FixedPlan m_plan;
};

/// Plans each request from the fits at the request's network and device speed
/// (--device-fit/--edge-fit): a fixed exit by @p strategy, or with a cascade table
/// (--cascades) the confidence cascade plan::decide_cascade picks, its expected breakdown as
/// the prediction.
class FitsPlanner : public PlanSource {
public:
  /// @p latency must not be null.
  FitsPlanner(std::shared_ptr<const plan::LatencyModel> latency, double deadline_ms,
              plan::Strategy strategy,
              std::optional<plan::CascadeSearch> cascades = std::nullopt);
  PlanMode mode() const override { return PlanMode::fits; }
  double deadline_ms() const override { return m_deadline_ms; }
  /// Loads the plans for @p start and for the conditions around it that a run meets as it
  /// goes: the bandwidth from 1/8 to 8 times the start's (no link: 25 kbit/s to 25 Mbit/s)
  /// and the device's work taking 0.75 to 1.5 times as long as profiled, a grid of 78 points.
  /// Every cut of every exit would be hundreds of nets, each with its own copy of the weights,
  /// too much for a small device; a plan outside the grid loads its nets in the first request
  /// that runs it, on the device's clock.
  void prepare(DeviceRunner& runner, const RequestConditions& start) override;
  /// Device-only and exit-only never offload.
  bool device_only(const DeviceRunner& runner) const override;
  PlanChoice next(const RequestConditions& conditions) override;

private:
  double m_deadline_ms;
  plan::Strategy m_strategy;
  std::optional<plan::CascadeSearch> m_cascades;
  /// With m_cascades: its table's candidates, prepared once for every request's search.
  std::optional<plan::CascadeCandidates> m_candidates;
};

/// The config map's plan for the state the change-point detector picks from the measured
/// bandwidth (--map).
class MapPlanSource : public PlanSource {
public:
  /// @p file names the map in errors; the deadline is @p deadline_ms when > 0, else the
  /// map's. @p latency may be null.
  MapPlanSource(dynamic::ConfigMap map, std::string file, double deadline_ms,
                std::shared_ptr<const plan::LatencyModel> latency);
  MapPlanSource(const MapPlanSource&) = delete;
  MapPlanSource& operator=(const MapPlanSource&) = delete;
  PlanMode mode() const override { return PlanMode::map; }
  double deadline_ms() const override { return m_deadline_ms; }
  /// Also starts the detector, which refuses a map without states (ConfigError).
  void prepare(DeviceRunner& runner, const RequestConditions& start) override;
  bool device_only(const DeviceRunner&) const override { return false; }
  /// Feeds the detector one sample per detector step elapsed since the last feed (the first
  /// as soon as there is an estimate), else guards the plan in force with the estimate.
  PlanChoice next(const RequestConditions& conditions) override;

private:
  /// The detector and its state, made once the plans are checked; refers to m_map.
  dynamic::PlanSelector& selector();

  dynamic::ConfigMap m_map;
  std::string m_file;
  double m_deadline_ms;
  std::optional<dynamic::PlanSelector> m_selector;
  double m_last_feed_s = 0;
  bool m_fed = false;
};

/// The plan source @p config asks for: reads the plan file or the config map (made for the
/// model whose ONNX has @p model_sha256), then the fits when given. Throws the readers'
/// errors, and ConfigError for an artifact made for another model.
std::unique_ptr<PlanSource> open_plan_source(const InferConfig& config,
                                             const InferOptions& options,
                                             const std::string& model_sha256);

} // namespace edgent::runtime
