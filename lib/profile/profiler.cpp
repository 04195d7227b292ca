#include "profile/profiler.hpp"

#include "core/artifact.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/log.hpp"
#include "core/progress.hpp"
#include "model/model_card.hpp"
#include "model/onnx_graph.hpp"
#include "model/partition.hpp"
#include "model/reference_models.hpp"
#include "model/segment_runner.hpp"
#include "net/tensor_mat.hpp"
#include "net/tensor_wire.hpp"
#include "profile/anchors.hpp"
#include "emulate/cpu_quota.hpp"
#include "emulate/dilation.hpp"
#include "profile/provenance.hpp"
#include "profile/timing.hpp"

#include <fmt/format.h>
#include <opencv2/dnn.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <thread>

#include <unistd.h>

// The edgent.profile/1 tree is at the top of profile/profile_json.cpp; lib/schema/profile.1.json
// is its JSON Schema.

namespace edgent::profile {

namespace {

/// Sides of the two synthetic split chains (16 x side x side inputs): tensors crossing their
/// boundaries total 46 kB and 753 kB.
constexpr std::int64_t kSplitSmallSide = 14;
constexpr std::int64_t kSplitLargeSide = 56;

/// Samples of each request timing at least (--reps when more).
constexpr int kMinRequestReps = 21;

/// Weights and tensors of the sweep nets loaded at once (one rotation), bytes.
constexpr double kSweepGroupBytes = 256e6;

cv::Mat random_blob(const std::vector<int>& shape, std::uint64_t seed) {
  cv::Mat m(shape, CV_32F);
  cv::RNG rng(seed);
  rng.fill(m, cv::RNG::UNIFORM, 0.0f, 1.0f);
  return m;
}

std::vector<int> blob_shape(const std::vector<std::int64_t>& dims) {
  return std::vector<int>(dims.begin(), dims.end());
}

TimingStats time_load(const std::string& bytes, int reps, SampleClock clock) {
  return measure(
      [&] {
        cv::dnn::Net net = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
        if (net.empty()) {
          throw ModelError("OpenCV could not load a model to time its loading");
        }
      },
      /*warmup=*/1, reps, clock);
}

/// Multiplies every timing in @p entry (samples_ms, median_ms, mean_ms, p95_ms of it and of
/// any object nested in it) by @p factor.
void scale_timings(nlohmann::json& entry, double factor) {
  if (entry.is_object() && entry.contains("samples_ms")) {
    for (auto& v : entry["samples_ms"]) {
      v = v.get<double>() * factor;
    }
    for (const char* key : {"median_ms", "mean_ms", "p95_ms"}) {
      entry[key] = entry[key].get<double>() * factor;
    }
  }
  if (entry.is_object() || entry.is_array()) {
    for (auto& child : entry) {
      scale_timings(child, factor);
    }
  }
}

/// Reads @p m, bringing it into cache as the layer that wrote it would have left it.
std::function<void()> touch(const cv::Mat& m) {
  return [&m] {
    volatile double sink = cv::sum(m)[0];
    (void)sink;
  };
}

nlohmann::json stats_with(nlohmann::json j, const TimingStats& s) {
  j.update(to_json(s));
  return j;
}

/// How the profile takes its samples under the device emulation in force.
struct Sampling {
  emulate::TimeDilation dilation;
  bool quota = false;  ///< this process runs under a CPU quota
  SampleClock clock = SampleClock::wall;
  int reps = 0;        ///< samples of each model work
  int sweep_reps = 0;  ///< rounds of each sweep group at least
};

/// Under a CPU quota every sample is the run's CPU time, scaled at the end by the wall/CPU
/// ratio of the whole profile (the quota's average slowdown); under time dilation by K, as
/// the runtime holds each device run to K times its CPU time; see SampleClock. Throws
/// UsageError for both at once.
Sampling sampling(const ProfileOptions& options) {
  Sampling s{emulate::TimeDilation(options.slowdown)};
  s.quota = emulate::current_cpu_quota().has_value();
  if (s.quota && s.dilation.active()) {
    throw UsageError("--slowdown emulates the device by time dilation alone, but this process "
                     "runs under a CPU quota: drop one of them",
                     {}, "--slowdown");
  }
  s.clock = s.quota || s.dilation.active() ? SampleClock::cpu : SampleClock::wall;
  // Under a quota the mean is read, and it is noisy (a stop's refill cost lands on few
  // runs): three times as many runs, unless the user chose.
  s.sweep_reps = s.quota && !options.sweep_options.reps_set ? 3 * options.sweep_options.reps
                                                            : options.sweep_options.reps;
  s.reps = s.quota && !options.reps_set ? 3 * options.reps : options.reps;
  return s;
}

/// The sweep's configurations: the broad sweep, then variants near the model's own layers.
struct SweepPlan {
  std::vector<SweepConfig> configs;
  std::size_t broad_points = 0;  ///< configs[broad_points..] are near the model
};

SweepPlan plan_sweep(const ProfileOptions& options, const model::OnnxGraph& graph,
                     const model::Partition& part) {
  SweepPlan plan;
  if (!options.sweep) {
    return plan;
  }
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
  // And up to four times the model's largest unit in memory (at least 4 MB).
  double largest_bytes = 0;
  for (const auto& chain : part.exits) {
    for (const auto& unit : chain.units) {
      const auto in = unit.features.find("in_size");
      largest_bytes = std::max(largest_bytes, 4.0 * static_cast<double>(unit.params) +
                                                  4.0 * (in == unit.features.end() ? 0.0 : in->second) +
                                                  static_cast<double>(unit.output_bytes));
    }
  }
  sweep.max_bytes = std::max(4 * largest_bytes, 4e6);
  plan.configs = sweep_configs(sweep);
  // Variants around the model's own layer configurations, so that the regressions are
  // accurate where the model lives; the units themselves stay out of the training set.
  const auto anchored = around(unit_configs(graph, part), options.anchor_points,
                               options.sweep_options.seed + 1);
  plan.broad_points = plan.configs.size();
  plan.configs.insert(plan.configs.end(), anchored.begin(), anchored.end());
  return plan;
}

/// The model's units, one segment net per unit as deployed, timed in the rotation.
class ModelUnits {
public:
  /// Adds one work per distinct segment to @p works, its input to @p inputs.
  ModelUnits(const model::OnnxGraph& graph, model::SegmentRunner& runner,
             std::deque<cv::Mat>& inputs, Rotation& works) {
    std::map<std::pair<std::string, std::string>, WorkHandle> unit_work;
    for (const model::ExitChain& chain : runner.partition().exits) {
      const std::vector<int> cuts = chain.cut_points();
      for (std::size_t k = 0; k + 1 < cuts.size(); ++k) {
        const int from = cuts[k];
        const int to = cuts[k + 1];
        // A segment shared by several exits (the trunk) is one net, timed once.
        const auto key = std::make_pair(chain.cut_tensor[static_cast<std::size_t>(from)],
                                        chain.cut_tensor[static_cast<std::size_t>(to)]);
        auto known = unit_work.find(key);
        if (known == unit_work.end()) {
          runner.prepare(chain.exit, from, to);
          const cv::Mat& input =
              inputs.emplace_back(random_blob(runner.cut_shape(chain.exit, from), 7));
          const WorkHandle h = works.add([&runner, &input, exit = chain.exit, from, to] {
                                           runner.run(exit, from, to, input);
                                         },
                                         touch(input));
          known = unit_work.emplace(key, h).first;
        }
        m_units.push_back({describe(graph, chain, from, to), known->second});
      }
    }
  }

