#include "runtime/infer_command.hpp"

#include "core/artifact.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/log.hpp"
#include "core/stats.hpp"
#include "data/dataset.hpp"
#include "dynamic/config_map.hpp"
#include "data/trace.hpp"
#include "model/model_card.hpp"
#include "emulate/cpu_quota.hpp"
#include "emulate/dilation.hpp"
#include "plan/plan_json.hpp"
#include "plan/problem_from_artifacts.hpp"
#include "runtime/device_runner.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <optional>
#include <sstream>
#include <thread>

// Per-request record (one JSON line of -o):
//   id, input, plan {exit, cut, order, codec}, exit_used,
//   predicted {device_ms, edge_ms, up_ms, down_ms, total_ms} | null,
//   measured {device_ms, device_cpu_ms, codec_ms, edge_queue_ms, edge_compute_ms, up_ms,
//             down_ms, network_ms, total_ms},
//   bandwidth_kbps|null, rtt_ms|null, state {index, lo_kbps, estimate_kbps} | null,
//   trace_t_s|null, true_kbps|null,       // --emulate-trace: trace time and rate at the start
//   class, label|null, correct|null, deadline_ms, deadline_met, fallback, fallback_reason|null,
//   offloaded, bytes_up, bytes_down, switched, slowdown
// edgent.run/1 (--summary):
//   mode, strategy|null, oracle, model_sha256, deadline_ms, count, labelled, accuracy|null,
//   on_time_accuracy|null,                // correct and within the deadline, over labelled
//   deadline_misses, deadline_miss_rate, latency_ms {mean, p50, p95, p99, max},
//   plan_switches, fallbacks, offloaded, bytes_up, bytes_down, probes,
//   device {emulation "none"|"dilation"|"cpu-quota", slowdown, cpus|null},
//   overhead {requests, median_ms, median_ratio, within_target}   // offloaded: total - (device + edge compute)
//   prediction {requests, median_rel_error,  // |measured - predicted| / measured total
//               device {requests, median_rel_error},   // device compute, requests that ran some
//               edge {requests, median_rel_error},     // edge compute, offloaded requests
//               network {requests, median_rel_error}}  // up + down, offloaded requests
//   elapsed_s, interrupted

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

/// The request inputs: normalised float32 NCHW blobs and optional labels.
struct Inputs {
  std::vector<cv::Mat> blobs;
  std::vector<int> labels; ///< -1 = unknown
};

std::vector<int> blob_shape(const model::ModelCard& card) {
  std::vector<int> shape;
  for (const auto d : card.input_shape) {
    shape.push_back(static_cast<int>(d));
  }
  return shape;
}

std::size_t input_range_end(const InferOptions& o, std::size_t available, const std::string& what) {
  if (o.offset >= available) {
    throw DataError(fmt::format("--offset {} is past the {} inputs", o.offset, available), what);
  }
  const std::size_t left = available - o.offset;
  return o.offset + (o.count > 0 ? std::min(o.count, left) : left);
}

Inputs load_dataset_inputs(const InferOptions& o, const model::ModelCard& card) {
  const std::size_t limit = o.count > 0 ? o.offset + o.count : 0;
  const data::Dataset ds = data::load_fashion_mnist(o.data, data::Split::test, limit);
  const auto shape = blob_shape(card);
  if (ds.channels != shape[1] || ds.height != shape[2] || ds.width != shape[3]) {
    throw ConfigError(fmt::format("the data set's images are {}x{}x{}, the model takes {}x{}x{}",
                                  ds.channels, ds.height, ds.width, shape[1], shape[2], shape[3]),
                      o.data, "input.shape");
  }
  const data::Normalization norm{card.norm_scale, card.norm_mean, card.norm_std};
  Inputs in;
  const std::size_t end = input_range_end(o, ds.size(), o.data);
  for (std::size_t i = o.offset; i < end; ++i) {
    cv::Mat blob(static_cast<int>(shape.size()), shape.data(), CV_32F);
    data::to_float(ds, norm, i, 1, std::span<float>(blob.ptr<float>(), ds.image_values()));
    in.blobs.push_back(blob);
    in.labels.push_back(ds.labels[i]);
  }
  return in;
}

