#include "profile/profile_json.hpp"

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/json_view.hpp"

#include <fmt/format.h>

#include <map>

// edgent.profile/1 (see lib/schema/ARTIFACTS.md):
//   role, provenance {host, cpu_model, cores, threads, cpu_quota|null, opencv, model_sha256, time},
//   model {file, sha256, bytes},
//   settings {warmup, reps, sweep_warmup, sweep_reps, threads, sweep_points_per_type,
//             clock "wall"|"cpu", estimate "median_ms"|"mean_ms", cpu_slowdown|null,
//             emulation {method "none"|"dilation"|"cpu-quota", slowdown|null, cpus|null}},
//   units [{exit, unit, units [first, last], name, type, features {..}, flops, params,
//           output_bytes, samples_ms, median_ms, p95_ms,
//           parts [{type, features {..}, output_bytes}]}],   // type "block" only: its units
//   exits [{exit, units, samples_ms, median_ms, p95_ms,        // the exit's chain as one net
//           whole_net {samples_ms, median_ms, p95_ms}}],     // whole model forwarded to the exit
//   net_overhead {TIMING,                     // fixed cost per boundary between unit nets
//                 per_byte {TIMING},          // cost per byte of the tensor crossing it
//                 chains [{side, boundaries, boundary_bytes, split {TIMING}}]}
//     split: sum of a synthetic chain's unit nets - the chain as one net
//   load [{what, model_bytes, samples_ms, median_ms, p95_ms}],
//   sweep [{type, shape, features {..}, near_model, samples_ms, median_ms, p95_ms}],
//     near_model: a variant of one of the model's own layer configurations
//   block_sweep [{shape, parts [{type, features {..}, output_bytes}], TIMING}] | absent
//     synthetic residual and inception blocks, each one net, in the rotation with the units
//   codecs [{codec, op "encode"|"decode", fp32_bytes, TIMING}]
//     the tensor wire codec (with the conversion from and to an OpenCV blob) of the model's
//     input and of its largest tensor at a cut, in the rotation with the units
//   requests {gap_ms,                         // --request-gap-ms; absent when 0
//             exits [{exit, param_bytes, TIMING,     // the exit's chain run after gap_ms idle
//                     split?: {nets, boundary_bytes, TIMING}}],  // as one net per segment
//             codecs [{codec, op "encode", fp32_bytes, TIMING}]}
//                       // encoding the model's input as a request's first work, after the gap
//   network {...} | absent                                    // --edge: profile/network_probe.cpp
//   Every timing is one run, timed in rotation with others (measure_rotation), and every
//   timing entry has samples_ms, median_ms, mean_ms, p95_ms. Under a CPU quota (clock "cpu")
//   a sample is the run's CPU time times cpu_slowdown, the profile's measured wall/CPU ratio;
//   under time dilation (clock "cpu") the run's CPU time times K = cpu_slowdown =
//   emulation.slowdown, which is how long edgent-infer --slowdown K holds that run.
//   settings.estimate names the statistic fits and plans read: the median, or under a quota
//   the mean, because each stop of the quota costs the next run a cache refill, which a long
//   run nearly always pays and the median of a short one never shows. The requests section
//   is always read at its mean: what a request costs after an idle gap enters the planner's
//   expected latency, and a cold start's long right tail is part of that expectation.