  /// The profile's units section.
  nlohmann::json to_json(const RotationTimings& timed) const {
    nlohmann::json units = nlohmann::json::array();
    for (const Unit& u : m_units) {
      units.push_back(stats_with(u.entry, timed[u.work]));
    }
    return units;
  }

  std::size_t size() const { return m_units.size(); }

private:
  /// A unit's entry without its timing.
  static nlohmann::json describe(const model::OnnxGraph& graph, const model::ExitChain& chain,
                                 int from, int to) {
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
          model::element_count(graph.require_shape(chain.cut_tensor[static_cast<std::size_t>(from)])));
      const double out_size = static_cast<double>(
          model::element_count(graph.require_shape(chain.cut_tensor[static_cast<std::size_t>(to)])));
      u["type"] = "block";
      u["features"] = {{"in_size", in_size}, {"out_size", out_size}, {"flops", chain.flops(from, to)}};
      // Its units, so that fits predict the block as the sum of its parts.
      nlohmann::json parts = nlohmann::json::array();
      for (int i = from; i < to; ++i) {
        const model::Unit& part = chain.units[static_cast<std::size_t>(i)];
        model::Features f = part.features;
        f["flops"] = part.flops;
        parts.push_back({{"type", std::string(model::unit_type_name(part.type))},
                         {"features", f},
                         {"output_bytes", part.output_bytes}});
      }
      u["parts"] = std::move(parts);
      u["flops"] = chain.flops(from, to);
      u["params"] = params;
    }
    u["features"]["flops"] = u["flops"];
    return u;
  }