std::vector<std::string> image_paths(const std::string& where) {
  namespace fs = std::filesystem;
  std::vector<std::string> paths;
  std::error_code ec;
  if (fs::is_directory(where, ec)) {
    static const std::vector<std::string> exts{".png", ".jpg", ".jpeg", ".bmp", ".pgm",
                                               ".ppm", ".pnm", ".tif", ".tiff", ".webp"};
    for (const auto& entry : fs::directory_iterator(where, ec)) {
      std::string ext = entry.path().extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (entry.is_regular_file() && std::find(exts.begin(), exts.end(), ext) != exts.end()) {
        paths.push_back(entry.path().string());
      }
    }
    std::sort(paths.begin(), paths.end());
    if (paths.empty()) {
      throw DataError("the directory holds no image files", where);
    }
    return paths;
  }
  // A list: one path per line, relative to the list's directory; blank lines and # skipped.
  const std::string text = read_file(where);
  const fs::path base = where == "-" ? fs::path(".") : fs::path(where).parent_path();
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) {
      line.pop_back();
    }
    if (line.empty() || line[0] == '#') {
      continue;
    }
    const fs::path p(line);
    paths.push_back(p.is_absolute() ? p.string() : (base / p).string());
  }
  if (paths.empty()) {
    throw DataError("the image list names no files", display_name(where));
  }
  return paths;
}

