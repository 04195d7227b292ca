#include "runtime/device_runner.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/stats.hpp"
#include "model/cascade.hpp"
#include "net/tensor_mat.hpp"
#include "net/tensor_wire.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace edgent::runtime {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

/// The tensor of the edge's reply @p body, checked against what request @p id asked for: its
/// id, exit @p exit, cut @p cut, the cut's @p shape exactly (on the header, before the payload
/// is decoded) and finite values. Throws NetError (key "reply") for anything else: a device
/// must never turn a wrong or tampered answer into a class.
cv::Mat checked_reply(std::string_view body, std::uint64_t id, int exit, int cut,
                      const std::vector<int>& shape) {
  const net::WireHeader h = net::decode_header(body);
  if (h.request_id != id) {
    throw NetError(fmt::format("the edge answered request {}, expected {}", h.request_id, id), {},
                   "reply");
  }
  if (h.exit != exit || h.cut != cut) {
    throw NetError(fmt::format("the edge answered exit {} cut {}, expected exit {} cut {}", h.exit,
                               h.cut, exit, cut),
                   {}, "reply");
  }
  if (!std::equal(shape.begin(), shape.end(), h.dims.begin(), h.dims.end(),
                  [](int s, std::uint32_t d) { return static_cast<std::uint32_t>(s) == d; })) {
    throw NetError(fmt::format("the edge answered a tensor of shape [{}], exit {} cut {} has "
                               "shape [{}]",
                               fmt::join(h.dims, ", "), exit, cut, fmt::join(shape, ", ")),
                   {}, "reply");
  }
  const cv::Mat tensor = net::to_mat(net::decode_tensor(body));
  if (!cv::checkRange(tensor)) {
    throw NetError("the edge's tensor holds a non-finite value (NaN or infinity)", {}, "reply");
  }
  return tensor;
}

} // namespace

int argmax(const cv::Mat& logits) {
  const cv::Mat flat = logits.reshape(1, 1);
  cv::Point max_loc;
  cv::minMaxLoc(flat, nullptr, nullptr, nullptr, &max_loc);
  return max_loc.x;
}

DeviceRunner::DeviceRunner(std::shared_ptr<const model::OnnxGraph> graph, EdgeLink* link,
                           int cv_threads, emulate::TimeDilation dilation)
    : m_graph(graph), m_link(link), m_segments(std::move(graph), cv_threads),
      m_dilation(dilation) {
  m_exit_ms.assign(static_cast<std::size_t>(exits()), 0.0);
}

void DeviceRunner::set_exit_latency(std::vector<double> exit_ms) {
  if (exit_ms.size() != static_cast<std::size_t>(exits())) {
    throw ConfigError(fmt::format("{} exit latencies for a model of {} exits", exit_ms.size(),
                                  exits()),
                      {}, "exits");
  }
  m_exit_ms = std::move(exit_ms);
}

std::vector<double> DeviceRunner::measure_exit_latency(const cv::Mat& input, int reps) {
  std::vector<double> out;
  for (int e = 1; e <= exits(); ++e) {
    m_segments.prepare(e, 0, m_segments.chain(e).size());
    m_segments.run_exit(e, input); // warm-up
    std::vector<double> samples;
    for (int i = 0; i < std::max(1, reps); ++i) {
      emulate::DilatedWork work(m_dilation);
      m_segments.run_exit(e, input);
      samples.push_back(work.finish());
    }
    out.push_back(stats::median(std::move(samples)));
  }
  return out;
}