  struct Unit {
    nlohmann::json entry;  ///< without the timing
    WorkHandle work;       ///< the segment's work (shared by the exits sharing it)
  };
  std::vector<Unit> m_units;
};

/// Each exit as deployed: its whole chain as one net (what a device-only plan runs). For
/// reference, also the whole model's net forwarded to the exit's output: OpenCV runs every
/// layer before the exit in the file's node order there, branches of earlier exits included.
class ExitChains {
public:
  /// Adds two works per exit to @p works; @p net and @p image must outlive them.
  ExitChains(model::SegmentRunner& runner, cv::dnn::Net& net, const cv::Mat& image,
             Rotation& works) {
    for (const model::ExitChain& chain : runner.partition().exits) {
      runner.prepare(chain.exit, 0, chain.size());
      Exit& e = m_exits.emplace_back();
      e.exit = chain.exit;
      e.units = chain.size();
      e.chain = works.add([&runner, &image, exit = chain.exit] { runner.run_exit(exit, image); },
                          touch(image));
      e.whole_net = works.add([&net, &image, output = chain.output] {
                                net.setInput(image);
                                net.forward(output);
                              },
                              touch(image));
    }
  }

  /// The profile's exits section.
  nlohmann::json to_json(const RotationTimings& timed) const {
    nlohmann::json exits = nlohmann::json::array();
    for (const Exit& e : m_exits) {
      nlohmann::json entry = stats_with({{"exit", e.exit}, {"units", e.units}}, timed[e.chain]);
      entry["whole_net"] = profile::to_json(timed[e.whole_net]);
      exits.push_back(std::move(entry));
    }
    return exits;
  }

private:
  struct Exit {
    int exit = 0;
    int units = 0;
    WorkHandle chain;
    WorkHandle whole_net;
  };
  std::vector<Exit> m_exits;
};

/// What a unit's time includes for running as a net of its own, per boundary between two
/// units of a segment: two synthetic chains (small and large tensors), each timed as one net
/// and as one net per unit, run as the model's units are (SegmentRunner). Per round and
/// chain, D = sum of the unit nets - the chain = boundaries * fixed + per_byte * bytes
/// crossing the boundaries; the two chains give fixed and per_byte.
class BoundaryCost {
public:
  /// Adds the works of both chains to @p works (each chain as one net, then its unit nets),
  /// their inputs to @p inputs.
  BoundaryCost(int threads, Rotation& works, std::deque<cv::Mat>& inputs) {
    for (const std::int64_t side : {kSplitSmallSide, kSplitLargeSide}) {
      Split& sp = m_splits.emplace_back();
      sp.side = side;
      sp.runner = std::make_unique<model::SegmentRunner>(
          model::OnnxGraph::from_bytes(build_split_chain(side), fmt::format("split chain {}", side)),
          threads);
      model::SegmentRunner& r = *sp.runner;
      const model::ExitChain& chain = r.partition().exits.front();
      const std::vector<int> cuts = chain.cut_points();
      r.prepare(1, 0, chain.size());
      const cv::Mat& in = inputs.emplace_back(random_blob(r.cut_shape(1, 0), 5));
      sp.chain = works.add([&r, &in] { r.run_exit(1, in); }, touch(in));
      for (std::size_t k = 0; k + 1 < cuts.size(); ++k) {
        const int from = cuts[k];
        const int to = cuts[k + 1];
        r.prepare(1, from, to);
        const cv::Mat& input = inputs.emplace_back(random_blob(r.cut_shape(1, from), 5));
        sp.units.push_back(works.add([&r, &input, from, to] { r.run(1, from, to, input); },
                                     touch(input)));
        if (k > 0) {
          sp.boundary_bytes += static_cast<double>(input.total() * input.elemSize());
        }
      }
    }
  }

