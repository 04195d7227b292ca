#include "profile/profiler.hpp"

#include "core/artifact.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/log.hpp"
#include "core/progress.hpp"
#include "model/model_card.hpp"
#include "model/onnx_graph.hpp"
#include "model/partition.hpp"
#include "model/segment_runner.hpp"
#include "profile/anchors.hpp"
#include "profile/cpu_quota.hpp"
#include "profile/provenance.hpp"
#include "profile/timing.hpp"

#include <fmt/format.h>
#include <opencv2/dnn.hpp>

#include <algorithm>
#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>

#include <unistd.h>

// edgent.profile/1 (see lib/schema/ARTIFACTS.md):
//   role, provenance {host, cpu_model, cores, threads, cpu_quota|null, opencv, model_sha256, time},
//   model {file, sha256, bytes},
//   settings {warmup, min_sample_cpu_ms, reps, threads, sweep_points_per_type},
//   units [{exit, unit, units [first, last], name, type, features {..}, flops, params,
//           output_bytes, samples_ms, median_ms, p95_ms}],
//   exits [{exit, units, samples_ms, median_ms, p95_ms,        // the exit's chain as one net
//           whole_net_median_ms}],                            // whole model forwarded to the exit
//   net_overhead {samples_ms, median_ms, p95_ms},              // one extra (trivial) net
//   load [{what, model_bytes, samples_ms, median_ms, p95_ms}],
//   sweep [{type, shape, features {..}, near_model, samples_ms, median_ms, p95_ms}],
//     near_model: a variant of one of the model's own layer configurations
//   network {...} | absent                                    // --edge: profile/network_probe.cpp

namespace edgent::profile {

namespace {

namespace fs = std::filesystem;

cv::Mat random_blob(const std::vector<int>& shape, std::uint64_t seed) {
  cv::Mat m(shape, CV_32F);
  cv::RNG rng(seed);
  rng.fill(m, cv::RNG::UNIFORM, 0.0f, 1.0f);
  return m;
}

std::vector<int> blob_shape(const std::vector<std::int64_t>& dims) {
  return std::vector<int>(dims.begin(), dims.end());
}

TimingStats time_load(const std::string& bytes, int reps) {
  return measure(
      [&] {
        cv::dnn::Net net = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
        if (net.empty()) {
          throw ModelError("OpenCV could not load a model to time its loading");
        }
      },
      /*warmup=*/1, reps);
}

nlohmann::json stats_with(nlohmann::json j, const TimingStats& s) {
  j.update(to_json(s));
  return j;
}

} // namespace

double parse_duration_s(const std::string& text) {
  if (text.empty()) {
    throw UsageError("empty duration", {}, "--if-older-than");
  }
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    throw UsageError("'" + text + "' is not a duration such as 90s, 30m, 12h or 7d", {},
                     "--if-older-than");
  }
  const std::string unit = text.substr(used);
  const double factor = unit.empty() || unit == "s" ? 1
                        : unit == "m"               ? 60
                        : unit == "h"               ? 3600
                        : unit == "d"               ? 86400
                                                    : -1;
  if (factor < 0 || !(value >= 0)) {
    throw UsageError("'" + text + "' is not a duration such as 90s, 30m, 12h or 7d", {},
                     "--if-older-than");
  }
  return value * factor;
}