Inputs load_image_inputs(const InferOptions& o, const model::ModelCard& card) {
  const auto shape = blob_shape(card);
  const int c = shape[1];
  if (c != 1 && c != 3) {
    throw ConfigError(fmt::format("images need a model input of 1 or 3 channels, not {}", c),
                      o.model, "input.shape");
  }
  const auto paths = image_paths(o.images);
  Inputs in;
  const std::size_t end = input_range_end(o, paths.size(), o.images);
  for (std::size_t i = o.offset; i < end; ++i) {
    cv::Mat img = cv::imread(paths[i], c == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
    if (img.empty()) {
      throw DataError("not an image OpenCV can read", paths[i]);
    }
    if (c == 3) {
      cv::cvtColor(img, img, cv::COLOR_BGR2RGB);
    }
    cv::resize(img, img, cv::Size(shape[3], shape[2]), 0, 0, cv::INTER_AREA);
    cv::Mat blob(static_cast<int>(shape.size()), shape.data(), CV_32F);
    float* out = blob.ptr<float>();
    const std::size_t plane = static_cast<std::size_t>(shape[2]) * shape[3];
    for (int y = 0; y < shape[2]; ++y) {
      const std::uint8_t* row = img.ptr<std::uint8_t>(y);
      for (int x = 0; x < shape[3]; ++x) {
        for (int ch = 0; ch < c; ++ch) {
          const double px = row[x * c + ch];
          out[ch * plane + static_cast<std::size_t>(y) * shape[3] + x] = static_cast<float>(
              (px * card.norm_scale - card.norm_mean[ch]) / card.norm_std[ch]);
        }
      }
    }
    in.blobs.push_back(blob);
    in.labels.push_back(-1);
  }
  return in;
}

Inputs load_tensor_inputs(const InferOptions& o, const model::ModelCard& card) {
  const auto shape = blob_shape(card);
  std::size_t values = 1;
  for (const int d : shape) {
    values *= static_cast<std::size_t>(d);
  }
  const std::string bytes = read_file(o.tensors);
  const std::size_t each = values * sizeof(float);
  if (bytes.empty() || bytes.size() % each != 0) {
    throw DataError(fmt::format("{} bytes is not a whole number of {}-byte float32 tensors",
                                bytes.size(), each),
                    display_name(o.tensors));
  }
  Inputs in;
  const std::size_t end = input_range_end(o, bytes.size() / each, display_name(o.tensors));
  for (std::size_t i = o.offset; i < end; ++i) {
    cv::Mat blob(static_cast<int>(shape.size()), shape.data(), CV_32F);
    std::memcpy(blob.ptr<float>(), bytes.data() + i * each, each); // little-endian host
    if (!cv::checkRange(blob)) {
      throw DataError(fmt::format("tensor {} holds a non-finite value", i),
                      display_name(o.tensors));
    }
    in.blobs.push_back(blob);
    in.labels.push_back(-1);
  }
  return in;
}

enum class Mode { fixed, fits, map };

const char* mode_name(Mode m) {
  switch (m) {
  case Mode::fixed:
    return "plan";
  case Mode::fits:
    return "fits";
  case Mode::map:
    return "map";
  }
  return "?";
}

bool same_plan(const plan::PlanRecord& a, const plan::PlanRecord& b) {
  return a.exit == b.exit && a.cut == b.cut && a.order == b.order && a.codec == b.codec;
}

nlohmann::json plan_json(const plan::PlanRecord& p) {
  return {{"exit", p.exit}, {"cut", p.cut}, {"order", plan::order_name(p.order)},
          {"codec", p.codec}};
}

nlohmann::json optional_json(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json();
}

/// stats::quantile() of @p v (q in [0, 1]), 0 when empty.
double percentile(const std::vector<double>& v, double q) {
  return v.empty() ? 0.0 : stats::quantile(v, q);
}

/// stats::median() of @p v, 0 when empty.
double median(std::vector<double> v) {
  return v.empty() ? 0.0 : stats::median(std::move(v));
}

void check_sha(const std::string& have, const std::string& want, const std::string& file) {
  if (!have.empty() && !want.empty() && have != want) {
    throw ConfigError(fmt::format("made for model {}, but the model card's ONNX is {}", have,
                                  want),
                      file, "model_sha256");
  }
}

/// Sleeps until @p t unless SIGINT comes first.
void sleep_until(Clock::time_point t) {
  while (!g_stop.load() && Clock::now() < t) {
    std::this_thread::sleep_for(std::min<Clock::duration>(t - Clock::now(),
                                                          std::chrono::milliseconds(20)));
  }
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
  // Which plan source.
  const bool fits_given = !o.device_fit.empty() || !o.edge_fit.empty();
  if (fits_given && (o.device_fit.empty() || o.edge_fit.empty())) {
    throw UsageError("--device-fit and --edge-fit go together");
  }
  const int sources = (o.plan.empty() ? 0 : 1) + (o.map.empty() ? 0 : 1);
  if (sources > 1) {
    throw UsageError("give one plan source: --plan, --map, or --device-fit/--edge-fit/--deadline");
  }
  const Mode mode = !o.plan.empty() ? Mode::fixed : !o.map.empty() ? Mode::map : Mode::fits;
  if (mode == Mode::fits && !fits_given) {
    throw UsageError("give a plan source: --plan, --map, or --device-fit/--edge-fit/--deadline");
  }
  if (mode == Mode::fits && !(o.deadline_ms > 0)) {
    throw UsageError("planning from fits needs --deadline");
  }
  if (!o.link_trace.empty() && !o.net.emulate_trace.empty()) {
    throw UsageError("--link-trace describes a link shaped elsewhere, --emulate-trace one this "
                     "process shapes: give one",
                     {}, "--link-trace");
  }
  if (o.oracle && (mode != Mode::fits || (o.net.emulate_trace.empty() && o.link_trace.empty()))) {
    throw UsageError("--oracle plans from fits at the link's true bandwidth: it needs "
                     "--device-fit/--edge-fit/--deadline and --emulate-trace or --link-trace",
                     {}, "--oracle");
  }
  const int input_sources =
      (o.data.empty() ? 0 : 1) + (o.images.empty() ? 0 : 1) + (o.tensors.empty() ? 0 : 1);
  if (input_sources != 1) {
    throw UsageError("give one input: --data, --images or --tensors");
  }
  const plan::Strategy strategy = plan::parse_strategy(o.strategy);
  // Outputs are written after the run: a path that cannot be written fails now, not then.
  for (const std::string* path : {&o.output, &o.summary}) {
    if (!path->empty()) {
      check_output_path(*path);
    }
  }

  // Model.
  const model::ModelCard card = model::read_model_card(o.model);
  const auto graph = model::OnnxGraph::from_file(model::onnx_path(card, o.model));
  model::check_onnx_sha256(card, o.model, graph->file(), graph->sha256());

  // Plan source artifacts.
  double deadline = o.deadline_ms;
  plan::PlanRecord fixed_plan;
  std::optional<plan::Breakdown> fixed_predicted;
  std::optional<dynamic::ConfigMap> config_map;
  if (mode == Mode::fixed) {
    const Artifact art = read_artifact(o.plan, "plan");
    const JsonView root = art.root();
    fixed_plan = plan::plan_from_json(root.at("plan"));
    fixed_predicted = plan::breakdown_from_json(root.at("predicted"));
    check_sha(root.at("model_sha256").string(), graph->sha256(), art.file);
    if (!(deadline > 0)) {
      deadline = root.at("deadline_ms").number(0, 1e9);
    }
  } else if (mode == Mode::map) {
    config_map = dynamic::config_map_from_artifact(read_artifact(o.map, "configmap"));
    check_sha(config_map->model_sha256, graph->sha256(), o.map);
    if (!(deadline > 0)) {
      deadline = config_map->deadline_ms;
    }
  }
  std::optional<plan::LatencyModel> latency;
  if (fits_given) {
    plan::ModelInputs mi;
    mi.model = o.model;
    mi.accuracy = o.accuracy;
    mi.device_fit = o.device_fit;
    mi.edge_fit = o.edge_fit;
    latency.emplace(plan::load_problem(mi).problem);
  }

  // Inputs.
  const Inputs inputs = !o.data.empty()     ? load_dataset_inputs(o, card)
                        : !o.images.empty() ? load_image_inputs(o, card)
                                            : load_tensor_inputs(o, card);

  // Transport.
  std::vector<net::TracePoint> trace_points;
  if (!o.net.emulate_trace.empty()) {
    trace_points = data::read_trace(o.net.emulate_trace).points();
  }
  EdgeLinkOptions link_options;
  link_options.client = net::to_client_options(o.net, trace_points.empty() ? nullptr : &trace_points);
  link_options.model_sha256 = graph->sha256();
  link_options.estimator.link_burst_bytes = o.link_burst_bytes;
  EdgeLink link(link_options);
  // The link's true rate over time: the emulated link's, or that of the trace a link shaped
  // elsewhere replays from now on (a throttle used only as its clock and schedule).
  std::shared_ptr<net::Throttle> throttle = link_options.client.throttle;
  if (!o.link_trace.empty()) {
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
      throttle = std::make_shared<net::Throttle>(std::move(points), o.net.trace_scale, 4096, origin);
    } catch (Error& e) {
      e.set_file_if_empty(o.link_trace);
      throw;
    }
  }
  // One OpenCV thread runs the work in the caller: its own CPU time then leaves out the link
  // monitor's thread.
  DeviceRunner runner(graph, &link, o.cv_threads,
                      emulate::TimeDilation(o.slowdown, "--slowdown",
                                            o.cv_threads == 1 ? emulate::CpuClock::thread
                                                              : emulate::CpuClock::process));

  // Plans the run may use: check them against the model up front.
  if (mode == Mode::fixed) {
    runner.check_plan(fixed_plan, display_name(o.plan));
    runner.prepare(fixed_plan);
  } else if (mode == Mode::map) {
    for (std::size_t i = 0; i < config_map->states.size(); ++i) {
      runner.check_plan(config_map->states[i].plan,
                        fmt::format("{}: states[{}]", display_name(o.map), i));
      runner.prepare(config_map->states[i].plan);
    }
  }
  const bool device_only_run =
      (mode == Mode::fixed && fixed_plan.order == plan::Order::device_first &&
       fixed_plan.cut == runner.segments().chain(fixed_plan.exit).size()) ||
      (mode == Mode::fits &&
       (strategy == plan::Strategy::device_only || strategy == plan::Strategy::exit_only));

  // Device latency of each exit for fallbacks: predicted from the device fit, else measured.
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

  if (!device_only_run) {
    const net::HttpResult r = link.check_model(); // ConfigError when the edge serves another model
    if (!r.ok()) {
      log::warn("edge {} not reachable ({}); requests fall back to the device until it is",
                o.net.edge, r.error);
    }
  }

  std::optional<dynamic::PlanSelector> selector;
  double last_feed_s = 0;
  bool fed = false;
  if (config_map) {
    selector.emplace(*config_map, latency ? &*latency : nullptr);
    last_feed_s = link.now_s();
  }

  SigintGuard sigint;
  std::optional<AtomicFile> out;
  if (!o.output.empty()) {
    out.emplace(o.output);
  }

  std::vector<double> latencies;
  std::vector<double> overhead_ms;
  std::vector<double> overhead_ratio;
  std::size_t within_target = 0; // overhead <= 10% of compute + 0.3 ms
  std::vector<double> rel_error;
  std::vector<double> device_error;
  std::vector<double> edge_error;
  std::vector<double> network_error;
  std::size_t labelled = 0;
  std::size_t correct = 0;
  std::size_t correct_on_time = 0;
  std::size_t misses = 0;
  std::size_t switches = 0;
  std::size_t fallbacks = 0;
  std::size_t offloaded = 0;
  std::size_t probes = 0;
  std::size_t bytes_up = 0;
  std::size_t bytes_down = 0;
  std::optional<plan::PlanRecord> previous;
  // Pings keep the RTT estimate fresh; probes measure the bandwidth when requests do not
  // (device-only states, a fast link). The oracle knows the bandwidth: it sends no probes.
  const bool pinging = !device_only_run && !o.no_probe;
  const bool probing = pinging && !o.oracle;
  if (pinging) {
    link.ping();
  }
  if (probing) {
    // Measure the link before the schedule starts: a first probe inside it would delay the
    // first requests.
    probes += static_cast<std::size_t>(link.measure());
  }
  if (pinging) {
    // From now on the link is measured in the background, on a connection of its own, when
    // the requests do not measure it themselves.
    MonitorOptions monitor;
    monitor.probe = probing;
    link.start_monitor(monitor);
  }
  const auto t0 = Clock::now();

  for (std::size_t i = 0; i < inputs.blobs.size() && !g_stop.load(); ++i) {
    Clock::time_point start = Clock::now();
    if (o.rate > 0) {
      start = t0 + std::chrono::duration_cast<Clock::duration>(
                       std::chrono::duration<double>(static_cast<double>(i) / o.rate));
    }
    if (o.rate > 0) {
      sleep_until(start);
      if (g_stop.load()) {
        break;
      }
    }
    const std::optional<double> bw = link.estimator().bandwidth_kbps();
    const std::optional<double> rtt = link.estimator().rtt_ms();
    std::optional<double> trace_t;
    std::optional<double> true_kbps;
    if (throttle) {
      trace_t = throttle->trace_time_s(start);
      true_kbps = throttle->kbps_at(start);
    }
    const double kbps = o.oracle ? *true_kbps : bw ? *bw : o.bandwidth_kbps;
    const plan::Network network = plan::offload_network(kbps, kbps, rtt ? *rtt : o.rtt_ms);

    // Pick the plan.
    plan::PlanRecord current;
    std::optional<plan::Breakdown> predicted;
    nlohmann::json state;
    if (mode == Mode::fixed) {
      current = fixed_plan;
      predicted = fixed_predicted;
    } else if (mode == Mode::fits) {
      const plan::Decision d = plan::decide(*latency, network, deadline, strategy);
      current = plan::to_record(*latency, d);
      predicted = d.predicted;
    } else {
      const double now = link.now_s();
      const double step = std::max(config_map->settings.step_s, 1e-3);
      if (bw && (!fed || now - last_feed_s >= step)) {
        // One sample per detector step elapsed (the first as soon as there is an estimate).
        const auto steps = !fed ? 1
                                : static_cast<int>(
                                      std::min(100.0, std::floor((now - last_feed_s) / step)));
        fed = true;
        for (int s = 0; s < steps; ++s) {
          selector->update(*bw);
        }
        last_feed_s = now;
      } else if (bw) {
        selector->guard(*bw);
      }
      const dynamic::MapState& st = selector->current();
      current = st.plan;
      predicted = st.predicted;
      state = {{"index", selector->state_index()}, {"lo_kbps", st.lo_kbps},
               {"estimate_kbps", selector->estimate_kbps()}};
    }
    if (latency && mode != Mode::fits && (network.up_kbps > 0 || current.codec == "none")) {
      predicted = latency->latency(dynamic::choice_from_record(*latency, current), network);
    }
    const bool switched = previous && !same_plan(*previous, current);
    switches += switched ? 1 : 0;
    previous = current;
    runner.check_plan(current, "plan");

    const RunResult r = runner.run(i + o.offset, inputs.blobs[i], current, start, deadline);
    const int cls = argmax(r.logits);
    const int label = inputs.labels[i];
    const bool met = r.measured.total_ms <= deadline;

    latencies.push_back(r.measured.total_ms);
    misses += met ? 0 : 1;
    fallbacks += r.fallback ? 1 : 0;
    offloaded += r.offloaded ? 1 : 0;
    bytes_up += r.bytes_up;
    bytes_down += r.bytes_down;
    if (label >= 0) {
      ++labelled;
      correct += cls == label ? 1 : 0;
      correct_on_time += cls == label && met ? 1 : 0;
    }
    if (r.offloaded) {
      const double compute = r.measured.device_ms + r.measured.edge_compute_ms;
      overhead_ms.push_back(r.measured.total_ms - compute);
      within_target += r.measured.total_ms - compute <= 0.1 * compute + 0.3 ? 1 : 0;
      if (compute > 0) {
        overhead_ratio.push_back((r.measured.total_ms - compute) / compute);
      }
    }
    if (predicted && std::isfinite(predicted->total_ms) && !r.fallback &&
        r.measured.total_ms > 0) {
      const MeasuredBreakdown& m = r.measured;
      const auto rel = [](double measured, double pred) {
        return std::abs(measured - pred) / measured;
      };
      rel_error.push_back(rel(m.total_ms, predicted->total_ms));
      if (m.device_ms > 0) {
        device_error.push_back(rel(m.device_ms, predicted->device_ms));
      }
      if (r.offloaded && m.edge_compute_ms > 0) {
        edge_error.push_back(rel(m.edge_compute_ms, predicted->edge_ms));
      }
      if (r.offloaded && m.up_ms + m.down_ms > 0) {
        network_error.push_back(rel(m.up_ms + m.down_ms, predicted->up_ms + predicted->down_ms));
      }
    }

    if (out) {
      const MeasuredBreakdown& m = r.measured;
      nlohmann::json rec = {
          {"id", i + o.offset},
          {"input", i + o.offset},
          {"plan", plan_json(current)},
          {"exit_used", r.exit},
          {"predicted", predicted ? plan::breakdown_to_json(*predicted) : nlohmann::json()},
          {"measured",
           {{"device_ms", m.device_ms}, {"device_cpu_ms", m.device_cpu_ms}, {"codec_ms", m.codec_ms},
            {"edge_queue_ms", m.edge_queue_ms}, {"edge_compute_ms", m.edge_compute_ms},
            {"up_ms", m.up_ms}, {"down_ms", m.down_ms}, {"network_ms", m.network_ms},
            {"total_ms", m.total_ms}}},
          {"bandwidth_kbps", optional_json(bw)},
          {"rtt_ms", optional_json(rtt)},
          {"state", state},
          {"trace_t_s", optional_json(trace_t)},
          {"true_kbps", optional_json(true_kbps)},
          {"class", cls},
          {"label", label >= 0 ? nlohmann::json(label) : nlohmann::json()},
          {"correct", label >= 0 ? nlohmann::json(cls == label) : nlohmann::json()},
          {"deadline_ms", deadline},
          {"deadline_met", met},
          {"fallback", r.fallback},
          {"fallback_reason", r.fallback ? nlohmann::json(r.fallback_reason) : nlohmann::json()},
          {"offloaded", r.offloaded},
          {"bytes_up", r.bytes_up},
          {"bytes_down", r.bytes_down},
          {"switched", switched},
          {"slowdown", o.slowdown}};
      out->write(rec.dump() + "\n");
    }
  }
  probes += link.stop_monitor();
  const bool interrupted = g_stop.load();
  const double elapsed_s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (out) {
    out->commit();
  }

  // Summary.
  const std::size_t n = latencies.size();
  std::vector<double> sorted = latencies;
  std::sort(sorted.begin(), sorted.end());
  const double mean = n ? stats::mean(latencies) : 0.0;
  nlohmann::json doc;
  doc["mode"] = mode_name(mode);
  doc["strategy"] = mode == Mode::fits ? nlohmann::json(o.strategy) : nlohmann::json();
  doc["oracle"] = o.oracle;
  doc["model_sha256"] = graph->sha256();
  doc["deadline_ms"] = deadline;
  doc["count"] = n;
  doc["labelled"] = labelled;
  doc["accuracy"] = labelled ? nlohmann::json(static_cast<double>(correct) / labelled)
                             : nlohmann::json();
  doc["on_time_accuracy"] =
      labelled ? nlohmann::json(static_cast<double>(correct_on_time) / labelled) : nlohmann::json();
  doc["deadline_misses"] = misses;
  doc["deadline_miss_rate"] = n ? static_cast<double>(misses) / n : 0.0;
  doc["latency_ms"] = {{"mean", mean},
                       {"p50", percentile(sorted, 0.5)},
                       {"p95", percentile(sorted, 0.95)},
                       {"p99", percentile(sorted, 0.99)},
                       {"max", sorted.empty() ? 0.0 : sorted.back()}};
  doc["plan_switches"] = switches;
  doc["fallbacks"] = fallbacks;
  doc["offloaded"] = offloaded;
  doc["bytes_up"] = bytes_up;
  doc["bytes_down"] = bytes_down;
  doc["probes"] = probes;
  doc["device"] = {{"emulation", o.slowdown > 1 ? "dilation" : o.cpu_quota ? "cpu-quota" : "none"},
                   {"slowdown", o.slowdown},
                   {"cpus", o.cpu_quota ? nlohmann::json(*o.cpu_quota) : nlohmann::json()}};
  doc["overhead"] = {{"requests", overhead_ms.size()},
                     {"median_ms", median(overhead_ms)},
                     {"median_ratio", median(overhead_ratio)},
                     {"within_target",
                      overhead_ms.empty() ? 0.0
                                          : static_cast<double>(within_target) /
                                                static_cast<double>(overhead_ms.size())}};
  const auto error_json = [](const std::vector<double>& e) {
    return nlohmann::json{{"requests", e.size()}, {"median_rel_error", median(e)}};
  };
  doc["prediction"] = error_json(rel_error);
  doc["prediction"]["device"] = error_json(device_error);
  doc["prediction"]["edge"] = error_json(edge_error);
  doc["prediction"]["network"] = error_json(network_error);
  doc["elapsed_s"] = elapsed_s;
  doc["interrupted"] = interrupted;

  log::info("{} requests in {:.2f} s ({} mode{}): accuracy {}, deadline {} ms missed {:.1f}%",
            n, elapsed_s, mode_name(mode), mode == Mode::fits ? ", " + o.strategy : "",
            labelled ? fmt::format("{:.4f}", static_cast<double>(correct) / labelled) : "n/a",
            deadline, n ? 100.0 * static_cast<double>(misses) / n : 0.0);
  log::info("latency ms: mean {:.3f} p50 {:.3f} p95 {:.3f} p99 {:.3f}; plan switches {}, "
            "fallbacks {}, offloaded {}, bytes up {} down {}, probes {}",
            mean, percentile(sorted, 0.5), percentile(sorted, 0.95), percentile(sorted, 0.99),
            switches, fallbacks, offloaded, bytes_up, bytes_down, probes);
  if (!overhead_ms.empty()) {
    log::info("overhead over device + edge compute: median {:.3f} ms ({:.1f}%) over {} requests, "
              "{:.1f}% within 10% + 0.3 ms",
              median(overhead_ms), 100.0 * median(overhead_ratio), overhead_ms.size(),
              100.0 * static_cast<double>(within_target) / static_cast<double>(overhead_ms.size()));
  }
  if (!rel_error.empty()) {
    log::info("median |measured - predicted| / measured: {:.1f}% over {} requests (device "
              "compute {:.1f}%, edge compute {:.1f}%, network {:.1f}%)",
              100.0 * median(rel_error), rel_error.size(), 100.0 * median(device_error),
              100.0 * median(edge_error), 100.0 * median(network_error));
  }
  if (!o.summary.empty()) {
    write_artifact(o.summary, std::move(doc), "run", kTool);
  }
  if (interrupted) {
    const bool term = g_stop_signal.load() == SIGTERM;
    log::warn("interrupted by {} after {} of {} requests", term ? "SIGTERM" : "SIGINT", n,
              inputs.blobs.size());
    return to_int(term ? ExitCode::terminated : ExitCode::interrupted);
  }
  return 0;
}

} // namespace

} // namespace edgent::runtime