  /// The profile's net_overhead section.
  nlohmann::json to_json(const RotationTimings& timed) const {
    std::vector<std::vector<double>> split_d(m_splits.size());
    for (std::size_t k = 0; k < m_splits.size(); ++k) {
      const Split& sp = m_splits[k];
      for (std::size_t r = 0; r < timed[sp.chain].samples_ms.size(); ++r) {
        double parts = 0;
        for (const WorkHandle unit : sp.units) {
          parts += timed[unit].samples_ms[r];
        }
        split_d[k].push_back(parts - timed[sp.chain].samples_ms[r]);
      }
    }
    const Split& small = m_splits[0];
    const Split& large = m_splits[1];
    std::vector<double> fixed_samples;
    std::vector<double> per_byte_samples;
    for (std::size_t r = 0; r < split_d[0].size(); ++r) {
      const double per_byte = (split_d[1][r] - split_d[0][r]) / (large.boundary_bytes - small.boundary_bytes);
      per_byte_samples.push_back(per_byte);
      fixed_samples.push_back((split_d[0][r] - per_byte * small.boundary_bytes) /
                              static_cast<double>(small.units.size() - 1));
    }
    nlohmann::json j = profile::to_json(summarize(std::move(fixed_samples)));
    j["per_byte"] = profile::to_json(summarize(std::move(per_byte_samples)));
    j["chains"] = nlohmann::json::array();
    for (std::size_t k = 0; k < m_splits.size(); ++k) {
      j["chains"].push_back({{"side", m_splits[k].side},
                             {"boundaries", m_splits[k].units.size() - 1},
                             {"boundary_bytes", m_splits[k].boundary_bytes},
                             {"split", profile::to_json(summarize(std::move(split_d[k])))}});
    }
    return j;
  }

private:
  struct Split {
    std::int64_t side = 0;
    std::unique_ptr<model::SegmentRunner> runner;
    WorkHandle chain;                ///< the chain as one net
    std::vector<WorkHandle> units;   ///< one net per unit
    double boundary_bytes = 0;  ///< fp32 bytes crossing the chain's boundaries
  };
  std::vector<Split> m_splits;
};

/// Synthetic fused blocks (residual and inception, model::residual_block_model and
/// inception_block_model), each timed as one net in the rotation with the model's units, with
/// their parts described as a model's block units are: the training set for the fit's
/// correction of a block predicted as the sum of its parts (regress::fit_block_correction).
/// Their sizes are variants of the model's own blocks (the channels and side of each block's
/// input, scaled by random factors in [1/2, 2] and [1/sqrt 2, sqrt 2], fixed seed), so that
/// their parts are predicted by the same near-model regressions as the model's; a model
/// without blocks anchors them on its input's side and 16 channels.
class BlockSweep {
public:
  /// Adds @p count blocks' works to @p works, their inputs to @p inputs.
  BlockSweep(int count, const model::OnnxGraph& graph, const model::Partition& part,
             std::uint64_t seed, int threads, Rotation& works, std::deque<cv::Mat>& inputs) {
    std::vector<std::pair<std::int64_t, std::int64_t>> anchors;  // {channels, side}
    for (const model::ExitChain& chain : part.exits) {
      const std::vector<int> cuts = chain.cut_points();
      for (std::size_t k = 0; k + 1 < cuts.size(); ++k) {
        const auto& in = graph.require_shape(chain.cut_tensor[static_cast<std::size_t>(cuts[k])]);
        if (cuts[k + 1] - cuts[k] > 1 && in.size() == 4 &&
            std::find(anchors.begin(), anchors.end(), std::make_pair(in[1], in[3])) == anchors.end()) {
          anchors.emplace_back(in[1], in[3]);
        }
      }
    }
    if (anchors.empty()) {
      const auto& in = graph.require_shape(graph.input_name());
      anchors.emplace_back(16, in.size() == 4 ? in[3] : 16);
    }
    std::mt19937_64 rng(seed);
    const auto scaled = [&rng](std::int64_t v, double spread, std::int64_t lo, std::int64_t hi) {
      std::uniform_real_distribution<double> u(-spread, spread);
      return std::clamp<std::int64_t>(std::llround(static_cast<double>(v) * std::exp2(u(rng))), lo, hi);
    };
    for (int k = 0; k < count; ++k) {
      Block& blk = m_blocks.emplace_back();
      const auto [c0, side0] = anchors[static_cast<std::size_t>(k / 2) % anchors.size()];
      const std::int64_t c = scaled(c0, 1.0, 4, 256);
      const std::int64_t s = scaled(std::max<std::int64_t>(side0, 4), 0.5, 4, 224);
      const auto seed32 = static_cast<std::uint32_t>(seed + static_cast<std::uint64_t>(k));
      const auto build = [&]() {
        if (k % 2 == 0) {
          const std::int64_t stride = (k / 2) % 3 == 1 ? 2 : 1;
          const std::int64_t cout = stride == 2 ? 2 * c : c;
          blk.shape = fmt::format("residual {}x{}x{} s{} f{}", c, s, s, stride, cout);
          return model::residual_block_model(seed32, c, cout, s, stride);
        }
        const std::int64_t groups = std::array<std::int64_t, 3>{1, 2, 4}[(k / 2) % 3];
        const std::int64_t c1 = std::max<std::int64_t>(4, c / 2);
        const std::int64_t c3 = std::max<std::int64_t>(groups, c / groups * groups);
        const std::int64_t cp = std::max<std::int64_t>(4, c / 2);
        blk.shape = fmt::format("inception {}x{}x{} f{}+{}+{} g{}", c, s, s, c1, c3, cp, groups);
        return model::inception_block_model(seed32, c, s, c1, c3, cp, groups);
      };
      const std::string onnx = build().serialize();
      blk.runner = std::make_unique<model::SegmentRunner>(
          model::OnnxGraph::from_bytes(onnx, "block sweep " + blk.shape), threads);
      model::SegmentRunner& r = *blk.runner;
      const model::ExitChain& chain = r.partition().exits.front();
      for (const model::Unit& part : chain.units) {
        model::Features f = part.features;
        f["flops"] = part.flops;
        blk.parts.push_back({{"type", std::string(model::unit_type_name(part.type))},
                             {"features", f},
                             {"output_bytes", part.output_bytes}});
      }
      r.prepare(1, 0, chain.size());
      const cv::Mat& in = inputs.emplace_back(random_blob(r.cut_shape(1, 0), 11));
      blk.work = works.add([&r, &in] { r.run_exit(1, in); }, touch(in));
    }
  }