namespace edgent::profile {

namespace {

model::Features features_of(const JsonView& v) {
  model::Features f;
  for (const std::string& key : v.keys()) {
    f[key] = v.at(key).number();
  }
  return f;
}

std::string estimate_key(const JsonView& root) {
  const auto settings = root.find("settings");
  if (!settings) {
    return "median_ms";
  }
  const auto estimate = settings->find("estimate");
  if (!estimate) {
    return "median_ms";
  }
  std::string key = estimate->string();
  if (key != "median_ms" && key != "mean_ms") {
    estimate->fail("must be \"median_ms\" or \"mean_ms\"");
  }
  return key;
}

std::vector<BlockPart> read_parts(const JsonView& parts) {
  std::vector<BlockPart> out;
  for (const JsonView& part : parts.elements()) {
    out.push_back(BlockPart{part.at("type").nonempty_string(), features_of(part.at("features")),
                            part.at("output_bytes").number(0, 1e15)});
  }
  return out;
}

ProfileUnit read_unit(const JsonView& u, const std::string& ms) {
  ProfileUnit out;
  if (const auto features = u.find("features")) {
    out.features = features_of(*features);
  }
  out.ms = u.at(ms).number(0, 1e9);
  if (const auto type = u.find("type")) {
    out.type = type->nonempty_string();
  }
  if (const auto flops = u.find("flops")) {
    out.flops = flops->number();
  }
  if (const auto exit = u.find("exit")) {
    out.exit = static_cast<int>(exit->integer(1, 1000));
  }
  if (const auto unit = u.find("unit")) {
    out.unit = static_cast<int>(unit->integer(1, 1000000));
  }
  if (const auto name = u.find("name")) {
    out.name = name->string();
  }
  if (const auto bytes = u.find("output_bytes")) {
    out.output_bytes = bytes->number(0, 1e15);
  }
  if (const auto range = u.find("units"); range && range->size() == 2) {
    out.last_unit = static_cast<int>(range->at(1).integer(1, 1000000));
    if (out.unit && *out.last_unit < *out.unit) {
      range->fail("must be [first, last] with first <= last");
    }
  }
  if (const auto parts = u.find("parts")) {
    out.parts = read_parts(*parts);
  }
  return out;
}

CodecPoint read_codec(const JsonView& c, const std::string& ms, bool need_bytes) {
  CodecPoint out;
  out.op = c.at("op").string();
  if (out.op != "encode" && out.op != "decode") {
    c.at("op").fail("must be \"encode\" or \"decode\"");
  }
  out.codec = c.at("codec").nonempty_string();
  if (need_bytes || c.has("fp32_bytes")) {
    out.fp32_bytes = c.at("fp32_bytes").number(0, 1e15);
  }
  out.ms = c.at(ms).number(0, 1e9);
  return out;
}

} // namespace

void Profile::missing(const std::string& key) const {
  throw SchemaError("missing required key", file, key);
}

Profile read_profile(const Artifact& artifact) {
  const JsonView root = artifact.root();
  Profile p;
  p.file = artifact.file;
  p.sha256 = sha256_hex(artifact.doc.dump());
  p.estimate = estimate_key(root);
  const std::string& ms = p.estimate;
  p.role = root.at("role").string();
  p.model_sha256 = root.at("provenance").at("model_sha256").string();
  for (const JsonView& u : root.at("units").elements()) {
    p.units.push_back(read_unit(u, ms));
  }
  std::map<int, double> chain_ms;
  if (const auto exits = root.find("exits")) {
    p.exits.emplace();
    for (const JsonView& e : exits->elements()) {
      ProfileExit x;
      x.exit = static_cast<int>(e.at("exit").integer(1, 1000));
      x.ms = e.at(ms).number(0, 1e9);
      chain_ms[x.exit] = x.ms;
      p.exits->push_back(x);
    }
  }
  if (const auto sweep = root.find("sweep")) {
    p.sweep.emplace();
    for (const JsonView& s : sweep->elements()) {
      SweepTiming x;
      x.features = features_of(s.at("features"));
      x.ms = s.at(ms).number(0, 1e9);
      x.type = s.at("type").nonempty_string();
      if (const auto flag = s.find("near_model")) {
        x.near_model = flag->boolean();
      }
      p.sweep->push_back(std::move(x));
    }
  }
  if (const auto blocks = root.find("block_sweep")) {
    for (const JsonView& b : blocks->elements()) {
      BlockTiming x;
      x.shape = b.at("shape").string();
      x.parts = read_parts(b.at("parts"));
      if (x.parts.empty()) {
        b.at("parts").fail("must list the block's parts");
      }
      x.ms = b.at(ms).number(0, 1e9);
      p.block_sweep.push_back(std::move(x));
    }
  }
  if (const auto load = root.find("load")) {
    for (const JsonView& l : load->elements()) {
      p.load.push_back({l.at("model_bytes").number(0, 1e12), l.at(ms).number(0, 1e9)});
    }
  }
  if (const auto overhead = root.find("net_overhead")) {
    NetOverhead n;
    n.ms = overhead->at(ms).number(-1e6, 1e6);
    if (const auto per_byte = overhead->find("per_byte")) {
      n.per_byte_ms = per_byte->at(ms).number(-1e6, 1e6);
    }
    p.net_overhead = n;
  }
  if (const auto codecs = root.find("codecs")) {
    for (const JsonView& c : codecs->elements()) {
      p.codecs.push_back(read_codec(c, ms, /*need_bytes=*/true));
    }
  }
  if (const auto requests = root.find("requests")) {
    if (!p.exits) {
      (void)root.at("exits");  // throws: request overheads are relative to the exits' timings
    }
    // A request's cost enters the planner's expected latency, a mean; a cold start has a long
    // right tail (its mean is 2-8 % above its median on the emulated device), so requests are
    // read at their mean whatever the settings' estimate for warm runs.
    const std::string request_ms = "mean_ms";
    RequestTimings r;
    for (const JsonView& e : requests->at("exits").elements()) {
      RequestPoint x;
      x.exit = static_cast<int>(e.at("exit").integer(1, 1000));
      const auto chain = chain_ms.find(x.exit);
      if (chain == chain_ms.end()) {
        e.at("exit").fail("has no entry in exits[] to compare with");
      }
      x.chain_ms = chain->second;
      x.param_bytes = e.at("param_bytes").number(0, 1e15);
      x.ms = e.at(request_ms).number(0, 1e9);
      if (const auto split = e.find("split")) {
        SplitRequestPoint sp;
        sp.nets = static_cast<int>(split->at("nets").integer(2, 100000));
        sp.boundary_bytes = split->at("boundary_bytes").number(0, 1e15);
        sp.ms = split->at(request_ms).number(0, 1e9);
        x.split = sp;
      }
      r.exits.push_back(x);
    }
    r.gap_ms = requests->at("gap_ms").number(0, 1e9);
    if (const auto codecs = requests->find("codecs")) {
      for (const JsonView& c : codecs->elements()) {
        r.codecs.push_back(read_codec(c, request_ms, /*need_bytes=*/false));
      }
    }
    p.requests = std::move(r);
  }
  return p;
}

} // namespace edgent::profile