void DeviceRunner::check_plan(const plan::PlanRecord& plan, const std::string& where) const {
  if (plan.exit < 1 || plan.exit > exits()) {
    throw ConfigError(fmt::format("exit {} is not an exit of the model (1..{})", plan.exit,
                                  exits()),
                      where, "plan.exit");
  }
  const model::ExitChain& chain = m_segments.chain(plan.exit);
  const int n = chain.size();
  if (plan.cut < 0 || plan.cut > n || !chain.is_cut_point(plan.cut)) {
    throw ConfigError(fmt::format("cut {} is not a cut point of exit {}", plan.cut, plan.exit),
                      where, "plan.cut");
  }
  const bool device_only = plan.order == plan::Order::device_first && plan.cut == n;
  if (plan.order == plan::Order::edge_first && (plan.cut == 0 || plan.cut == n)) {
    throw ConfigError(fmt::format("edge-first needs an interior cut (1..{}), got {}", n - 1,
                                  plan.cut),
                      where, "plan.cut");
  }
  if (plan.cascade) {
    if (plan.order != plan::Order::device_first) {
      throw ConfigError("a cascade runs device-first", where, "plan.order");
    }
    try {
      (void)model::cascade_layout(m_segments.partition(), plan.cascade->cascade, where);
    } catch (const ConfigError& e) {
      throw ConfigError(e.detail(), where, "plan.cascade." + e.key());
    }
    if (plan.cascade->cascade.final_exit() != plan.exit) {
      throw ConfigError("the cascade must end at the plan's exit", where, "plan.cascade.exits");
    }
  }
  if (!device_only) {
    if (plan.codec == "none") {
      throw ConfigError("codec none is only for device-only plans", where, "plan.codec");
    }
    try {
      net::parse_codec(plan.codec);
    } catch (Error& e) {
      throw ConfigError(e.detail(), where, "plan.codec");
    }
    if (!m_link) {
      throw ConfigError("the plan offloads but there is no edge link", where, "plan");
    }
  }
}

void DeviceRunner::load(int exit, int from, int to) {
  const std::size_t before = m_segments.cached();
  m_segments.prepare(exit, from, to);
  if (m_segments.cached() > before) {
    const std::vector<int> shape = m_segments.cut_shape(exit, from);
    (void)m_segments.run(exit, from, to,
                         cv::Mat(static_cast<int>(shape.size()), shape.data(), CV_32F,
                                 cv::Scalar(0)));
  }
}

void DeviceRunner::prepare(const plan::PlanRecord& plan) {
  const int n = m_segments.chain(plan.exit).size();
  if (plan.cascade) {
    // Every piece the device may run: the final chain between branch points and the cut (the
    // part after the cut too, for a failing edge), and each exit's branch.
    const model::Cascade& c = plan.cascade->cascade;
    const model::CascadeLayout layout = model::cascade_layout(m_segments.partition(), c);
    std::vector<int> stops(layout.branch.begin(), layout.branch.end());
    stops.push_back(plan.cut);
    stops.push_back(0);
    std::sort(stops.begin(), stops.end());
    stops.erase(std::unique(stops.begin(), stops.end()), stops.end());
    for (std::size_t i = 0; i + 1 < stops.size(); ++i) {
      load(plan.exit, stops[i], stops[i + 1]);
    }
    for (std::size_t i = 0; i + 1 < c.exits.size(); ++i) {
      load(c.exits[i], layout.branch[i], m_segments.chain(c.exits[i]).size());
    }
    return;
  }
  if (plan.order == plan::Order::device_first) {
    if (plan.cut > 0) {
      load(plan.exit, 0, plan.cut);
    }
    if (plan.cut > 0 && plan.cut < n) {
      load(plan.exit, plan.cut, n); // a fallback finishes the head's tail
    }
  } else {
    load(plan.exit, plan.cut, n);
  }
  for (int e = 1; e <= exits(); ++e) {
    load(e, 0, m_segments.chain(e).size());
  }
}