  /// The profile's block_sweep section.
  nlohmann::json to_json(const RotationTimings& timed) const {
    nlohmann::json out = nlohmann::json::array();
    for (const Block& b : m_blocks) {
      out.push_back(stats_with({{"shape", b.shape}, {"parts", b.parts}}, timed[b.work]));
    }
    return out;
  }

private:
  struct Block {
    std::string shape;
    std::unique_ptr<model::SegmentRunner> runner;
    nlohmann::json parts = nlohmann::json::array();
    WorkHandle work;
  };
  std::vector<Block> m_blocks;
};

/// The tensor wire codecs, timed in the rotation as the units are: each codec encodes and
/// decodes the model's input and its largest tensor at a cut (real activations of a random
/// image), so that fits can draw a line through the two sizes.
class CodecTimings {
public:
  /// Adds the works to @p works.
  CodecTimings(const model::OnnxGraph& graph, const model::Partition& part,
               model::SegmentRunner& runner, const cv::Mat& image,
               Rotation& works) {
    m_largest = image;
    for (const model::ExitChain& chain : part.exits) {
      for (const int c : chain.cut_points()) {
        if (c > 0 && c < chain.size() &&
            static_cast<std::size_t>(model::element_count(
                graph.require_shape(chain.cut_tensor[static_cast<std::size_t>(c)]))) >
                m_largest.total()) {
          runner.prepare(chain.exit, 0, c);
          m_largest = runner.run(chain.exit, 0, c, image).clone();
        }
      }
    }
    for (const net::CodecSpec spec : net::all_codecs()) {
      for (const cv::Mat* t : {&image, static_cast<const cv::Mat*>(&m_largest)}) {
        const std::string wire = net::encode_tensor(net::to_wire(*t, 1, 1, 0), spec);
        for (const bool encode : {true, false}) {
          Work& w = m_works.emplace_back(Work{spec, encode, t, wire, {}});
          if (encode) {
            w.handle = works.add(
                [&w] { net::encode_tensor(net::to_wire(*w.tensor, 1, 1, 0), w.codec); },
                touch(*w.tensor));
          } else {
            w.handle = works.add([&w] { net::to_mat(net::decode_tensor(w.wire)); });
          }
        }
      }
    }
  }

  /// The profile's codecs section.
  nlohmann::json to_json(const RotationTimings& timed) const {
    nlohmann::json out = nlohmann::json::array();
    for (const Work& w : m_works) {
      out.push_back(stats_with({{"codec", net::codec_name(w.codec)},
                                {"op", w.encode ? "encode" : "decode"},
                                {"fp32_bytes", 4 * w.tensor->total()}},
                               timed[w.handle]));
    }
    return out;
  }

private:
  struct Work {
    net::CodecSpec codec;
    bool encode;
    const cv::Mat* tensor;
    std::string wire;  ///< the encoded tensor, for decoding
    WorkHandle handle;
  };
  cv::Mat m_largest;
  std::deque<Work> m_works;  ///< stable addresses for the works
};

/// The sweep points, in configuration order, and the model's works timed with them.
struct SweepResult {
  std::vector<nlohmann::json> sweep;
  RotationTimings model;  ///< every work of the model's rotation, at least reps samples
};