nlohmann::json run_profile(const ProfileOptions& options, int progress_mode) {
  const std::string onnx_path = model::resolve_model_onnx(options.model);
  const auto graph = model::OnnxGraph::from_file(onnx_path);
  model::SegmentRunner runner(graph, options.threads);
  const model::Partition& part = runner.partition();

  std::vector<SweepConfig> sweep_configs_list;
  std::size_t broad_points = 0;  // sweep_configs_list[broad_points..] are near the model
  if (options.sweep) {
    // The broad sweep covers layers up to four times the model's largest unit (at least
    // 20 MFLOP): wide enough to fit its regressions, without timing layers it never runs.
    SweepOptions sweep = options.sweep_options;
    if (!sweep.max_flops_set) {
      double largest = 0;
      for (const auto& chain : part.exits) {
        for (const auto& unit : chain.units) {
          largest = std::max(largest, unit.flops);
        }
      }
      sweep.max_flops = std::clamp(4 * largest, 2e7, sweep.max_flops);
    }
    sweep_configs_list = sweep_configs(sweep);
    // Variants around the model's own layer configurations, so that the regressions are
    // accurate where the model lives; the units themselves stay out of the training set.
    const auto anchored = around(unit_configs(*graph, part), options.anchor_points,
                                 options.sweep_options.seed + 1);
    broad_points = sweep_configs_list.size();
    sweep_configs_list.insert(sweep_configs_list.end(), anchored.begin(), anchored.end());
  }
  std::size_t steps = 1 + sweep_configs_list.size() + part.exits.size();
  for (const auto& chain : part.exits) {
    steps += chain.cut_points().size();  // segments between cut points + one load
  }
  // Under a CFS quota a single slice of CPU may pass unthrottled or be stopped for a whole
  // period, so a sample must span many periods for its median to show the quota's average
  // slowdown; shorter samples read systematically faster. Units and sweep points therefore
  // take samples of the same 15 slices (without a quota, 1 ms of back-to-back runs), and a
  // sweep point takes a third of its samples to keep the profile's length.
  const auto period_ms = current_quota_period_ms();
  const auto quota = current_cpu_quota();
  const double slice_ms = period_ms && quota ? *period_ms * std::min(*quota, 1.0) : 0.0;
  const double min_sample =
      options.min_sample_cpu_ms.value_or(slice_ms > 0 ? std::max(1.0, 15 * slice_ms) : 1.0);
  const int sweep_reps = slice_ms > 0 ? std::max(1, (options.sweep_options.reps + 2) / 3)
                                      : options.sweep_options.reps;
  Progress::Options popts;
  popts.mode = static_cast<Progress::Mode>(progress_mode);
  Progress progress("edgent-profile " + options.role, steps, popts);

  // The model's units (one segment net per unit, as deployed) and each exit's chain, timed
  // together in interleaved rounds so that identical units measure alike and the units add
  // up to their chains under the same machine conditions.
  std::vector<std::function<void()>> works;
  std::deque<cv::Mat> inputs;  // stable addresses for the works
  nlohmann::json units = nlohmann::json::array();
  for (const model::ExitChain& chain : part.exits) {
    const std::vector<int> cuts = chain.cut_points();
    for (std::size_t k = 0; k + 1 < cuts.size(); ++k) {
      const int from = cuts[k];
      const int to = cuts[k + 1];
      runner.prepare(chain.exit, from, to);
      const cv::Mat& input = inputs.emplace_back(random_blob(runner.cut_shape(chain.exit, from), 7));
      works.emplace_back([&runner, &input, exit = chain.exit, from, to] {
        runner.run(exit, from, to, input);
      });
      const model::Unit& first = chain.units[static_cast<std::size_t>(from)];
      const model::Unit& last = chain.units[static_cast<std::size_t>(to - 1)];
      nlohmann::json u{{"exit", chain.exit}, {"unit", from + 1}, {"units", {from + 1, to}},
                       {"name", last.name}, {"output_bytes", last.output_bytes}};
      if (to - from == 1) {
        u["type"] = std::string(model::unit_type_name(first.type));
        u["features"] = first.features;
        u["flops"] = first.flops;
        u["params"] = first.params;
      } else {
        // A block that cannot be cut inside (residual, inception): measured whole.
        double params = 0;
        for (int i = from; i < to; ++i) {
          params += static_cast<double>(chain.units[static_cast<std::size_t>(i)].params);
        }
        const double in_size = static_cast<double>(
            model::element_count(graph->require_shape(chain.cut_tensor[static_cast<std::size_t>(from)])));
        const double out_size = static_cast<double>(
            model::element_count(graph->require_shape(chain.cut_tensor[static_cast<std::size_t>(to)])));
        u["type"] = "block";
        u["features"] = {{"in_size", in_size}, {"out_size", out_size}, {"flops", chain.flops(from, to)}};
        u["flops"] = chain.flops(from, to);
        u["params"] = params;
      }
      u["features"]["flops"] = u["flops"];
      units.push_back(std::move(u));
    }
  }
  // Each exit as deployed: its whole chain as one net (what a device-only plan runs). For
  // reference, also the whole model's net forwarded to the exit's output: OpenCV runs every
  // layer before the exit in the file's node order there, branches of earlier exits included.
  const std::string whole = read_file(onnx_path);
  cv::dnn::Net net = cv::dnn::readNetFromONNX(whole.data(), whole.size());
  net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  const cv::Mat image = random_blob(blob_shape(graph->require_shape(graph->input_name())), 7);
  for (const model::ExitChain& chain : part.exits) {
    runner.prepare(chain.exit, 0, chain.size());
    works.emplace_back([&runner, &image, exit = chain.exit] { runner.run_exit(exit, image); });
    works.emplace_back([&net, &image, output = chain.output] {
      net.setInput(image);
      net.forward(output);
    });
  }
  const std::vector<TimingStats> timed =
      measure_interleaved(works, options.warmup, options.reps, min_sample);
  for (std::size_t i = 0; i < units.size(); ++i) {
    units[i].update(to_json(timed[i]));
    progress.advance();
  }
  nlohmann::json exits = nlohmann::json::array();
  nlohmann::json load = nlohmann::json::array();
  for (std::size_t e = 0; e < part.exits.size(); ++e) {
    const model::ExitChain& chain = part.exits[e];
    nlohmann::json entry =
        stats_with({{"exit", chain.exit}, {"units", chain.size()}}, timed[units.size() + 2 * e]);
    entry["whole_net_median_ms"] = timed[units.size() + 2 * e + 1].median_ms;
    exits.push_back(std::move(entry));
    progress.advance();
    const std::string segment = model::extract_segment(*graph, chain, 0, chain.size()).SerializeAsString();
    load.push_back(stats_with({{"what", fmt::format("exit {} chain", chain.exit)},
                               {"model_bytes", segment.size()}},
                              time_load(segment, 3)));
    progress.advance();
  }
  load.push_back(stats_with({{"what", "model"}, {"model_bytes", whole.size()}}, time_load(whole, 3)));

  // The cost of running one more net: a one-element ReLU.
  SweepConfig tiny;
  tiny.type = "relu";
  regress::Features tiny_features;
  std::string tiny_shape;
  const std::string tiny_bytes = build_sweep_model(tiny, tiny_features, tiny_shape);
  cv::dnn::Net tiny_net = cv::dnn::readNetFromONNX(tiny_bytes.data(), tiny_bytes.size());
  const cv::Mat one = random_blob({1, 1, 1, 1}, 1);
  const TimingStats overhead = measure(
      [&] {
        tiny_net.setInput(one);
        tiny_net.forward();
      },
      options.warmup, std::max(options.reps, 30), min_sample);
  progress.advance();

  nlohmann::json sweep = nlohmann::json::array();
  for (std::size_t i = 0; i < sweep_configs_list.size(); ++i) {
    const SweepConfig& c = sweep_configs_list[i];
    SweepPoint p;
    p.type = c.type;
    const std::string bytes = build_sweep_model(c, p.features, p.shape);
    cv::dnn::Net sn = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
    sn.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    const bool flat = c.type == "fc" || c.type == "softmax";
    const cv::Mat input = random_blob(
        flat ? std::vector<int>{1, static_cast<int>(c.c)}
             : std::vector<int>{1, static_cast<int>(c.c), static_cast<int>(c.h), static_cast<int>(c.w)},
        3);
    p.timing = measure(
        [&] {
          sn.setInput(input);
          sn.forward();
        },
        options.sweep_options.warmup, sweep_reps, min_sample);
    nlohmann::json point = to_json(p);
    point["near_model"] = i >= broad_points;
    sweep.push_back(point);
    if (c.type == "conv" || c.type == "fc") {
      load.push_back(stats_with({{"what", "sweep " + c.type + " " + p.shape}, {"model_bytes", bytes.size()}},
                                time_load(bytes, 2)));
    }
    progress.advance();
  }
  progress.finish();

  Provenance prov = collect_provenance(graph->sha256());
  prov.threads = options.threads;
  return nlohmann::json{
      {"role", options.role},
      {"provenance", to_json(prov)},
      {"model", {{"file", onnx_path}, {"sha256", graph->sha256()}, {"bytes", whole.size()}}},
      {"settings",
       {{"warmup", options.warmup},
        {"min_sample_cpu_ms", min_sample},
        {"sweep_reps", sweep_reps},
        {"reps", options.reps},
        {"threads", options.threads},
        {"sweep_points_per_type", options.sweep ? options.sweep_options.points_per_type : 0}}},
      {"units", units},
      {"exits", exits},
      {"net_overhead", to_json(overhead)},
      {"load", load},
      {"sweep", sweep}};
}

int run_profile_command(const ProfileOptions& options, int progress_mode) {
  if (options.if_older_than_s && options.output != "-") {
    std::error_code ec;
    const auto mtime = fs::last_write_time(options.output, ec);
    if (!ec) {
      const double age = std::chrono::duration<double>(fs::file_time_type::clock::now() - mtime).count();
      if (age < *options.if_older_than_s) {
        log::info("{} is {:.0f} s old, younger than --if-older-than: kept", options.output, age);
        return 0;
      }
    }
  }
  // First, so that an unreachable edge fails fast; outside the quota, which emulates the
  // device's CPU, not its link.
  const auto network = options.network ? std::optional(to_json(measure_network(*options.network)))
                                        : std::nullopt;
  nlohmann::json doc;
  {
    const CpuQuotaScope quota(options.cpu_quota, options.role);
    if (options.cpu_quota) {
      log::verbose("running under a CPU quota of {} CPUs", *options.cpu_quota);
    }
    doc = run_profile(options, progress_mode);
  }
  if (network) {
    doc["network"] = *network;
  }
  write_artifact(options.output, std::move(doc), "profile", "edgent-profile");
  return 0;
}

} // namespace edgent::profile