void DeviceRunner::finish_on_device(RunResult& r, const cv::Mat& input,
                                    const plan::PlanRecord& plan, const cv::Mat* head,
                                    Clock::time_point start, double deadline_ms) {
  const double left = deadline_ms - ms_since(start);
  // Deepest exit whose device latency fits; shallowest when none does.
  int exit = 1;
  for (int e = exits(); e >= 1; --e) {
    double cost = m_exit_ms[static_cast<std::size_t>(e - 1)];
    if (head && e == plan.exit) {
      // The head already ran: only its tail is left (scaled by the units' share of FLOPs).
      const model::ExitChain& chain = m_segments.chain(e);
      const double all = chain.flops(0, chain.size());
      cost *= all > 0 ? chain.flops(plan.cut, chain.size()) / all : 1.0;
    }
    if (cost <= left) {
      exit = e;
      break;
    }
  }
  emulate::DilatedWork work(m_dilation);
  if (head && exit == plan.exit) {
    r.logits = m_segments.run(exit, plan.cut, m_segments.chain(exit).size(), *head);
  } else {
    r.logits = m_segments.run_exit(exit, input);
  }
  r.measured.device_ms += work.finish();
  r.measured.device_cpu_ms += work.cpu_ms();
  r.exit = exit;
}

void DeviceRunner::record_reply(RunResult& r, const EdgeReply& reply) {
  r.bytes_up = reply.http.bytes_up;
  r.bytes_down = reply.http.bytes_down;
  r.measured.edge_queue_ms = reply.queue_ms;
  r.measured.edge_compute_ms = reply.compute_ms;
  r.measured.network_ms = reply.network_ms;
  r.measured.up_ms =
      std::max(reply.http.first_byte_ms - reply.queue_ms - reply.compute_ms, 0.0);
  r.measured.down_ms = std::max(reply.http.total_ms - reply.http.first_byte_ms, 0.0);
}

RunResult DeviceRunner::run_cascade(std::uint64_t id, const cv::Mat& input,
                                    const plan::PlanRecord& plan, Clock::time_point start) {
  const model::Cascade& cascade = plan.cascade->cascade;
  const model::CascadeLayout layout = model::cascade_layout(m_segments.partition(), cascade);
  RunResult r;
  model::CascadeStep step;
  {
    emulate::DilatedWork work(m_dilation);
    step = model::run_cascade_part(m_segments, cascade, layout, input, 0, plan.cut);
    r.measured.device_ms = work.finish();
    r.measured.device_cpu_ms = work.cpu_ms();
  }
  if (step.exit == 0) {
    std::string body;
    {
      emulate::DilatedWork work(m_dilation);
      body = net::encode_mat(step.output, id, static_cast<std::uint16_t>(plan.exit),
                             static_cast<std::uint16_t>(plan.cut), net::parse_codec(plan.codec));
      r.measured.codec_ms = work.finish();
    }
    EdgeRoute route;
    route.cascade = model::cascade_to_string(cascade);
    const EdgeReply reply = m_link->infer(body, route);
    record_reply(r, reply);
    if (reply.ok()) {
      emulate::DilatedWork work(m_dilation);
      try {
        // The edge may answer at any exit it evaluates: one branching after the cut, or the last.
        const int exit = net::decode_header(reply.http.body).exit;
        bool allowed = false;
        for (std::size_t i = 0; i < cascade.exits.size(); ++i) {
          allowed = allowed || (cascade.exits[i] == exit && layout.branch[i] > plan.cut);
        }
        if (!allowed) {
          throw NetError(fmt::format("the edge answered exit {}, which the cascade {} does not "
                                     "evaluate after cut {}",
                                     exit, model::cascade_to_string(cascade), plan.cut),
                         {}, "reply");
        }
        const int n = m_segments.chain(exit).size();
        step.output = checked_reply(reply.http.body, id, exit, n, m_segments.cut_shape(exit, n));
        step.exit = exit;
        step.confidence = model::top_probability(step.output);
        r.offloaded = true;
      } catch (const Error& e) {
        r.fallback = true;
        r.fallback_reason = "bad reply: " + e.message();
      }
      r.measured.codec_ms += work.finish();
    } else {
      r.fallback = true;
      r.fallback_reason = reply.http.error.empty()
                              ? std::string(net::to_string(reply.http.outcome))
                              : reply.http.error;
    }
    if (r.fallback) {
      log::verbose("request {}: edge failed ({}), finishing the cascade on the device", id,
                   r.fallback_reason);
      emulate::DilatedWork work(m_dilation);
      step = model::run_cascade_part(m_segments, cascade, layout, step.output, plan.cut,
                                     layout.final_size);
      r.measured.device_ms += work.finish();
      r.measured.device_cpu_ms += work.cpu_ms();
    }
  }
  r.exit = step.exit;
  r.confidence = step.confidence;
  r.logits = step.output;
  r.measured.total_ms = ms_since(start);
  return r;
}