/// The sweep, in a shuffled (fixed) order, timed in one rotation with the model's works
/// (@p model_works): sweep points and units then run in the same company, so a regression
/// fitted on the one predicts the other. A rotation's company sets every net's speed (by up
/// to 40%), so the sweep is split into groups only to bound memory (kSweepGroupBytes of
/// weights and tensors loaded at a time); the model's works collect samples from every group,
/// then from rounds of their own until they have reps. Appends the sweep nets' load timings
/// to @p load.
SweepResult run_sweep(const ProfileOptions& options, const SweepPlan& plan,
                      const Rotation& model_works, const Sampling& sampling,
                      nlohmann::json& load, Progress& progress) {
  const SampleClock clock = sampling.clock;
  std::vector<std::size_t> order(plan.configs.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::shuffle(order.begin(), order.end(), std::mt19937_64(options.sweep_options.seed + 2));
  std::vector<std::size_t> group_ends;  // groups of kSweepGroupBytes at most (at least one point)
  double group_bytes = 0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const double bytes = config_bytes(plan.configs[order[k]]);
    if (k > 0 && group_bytes + bytes > kSweepGroupBytes) {
      group_ends.push_back(k);
      group_bytes = 0;
    }
    group_bytes += bytes;
  }
  if (!order.empty()) {
    group_ends.push_back(order.size());
  }
  // Every group's rounds also time the model's works; together they take at least --reps.
  const int reps = sampling.reps;
  const int group_rounds =
      group_ends.empty() ? 0
                         : std::max(sampling.sweep_reps, (reps + static_cast<int>(group_ends.size()) - 1) /
                                                             static_cast<int>(group_ends.size()));
  SweepResult result;
  result.sweep.resize(order.size());
  for (std::size_t gi = 0, g = 0; gi < group_ends.size(); g = group_ends[gi++]) {
    const std::size_t end = group_ends[gi];
    std::vector<SweepPoint> points;
    std::vector<WorkHandle> handles;
    std::deque<model::SegmentRunner> runners;  // run as the model's units are
    std::deque<cv::Mat> blobs;
    Rotation group;
    for (std::size_t k = g; k < end; ++k) {
      const SweepConfig& c = plan.configs[order[k]];
      SweepPoint& p = points.emplace_back();
      p.type = c.type;
      const std::string bytes = build_sweep_model(c, p.features, p.shape);
      model::SegmentRunner& sr =
          runners.emplace_back(model::OnnxGraph::from_bytes(bytes, "sweep " + p.shape), options.threads);
      sr.prepare(1, 0, 1);
      const cv::Mat& input = blobs.emplace_back(random_blob(sr.cut_shape(1, 0), 3));
      handles.push_back(group.add([&sr, &input] { sr.run(1, 0, 1, input); }, touch(input)));
      if (c.type == "conv" || c.type == "fc") {
        load.push_back(stats_with({{"what", "sweep " + c.type + " " + p.shape}, {"model_bytes", bytes.size()}},
                                  time_load(bytes, 2, clock)));
      }
    }
    const std::vector<RotationTimings> timed = measure_rotations(
        {&group, &model_works},
        g == 0 ? std::max(options.warmup, options.sweep_options.warmup) : options.sweep_options.warmup,
        group_rounds, clock);
    result.model.append(timed[1]);
    for (std::size_t k = g; k < end; ++k) {
      SweepPoint& p = points[k - g];
      p.timing = timed[0][handles[k - g]];
      nlohmann::json point = to_json(p);
      point["near_model"] = order[k] >= plan.broad_points;
      result.sweep[order[k]] = std::move(point);
      progress.advance();
    }
  }
  // Rounds without sweep points until the model's works have reps samples.
  const std::size_t rounds = result.model.rounds();
  if (rounds < static_cast<std::size_t>(reps)) {
    result.model.append(measure_rotation(model_works, rounds == 0 ? options.warmup : 0,
                                         reps - static_cast<int>(rounds), clock));
  }
  return result;
}

