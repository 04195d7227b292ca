#include "runtime/infer_command.hpp"

#include "core/artifact.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/log.hpp"
#include "data/inputs.hpp"
#include "data/trace.hpp"
#include "emulate/cpu_quota.hpp"
#include "emulate/dilation.hpp"
#include "model/card_from_onnx.hpp"
#include "model/model_card.hpp"
#include "runtime/device_runner.hpp"
#include "runtime/device_speed.hpp"
#include "runtime/infer_config.hpp"
#include "runtime/plan_source.hpp"
#include "runtime/probing.hpp"
#include "runtime/run_summary.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <memory>
#include <optional>
#include <thread>

// The per-request records (-o) and the edgent.run/1 summary (--summary): runtime/run_summary.cpp.

namespace edgent::runtime {

namespace {

constexpr const char* kTool = "edgent-infer";
using Clock = std::chrono::steady_clock;

std::atomic<bool> g_stop{false};
/// The signal that stopped the run (SIGINT or SIGTERM), 0 while none has.
std::atomic<int> g_stop_signal{0};

extern "C" void on_stop_signal(int sig) {
  g_stop_signal.store(sig);
  g_stop.store(true);
}

/// Installs the SIGINT and SIGTERM handlers for the run and restores the previous ones: either
/// signal ends the run after the request in progress, with its records and summary written
/// (timeout, systemd and docker stop a process with SIGTERM).
class SigintGuard {
public:
  SigintGuard() {
    g_stop.store(false);
    g_stop_signal.store(0);
    m_previous_int = std::signal(SIGINT, on_stop_signal);
    m_previous_term = std::signal(SIGTERM, on_stop_signal);
  }
  ~SigintGuard() {
    std::signal(SIGINT, m_previous_int);
    std::signal(SIGTERM, m_previous_term);
  }
  SigintGuard(const SigintGuard&) = delete;
  SigintGuard& operator=(const SigintGuard&) = delete;

private:
  void (*m_previous_int)(int) = SIG_DFL;
  void (*m_previous_term)(int) = SIG_DFL;
};

/// Sleeps until @p t unless SIGINT comes first.
void sleep_until(Clock::time_point t) {
  while (!g_stop.load() && Clock::now() < t) {
    std::this_thread::sleep_for(std::min<Clock::duration>(t - Clock::now(),
                                                          std::chrono::milliseconds(20)));
  }
}

/// The request inputs of --data, --images or --tensors, normalised as the model card says.
data::Inputs load_inputs(const InferOptions& o, const model::ModelCard& card) {
  const std::vector<int> shape(card.input_shape.begin(), card.input_shape.end());
  const data::Normalization norm{card.norm_scale, card.norm_mean, card.norm_std};
  const data::InputRange range{o.offset, o.count};
  return !o.data.empty()     ? data::load_dataset_inputs(o.data, shape, norm, range)
         : !o.images.empty() ? data::load_image_inputs(o.images, shape, norm, range, o.model)
                             : data::load_tensor_inputs(o.tensors, shape, range);
}

/// The link to the edge: the client (with the emulated link of --emulate-trace) and the
/// bandwidth estimator.
EdgeLinkOptions edge_link_options(const InferOptions& o, const std::string& model_sha256) {
  std::vector<net::TracePoint> trace_points;
  if (!o.net.emulate_trace.empty()) {
    trace_points = data::read_trace(o.net.emulate_trace).points();
  }
  EdgeLinkOptions link_options;
  link_options.client = net::to_client_options(o.net, trace_points.empty() ? nullptr : &trace_points);
  link_options.model_sha256 = model_sha256;
  link_options.estimator.link_burst_bytes = o.link_burst_bytes;
  link_options.queue.prior_ms = o.queue_ms;
  return link_options;
}

/// The link's true rate over time: the emulated link's (@p emulated, may be null), or that
/// of the trace a link shaped elsewhere replays from now on (a throttle used only as its
/// clock and schedule).
std::shared_ptr<net::Throttle> true_rate(const InferOptions& o,
                                         std::shared_ptr<net::Throttle> emulated) {
  if (o.link_trace.empty()) {
    return emulated;
  }
  std::vector<net::TracePoint> points = data::read_trace(o.link_trace).points();
  auto origin = net::TokenBucket::Clock::now();
  if (o.link_trace_start_unix > 0) {
    const double ago_s =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
            .count() -
        o.link_trace_start_unix;
    origin -= std::chrono::duration_cast<net::TokenBucket::Clock::duration>(
        std::chrono::duration<double>(ago_s));
  }
  try {
    return std::make_shared<net::Throttle>(std::move(points), o.net.trace_scale, 4096, origin);
  } catch (Error& e) {
    e.set_file_if_empty(o.link_trace);
    throw;
  }
}

/// Sets the device latency of each exit for fallbacks: predicted from the device fit
/// (@p latency, may be null), else measured on the first input.
void set_exit_latency(DeviceRunner& runner, const plan::LatencyModel* latency,
                      const data::Inputs& inputs) {
  if (latency) {
    std::vector<double> exit_ms(static_cast<std::size_t>(runner.exits()), 0.0);
    for (const plan::ExitCosts& e : latency->problem().exits) {
      if (e.exit >= 1 && e.exit <= runner.exits()) {
        for (const double ms : e.device_ms) {
          exit_ms[static_cast<std::size_t>(e.exit - 1)] += ms;
        }
      }
    }
    runner.set_exit_latency(exit_ms);
  } else if (!inputs.blobs.empty()) {
    runner.set_exit_latency(runner.measure_exit_latency(inputs.blobs.front(), 3));
  }
  log::verbose("device exit latencies: {:.3f} ms", fmt::join(runner.exit_latency(), ", "));
}

bool same_plan(const plan::PlanRecord& a, const plan::PlanRecord& b) {
  return a.exit == b.exit && a.cut == b.cut && a.order == b.order && a.codec == b.codec;
}

/// What one request needs besides its input.
struct RequestContext {
  const InferOptions& options;
  EdgeLink& link;
  const net::Throttle* true_rate;  ///< null = the true rate is unknown
  PlanSource& source;
  DeviceRunner& runner;
  DeviceSpeed* speed;  ///< null = plan the device as profiled (--no-device-speed)
};

/// The conditions a run starts under, before anything is measured: the given bandwidth
/// (--bandwidth), RTT and edge queue, the device as profiled.
RequestConditions start_conditions(const InferOptions& o) {
  RequestConditions c;
  c.network = plan::offload_network(o.bandwidth_kbps, o.bandwidth_kbps, o.rtt_ms, o.queue_ms);
  return c;
}

/// Plans and runs request @p i (input @p blob, label @p label) that counts as started at
/// @p start; @p previous is the plan of the request before, updated.
RequestRecord run_request(RequestContext& ctx, std::size_t i, const cv::Mat& blob, int label,
                          Clock::time_point start, std::optional<plan::PlanRecord>& previous) {
  const InferOptions& o = ctx.options;
  RequestRecord rec;
  rec.id = i + o.offset;
  rec.label = label;
  rec.deadline_ms = ctx.source.deadline_ms();
  rec.slowdown = o.slowdown;
  rec.bandwidth_kbps = ctx.link.estimator().bandwidth_kbps();
  rec.rtt_ms = ctx.link.estimator().rtt_ms();
  if (ctx.true_rate) {
    rec.trace_t_s = ctx.true_rate->trace_time_s(start);
    rec.true_kbps = ctx.true_rate->kbps_at(start);
  }
  const std::optional<double>& bw = rec.bandwidth_kbps;
  const double kbps = o.oracle ? *rec.true_kbps : bw ? *bw : o.bandwidth_kbps;
  RequestConditions conditions;
  // A busy edge answers later: the queueing it reports goes into the plan, so that a loaded
  // edge pushes the plan toward the device (and back as the queue drains).
  rec.planned_queue_ms = o.no_queue_estimate ? o.queue_ms : ctx.link.queue_ms();
  conditions.network = plan::offload_network(kbps, kbps, rec.rtt_ms ? *rec.rtt_ms : o.rtt_ms,
                                             rec.planned_queue_ms);
  // A device slower or faster now than when it was profiled is planned as it runs now.
  rec.device_scale = ctx.speed ? ctx.speed->scale() : 1.0;
  conditions.network.device_scale = rec.device_scale;
  conditions.measured_kbps = bw;
  if (ctx.source.mode() == PlanMode::map) {
    conditions.now_s = ctx.link.now_s();
  }
  PlanChoice choice = ctx.source.next(conditions);
  rec.plan = std::move(choice.plan);
  rec.predicted = choice.predicted;
  rec.state = std::move(choice.state);
  rec.switched = previous && !same_plan(*previous, rec.plan);
  previous = rec.plan;
  ctx.runner.check_plan(rec.plan, "plan");

  rec.result = ctx.runner.run(rec.id, blob, rec.plan, start, rec.deadline_ms);
  rec.cls = argmax(rec.result.logits);
  // A fallback ran work the plan did not predict.
  if (rec.plan.cascade && !rec.result.fallback) {
    const std::vector<int>& exits = rec.plan.cascade->cascade.exits;
    const auto at = std::find(exits.begin(), exits.end(), rec.result.exit);
    const auto k = static_cast<std::size_t>(at - exits.begin());
    if (at != exits.end() && k < choice.per_exit.size()) {
      rec.predicted_answer = choice.per_exit[k];
    }
  }
  // The device's speed is the ratio of what ran to its prediction: for a cascade, the exit
  // that answered (against the expected mean over the exits, an input leaving at the first
  // exit would read as a fast device and one running to the last as a slow one). Its work is
  // compute and codec alike, both of which device_scale multiplies: an edge-only plan's is
  // all codec.
  const std::optional<plan::Breakdown>& predicted = rec.prediction_of_run();
  if (ctx.speed && predicted && !rec.result.fallback) {
    ctx.speed->add(rec.result.measured.device_ms + rec.result.measured.codec_ms,
                   (predicted->device_ms + predicted->codec_ms) / rec.device_scale);
  }
  return rec;
}

/// The --logits line of @p rec: `id,exit,v1,...,vK`, each value with 9 significant digits (a
/// float32 read back exactly).
std::string logits_line(const RequestRecord& rec) {
  const cv::Mat row = rec.result.logits.reshape(1, 1);
  std::string line = fmt::format("{},{}", rec.id, rec.result.exit);
  for (int k = 0; k < row.cols; ++k) {
    line += fmt::format(",{:.9g}", row.at<float>(0, k));
  }
  return line + "\n";
}

/// Runs the requests of @p inputs from @p t0 on (one each 1 / rate s in open loop) until
/// they end or a signal stops the run; counts each in @p summary and writes its record to
/// @p out and its logits to @p logits (either may be null).
void run_requests(RequestContext& ctx, const data::Inputs& inputs, Clock::time_point t0,
                  RunSummary& summary, AtomicFile* out, AtomicFile* logits) {
  const double rate = ctx.options.rate;
  std::optional<plan::PlanRecord> previous;
  for (std::size_t i = 0; i < inputs.blobs.size() && !g_stop.load(); ++i) {
    Clock::time_point start = Clock::now();
    if (rate > 0) {
      start = t0 + std::chrono::duration_cast<Clock::duration>(
                       std::chrono::duration<double>(static_cast<double>(i) / rate));
      sleep_until(start);
      if (g_stop.load()) {
        break;
      }
    }
    const RequestRecord rec = run_request(ctx, i, inputs.blobs[i], inputs.labels[i], start, previous);
    summary.add(rec);
    if (out) {
      out->write(to_json(rec).dump() + "\n");
    }
    if (logits) {
      logits->write(logits_line(rec));
    }
  }
}

/// What the summary states of a run under @p o besides its requests, elapsed time, probes
/// and interruption.
RunFacts run_facts(const InferOptions& o, const InferConfig& config,
                   const std::string& model_sha256, double deadline_ms) {
  RunFacts facts;
  facts.mode = mode_name(config.mode);
  if (config.mode == PlanMode::fits) {
    facts.strategy = o.strategy;
  }
  facts.oracle = o.oracle;
  facts.model_sha256 = model_sha256;
  facts.deadline_ms = deadline_ms;
  facts.slowdown = o.slowdown;
  facts.cpu_quota = o.cpu_quota;
  return facts;
}

} // namespace

namespace {
int run_infer_unconfined(const InferOptions& o);
} // namespace

int run(const InferOptions& o) {
  // The whole device side (compute and transport) runs at the emulated device's speed.
  const emulate::CpuQuotaScope quota(o.cpu_quota, "device");
  return run_infer_unconfined(o);
}

namespace {

int run_infer_unconfined(const InferOptions& o) {
  const InferConfig config = validate(o);
  // Outputs are written after the run: a path that cannot be written fails now, not then.
  for (const std::string* path : {&o.output, &o.summary, &o.logits}) {
    if (!path->empty()) {
      check_output_path(*path);
    }
  }

  const model::ModelCard card = model::load_model_card(o.model);
  const auto graph = model::OnnxGraph::from_file(model::onnx_path(card, o.model));
  model::check_card_matches_onnx(card, o.model, *graph);
  const std::unique_ptr<PlanSource> source = open_plan_source(config, o, graph->sha256());
  const data::Inputs inputs = load_inputs(o, card);

  const EdgeLinkOptions link_options = edge_link_options(o, graph->sha256());
  EdgeLink link(link_options);
  const std::shared_ptr<net::Throttle> throttle = true_rate(o, link_options.client.throttle);
  // One OpenCV thread runs the work in the caller: its own CPU time then leaves out the link
  // monitor's thread.
  DeviceRunner runner(graph, &link, o.cv_threads,
                      emulate::TimeDilation(o.slowdown, "--slowdown",
                                            o.cv_threads == 1 ? emulate::CpuClock::thread
                                                              : emulate::CpuClock::process));
  // Plans the run may use: check them against the model and load them up front.
  source->prepare(runner, start_conditions(o));
  const bool device_only_run = source->device_only(runner);
  set_exit_latency(runner, source->latency_model(), inputs);
  if (!device_only_run) {
    const net::HttpResult r = link.check_model(); // ConfigError when the edge serves another model
    if (!r.ok()) {
      log::warn("edge {} not reachable ({}); requests fall back to the device until it is",
                o.net.edge, r.error);
    }
  }

  SigintGuard sigint;
  std::optional<AtomicFile> out;
  if (!o.output.empty()) {
    out.emplace(o.output);
  }
  std::optional<AtomicFile> logits;
  if (!o.logits.empty()) {
    logits.emplace(o.logits);
  }
  RunSummary summary;
  std::size_t probes =
      start_probing(link, probing_policy(device_only_run, o.no_probe, o.oracle));
  std::optional<DeviceSpeed> speed;
  if (!o.no_device_speed && source->latency_model()) {
    speed.emplace();
  }
  RequestContext ctx{o, link, throttle.get(), *source, runner, speed ? &*speed : nullptr};
  const auto t0 = Clock::now();
  run_requests(ctx, inputs, t0, summary, out ? &*out : nullptr, logits ? &*logits : nullptr);
  probes += link.stop_monitor();

  RunFacts facts = run_facts(o, config, graph->sha256(), source->deadline_ms());
  facts.interrupted = g_stop.load();
  facts.elapsed_s = std::chrono::duration<double>(Clock::now() - t0).count();
  facts.probes = probes;
  if (out) {
    out->commit();
  }
  if (logits) {
    logits->commit();
  }
  summary.log(facts);
  if (!o.summary.empty()) {
    write_artifact(o.summary, summary.to_json(facts), "run", kTool);
  }
  if (facts.interrupted) {
    const bool term = g_stop_signal.load() == SIGTERM;
    log::warn("interrupted by {} after {} of {} requests", term ? "SIGTERM" : "SIGINT",
              summary.count(), inputs.blobs.size());
    return to_int(term ? ExitCode::terminated : ExitCode::interrupted);
  }
  return 0;
}

} // namespace

} // namespace edgent::runtime