RunResult DeviceRunner::run(std::uint64_t id, const cv::Mat& input, const plan::PlanRecord& plan,
                            Clock::time_point start, double deadline_ms) {
  RunResult r = plan.cascade ? run_cascade(id, input, plan, start)
                             : run_fixed(id, input, plan, start, deadline_ms);
  if (!plan.cascade) {
    r.confidence = model::top_probability(r.logits);
  }
  return r;
}

RunResult DeviceRunner::run_fixed(std::uint64_t id, const cv::Mat& input,
                                  const plan::PlanRecord& plan, Clock::time_point start,
                                  double deadline_ms) {
  RunResult r;
  r.exit = plan.exit;
  const int n = m_segments.chain(plan.exit).size();
  const bool device_first = plan.order == plan::Order::device_first;
  if (device_first && plan.cut == n) {
    emulate::DilatedWork work(m_dilation);
    r.logits = m_segments.run_exit(plan.exit, input);
    r.measured.device_ms = work.finish();
    r.measured.device_cpu_ms = work.cpu_ms();
    r.measured.total_ms = ms_since(start);
    return r;
  }
  const net::CodecSpec codec = net::parse_codec(plan.codec);
  const net::CodecSpec fp32 = net::parse_codec("fp32");

  cv::Mat head;
  if (device_first && plan.cut > 0) {
    emulate::DilatedWork work(m_dilation);
    head = m_segments.run(plan.exit, 0, plan.cut, input);
    r.measured.device_ms = work.finish();
    r.measured.device_cpu_ms = work.cpu_ms();
  } else if (device_first) {
    head = input;
  }
  const int sent_cut = device_first ? plan.cut : 0;
  std::string body;
  {
    emulate::DilatedWork work(m_dilation);
    body = net::encode_mat(device_first ? head : input, id, static_cast<std::uint16_t>(plan.exit),
                           static_cast<std::uint16_t>(sent_cut), device_first ? codec : fp32);
    r.measured.codec_ms = work.finish();
  }

  EdgeRoute route;
  if (!device_first) {
    route.run_to = plan.cut;
    route.reply_codec = plan.codec;
  }
  const EdgeReply reply = m_link->infer(body, route);
  record_reply(r, reply);

  cv::Mat tensor;
  if (reply.ok()) {
    emulate::DilatedWork work(m_dilation);
    try {
      const int want_cut = device_first ? n : plan.cut;
      tensor = checked_reply(reply.http.body, id, plan.exit, want_cut,
                             m_segments.cut_shape(plan.exit, want_cut));
    } catch (const Error& e) {
      r.fallback = true;
      r.fallback_reason = "bad reply: " + e.message();
    }
    r.measured.codec_ms += work.finish();
  } else {
    r.fallback = true;
    r.edge_busy = reply.busy;
    r.fallback_reason = reply.http.error.empty()
                            ? std::string(net::to_string(reply.http.outcome))
                            : reply.http.error;
  }

  if (r.fallback) {
    log::verbose("request {}: edge failed ({}), finishing on the device", id, r.fallback_reason);
    finish_on_device(r, input, plan, device_first && plan.cut > 0 ? &head : nullptr, start,
                     deadline_ms);
  } else {
    r.offloaded = true;
    if (device_first) {
      r.logits = tensor;
    } else {
      emulate::DilatedWork work(m_dilation);
      r.logits = m_segments.run(plan.exit, plan.cut, n, tensor);
      r.measured.device_ms += work.finish();
      r.measured.device_cpu_ms += work.cpu_ms();
    }
  }
  r.measured.total_ms = ms_since(start);
  return r;
}

} // namespace edgent::runtime