/// The profile's requests section: each exit's chain as a request meets it at run time,
/// after an idle gap, in which other processes ran, caches went cold and the core may have
/// slowed down. A request served at ten per second costs more than the same net run in a
/// busy rotation (the chains); fits model the difference per run (regress::request_overhead).
/// Null when options.request_gap_ms is 0.
nlohmann::json time_requests(const ProfileOptions& options, model::SegmentRunner& runner,
                             const cv::Mat& image, int reps, SampleClock clock) {
  if (!(options.request_gap_ms > 0)) {
    return nlohmann::json();
  }
  const model::Partition& part = runner.partition();
  const auto idle = [gap = options.request_gap_ms] {
    std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(gap));
  };
  // A request as the runtime serves a plan at its request rate: the same work ran one gap
  // before (its nets were built and ran), and nothing of ours ran since.
  const auto after_gap = [&image, idle](std::function<void()> run) {
    return [run = std::move(run), &image, idle] {
      run();
      idle();
      touch(image)();
    };
  };
  Rotation works;
  std::vector<WorkHandle> exits;
  // Per exit whose chain has inner cut points: the chain run as one net per segment between
  // cut points, back to back, as a cascade runs its nets; against the whole chain as one net,
  // the difference is what each extra net costs a request.
  struct Split {
    std::size_t exit_index = 0;
    int nets = 0;
    double boundary_bytes = 0;
    WorkHandle handle;
  };
  std::vector<Split> splits;
  for (std::size_t e = 0; e < part.exits.size(); ++e) {
    const model::ExitChain& chain = part.exits[e];
    const auto whole = [&runner, &image, exit = chain.exit] { runner.run_exit(exit, image); };
    exits.push_back(works.add(whole, after_gap(whole)));
    const std::vector<int> cuts = chain.cut_points();
    if (cuts.size() < 3) {
      continue;
    }
    Split split{e, static_cast<int>(cuts.size()) - 1, 0.0, {}};
    cv::Mat x = image;
    for (std::size_t i = 0; i + 2 < cuts.size(); ++i) {
      x = runner.run(chain.exit, cuts[i], cuts[i + 1], x);
      split.boundary_bytes += static_cast<double>(x.total() * x.elemSize());
    }
    const auto run = [&runner, &image, exit = chain.exit, cuts] {
      cv::Mat y = image;
      for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
        y = runner.run(exit, cuts[i], cuts[i + 1], y);
      }
    };
    split.handle = works.add(run, after_gap(run));
    splits.push_back(split);
  }
  // Encoding the input as a request's first work (an edge-only or edge-first plan's device):
  // a small tensor whose cost after the gap is mostly the cold start.
  std::vector<std::pair<std::string, WorkHandle>> codecs;
  for (const net::CodecSpec spec : net::all_codecs()) {
    const auto encode = [&image, spec] {
      net::encode_tensor(net::to_wire(image, 1, 1, 0), spec);
    };
    codecs.emplace_back(net::codec_name(spec), works.add(encode, after_gap(encode)));
  }
  // A cold start varies more from run to run than a warm one: at least 21 samples each.
  const RotationTimings timed =
      measure_rotation(works, /*warmup=*/1, std::max(reps, kMinRequestReps), clock);
  nlohmann::json requests = {{"gap_ms", options.request_gap_ms},
                             {"exits", nlohmann::json::array()},
                             {"codecs", nlohmann::json::array()}};
  for (const auto& [codec, handle] : codecs) {
    requests["codecs"].push_back(stats_with(
        {{"codec", codec}, {"op", "encode"}, {"fp32_bytes", 4 * image.total()}}, timed[handle]));
  }
  for (std::size_t e = 0; e < part.exits.size(); ++e) {
    const model::ExitChain& chain = part.exits[e];
    double params = 0;
    for (const model::Unit& u : chain.units) {
      params += static_cast<double>(u.params);
    }
    nlohmann::json entry =
        stats_with({{"exit", chain.exit}, {"param_bytes", 4 * params}}, timed[exits[e]]);
    for (const Split& split : splits) {
      if (split.exit_index == e) {
        entry["split"] = stats_with(
            {{"nets", split.nets}, {"boundary_bytes", split.boundary_bytes}}, timed[split.handle]);
      }
    }
    requests["exits"].push_back(std::move(entry));
  }
  return requests;
}

/// Times loading each exit's chain and the whole model (@p whole, the ONNX file's bytes) into
/// OpenCV, appended to @p load.
void time_model_loads(const model::OnnxGraph& graph, const model::Partition& part,
                      const std::string& whole, SampleClock clock, nlohmann::json& load,
                      Progress& progress) {
  for (const model::ExitChain& chain : part.exits) {
    progress.advance();
    const std::string segment = model::extract_segment(graph, chain, 0, chain.size()).SerializeAsString();
    load.push_back(stats_with({{"what", fmt::format("exit {} chain", chain.exit)},
                               {"model_bytes", segment.size()}},
                              time_load(segment, 3, clock)));
    progress.advance();
  }
  load.push_back(
      stats_with({{"what", "model"}, {"model_bytes", whole.size()}}, time_load(whole, 3, clock)));
}

/// The profile's settings section.
nlohmann::json settings_json(const ProfileOptions& options, const Sampling& s,
                             const std::optional<double>& slowdown) {
  return {{"warmup", options.warmup},
          {"reps", s.reps},
          {"sweep_warmup", options.sweep_options.warmup},
          {"sweep_reps", s.sweep_reps},
          {"clock", to_string(s.clock)},
          {"estimate", s.quota ? "mean_ms" : "median_ms"},
          {"cpu_slowdown", slowdown ? nlohmann::json(*slowdown) : nlohmann::json()},
          {"emulation",
           {{"method", s.dilation.active() ? "dilation" : s.quota ? "cpu-quota" : "none"},
            {"slowdown", s.dilation.active() ? nlohmann::json(s.dilation.factor()) : nlohmann::json()},
            {"cpus", s.quota ? nlohmann::json(*emulate::current_cpu_quota()) : nlohmann::json()}}},
          {"threads", options.threads},
          {"sweep_points_per_type", options.sweep ? options.sweep_options.points_per_type : 0}};
}

} // namespace

nlohmann::json run_profile(const ProfileOptions& options, int progress_mode) {
  const std::string onnx_path = model::resolve_model_onnx(options.model);
  const auto graph = model::OnnxGraph::from_file(onnx_path);
  model::SegmentRunner runner(graph, options.threads);
  const model::Partition& part = runner.partition();

  const SweepPlan sweep_plan = plan_sweep(options, *graph, part);
  std::size_t steps = 1 + sweep_plan.configs.size() + part.exits.size();
  for (const auto& chain : part.exits) {
    steps += chain.cut_points().size();  // segments between cut points + one load
  }
  const Sampling sampled = sampling(options);
  const SampleClock clock = sampled.clock;
  const WallCpuMeter meter;
  Progress::Options popts;
  popts.mode = static_cast<Progress::Mode>(progress_mode);
  Progress progress("edgent-profile " + options.role, steps, popts);

  // The model's units (one segment net per unit, as deployed), each exit's chain and the
  // cost of one extra net, timed in one rotation: every run finds the cache as the layers
  // before it in a chain would leave it, so units add up to their chains.
  Rotation works;
  std::deque<cv::Mat> inputs;  // stable addresses for the works
  const ModelUnits units(*graph, runner, inputs, works);
  const std::string whole = read_file(onnx_path);
  cv::dnn::Net net = cv::dnn::readNetFromONNX(whole.data(), whole.size());
  net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  const cv::Mat image = random_blob(blob_shape(graph->require_shape(graph->input_name())), 7);
  const ExitChains exit_chains(runner, net, image, works);
  const BoundaryCost boundary_cost(options.threads, works, inputs);
  const CodecTimings codec_timings(*graph, part, runner, image, works);
  const BlockSweep block_sweep(options.sweep ? options.sweep_options.block_points : 0, *graph,
                               part, options.sweep_options.seed + 3, options.threads, works,
                               inputs);
  nlohmann::json load = nlohmann::json::array();
  SweepResult swept = run_sweep(options, sweep_plan, works, sampled, load, progress);
  const RotationTimings& timed = swept.model;

  nlohmann::json units_json = units.to_json(timed);
  for (std::size_t i = 0; i < units.size(); ++i) {
    progress.advance();
  }
  nlohmann::json exits_json = exit_chains.to_json(timed);
  time_model_loads(*graph, part, whole, clock, load, progress);
  nlohmann::json overhead_json = boundary_cost.to_json(timed);
  nlohmann::json codecs_json = codec_timings.to_json(timed);
  nlohmann::json blocks_json = block_sweep.to_json(timed);
  progress.advance();

  // The quota's slowdown is that of the work above: the request timings below sleep.
  std::optional<double> slowdown;
  if (clock == SampleClock::cpu) {
    slowdown = sampled.dilation.active() ? sampled.dilation.factor() : meter.ratio();
  }
  nlohmann::json requests = time_requests(options, runner, image, sampled.reps, clock);
  progress.finish();

  if (slowdown) {
    for (nlohmann::json* section : {&units_json, &exits_json, &load, &overhead_json,
                                    &codecs_json, &blocks_json, &requests}) {
      scale_timings(*section, *slowdown);
    }
    for (auto& entry : swept.sweep) {
      scale_timings(entry, *slowdown);
    }
  }
  Provenance prov = collect_provenance(graph->sha256());
  prov.threads = options.threads;
  nlohmann::json doc{
      {"role", options.role},
      {"provenance", to_json(prov)},
      {"model", {{"file", onnx_path}, {"sha256", graph->sha256()}, {"bytes", whole.size()}}},
      {"settings", settings_json(options, sampled, slowdown)},
      {"units", units_json},
      {"exits", exits_json},
      {"net_overhead", overhead_json},
      {"codecs", codecs_json},
      {"load", load},
      {"sweep", swept.sweep}};
  if (!blocks_json.empty()) {
    doc["block_sweep"] = std::move(blocks_json);
  }
  if (!requests.is_null()) {
    doc["requests"] = std::move(requests);
  }
  return doc;
}

} // namespace edgent::profile
