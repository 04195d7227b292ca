#include "plan/latency_model.hpp"

#include <algorithm>
#include <limits>

namespace edgent::plan {

double transfer_ms(double bytes, double kbps) {
  if (bytes <= 0) {
    return 0;
  }
  if (!(kbps > 0)) {
    return std::numeric_limits<double>::infinity();
  }
  return bytes * 8.0 / kbps; // bits / (1000 bit/s) = ms
}

LatencyModel::LatencyModel(PlanProblem problem) : m_problem(std::move(problem)) {
  validate(m_problem);
  for (const ExitCosts& e : m_problem.exits) {
    PreparedExit p;
    const int n = e.units();
    p.device_prefix.assign(n + 1, 0.0);
    p.edge_prefix.assign(n + 1, 0.0);
    p.device_boundary_prefix.assign(n + 1, 0.0);
    p.edge_boundary_prefix.assign(n + 1, 0.0);
    p.param_prefix.assign(n + 1, 0.0);
    for (int u = 0; u < n; ++u) {
      p.param_prefix[u + 1] =
          p.param_prefix[u] + (e.param_bytes.empty() ? 0.0 : e.param_bytes[static_cast<std::size_t>(u)]);
      p.device_prefix[u + 1] = p.device_prefix[u] + e.device_ms[u];
      p.edge_prefix[u + 1] = p.edge_prefix[u] + e.edge_ms[u];
      if (u + 1 < n) {  // the boundary at cut u + 1, between units u + 1 and u + 2
        const double bytes = e.fp32_bytes[u + 1];
        p.device_boundary_prefix[u + 1] = p.device_boundary_prefix[u] + m_problem.device_net_ms +
                                          m_problem.device_net_ms_per_byte * bytes;
        p.edge_boundary_prefix[u + 1] =
            p.edge_boundary_prefix[u] + m_problem.edge_net_ms + m_problem.edge_net_ms_per_byte * bytes;
      }
    }
    m_prepared.push_back(std::move(p));
    m_input_bytes.push_back(e.fp32_bytes[0]);
  }
}

double LatencyModel::tensor_bytes(int exit_index, int cut, int codec) const {
  const ExitCosts& e = m_problem.exits[exit_index];
  if (!e.encoded_bytes.empty()) {
    const auto& measured = e.encoded_bytes[cut * m_problem.codecs.size() + codec];
    if (measured) {
      return *measured;
    }
  }
  return e.fp32_bytes[cut] * m_problem.codecs[codec].ratio;
}

namespace {

/// Units (from, to] run as one net: their sum less the costs of the boundaries inside.
double segment_ms(const std::vector<double>& prefix, const std::vector<double>& boundary, int from,
                  int to) {
  if (to <= from) {
    return 0;
  }
  return std::max(0.0, prefix[to] - prefix[from] - (boundary[to - 1] - boundary[from]));
}

} // namespace

double LatencyModel::first_encode_ms(const CodecTime& codec, double input_bytes) const {
  // The device's request starts cold with encoding the input: measured as such, or the
  // request's cold start plus the encoding.
  return codec.encode_first_ms > 0 ? codec.encode_first_ms
                                   : m_problem.device_request_ms + codec.encode(input_bytes);
}

double LatencyModel::chain_start_ms(int exit_index, bool device) const {
  const ExitCosts& e = m_problem.exits[static_cast<std::size_t>(exit_index)];
  const std::optional<double>& measured =
      device ? e.device_chain_request_ms : e.edge_chain_request_ms;
  if (!measured) {
    return device ? m_problem.device_request_ms : m_problem.edge_request_ms;
  }
  // The measured overhead covers the chain's weights, which its segments count again.
  const double per_param_byte = device ? m_problem.device_request_ms_per_param_byte
                                       : m_problem.edge_request_ms_per_param_byte;
  return *measured -
         per_param_byte * m_prepared[static_cast<std::size_t>(exit_index)].param_prefix.back();
}

double LatencyModel::device_segment_ms(const PreparedExit& p, int from, int to) const {
  if (to <= from) {
    return 0;
  }
  return segment_ms(p.device_prefix, p.device_boundary_prefix, from, to) +
         m_problem.device_request_ms_per_param_byte * (p.param_prefix[to] - p.param_prefix[from]);
}

double LatencyModel::edge_segment_ms(const PreparedExit& p, int from, int to) const {
  if (to <= from) {
    return 0;
  }
  return segment_ms(p.edge_prefix, p.edge_boundary_prefix, from, to) +
         m_problem.edge_request_ms_per_param_byte * (p.param_prefix[to] - p.param_prefix[from]);
}

namespace {

/// @p b with the device's parts scaled by @p scale.
Breakdown scale_device(Breakdown b, double scale) {
  if (scale != 1.0) {
    b.device_ms *= scale;
    b.codec_ms *= scale;
    b.total_ms = b.device_ms + b.codec_ms + b.edge_ms + b.up_ms + b.down_ms;
  }
  return b;
}

} // namespace

Breakdown LatencyModel::latency(const Choice& choice, const Network& net) const {
  return scale_device(profiled_latency(choice, net), net.device_scale);
}

Breakdown LatencyModel::cascade_latency(const CascadeShape& shape, int cut, int codec,
                                        std::size_t leave, const Network& net) const {
  return cascade_breakdown(cascade_terms(shape, cut, codec, leave), net);
}

Breakdown cascade_breakdown(const CascadeTerms& t, const Network& net) {
  Breakdown b;
  b.device_ms = t.device_ms * net.device_scale;
  b.codec_ms = t.codec_ms * net.device_scale;
  if (t.crosses) {
    b.edge_ms = t.edge_ms + net.edge_queue_ms;
    b.up_ms = net.rtt_ms / 2 + net.up_fixed_ms +
              transfer_ms(t.up_bytes + net.up_overhead_bytes, net.up_kbps);
    b.down_ms = net.rtt_ms / 2 + net.down_fixed_ms +
                transfer_ms(t.down_bytes + net.down_overhead_bytes, net.down_kbps);
  }
  b.total_ms = b.device_ms + b.codec_ms + b.edge_ms + b.up_ms + b.down_ms;
  return b;
}

Breakdown LatencyModel::profiled_latency(const Choice& choice, const Network& net) const {
  const PreparedExit& p = m_prepared[choice.exit_index];
  const int n = static_cast<int>(p.device_prefix.size()) - 1;
  const int c = choice.cut;
  Breakdown b;
  if (choice.order == Order::device_first) {
    b.device_ms = device_segment_ms(p, 0, c);
    if (c > 0) {
      // The request starts cold with the head: a whole chain's cold start as measured for
      // that exit, a head's as the fit's fixed part.
      b.device_ms += c == n ? chain_start_ms(choice.exit_index, /*device=*/true)
                            : m_problem.device_request_ms;
    }
    if (c < n) {
      const ExitCosts& e = m_problem.exits[choice.exit_index];
      const Codec& k = m_problem.codecs[choice.codec];
      b.codec_ms = (c > 0 ? k.device.encode(e.fp32_bytes[c])
                          : first_encode_ms(k.device, e.fp32_bytes[0])) +
                   m_problem.fp32.device.decode(e.fp32_bytes[n]);
      // The edge's cold start: as measured for the whole chain (edge-only), else the fixed part.
      const double edge_start = c == 0 ? chain_start_ms(choice.exit_index, /*device=*/false)
                                       : m_problem.edge_request_ms;
      b.edge_ms = edge_start + k.edge.decode(e.fp32_bytes[c]) + edge_segment_ms(p, c, n) +
                  m_problem.fp32.edge.encode(e.fp32_bytes[n]) + net.edge_queue_ms;
      b.up_ms = net.rtt_ms / 2 + net.up_fixed_ms +
                transfer_ms(tensor_bytes(choice.exit_index, c, choice.codec) + net.up_overhead_bytes,
                            net.up_kbps);
      b.down_ms = net.rtt_ms / 2 + net.down_fixed_ms +
                  transfer_ms(m_problem.exits[choice.exit_index].fp32_bytes[n] + net.down_overhead_bytes,
                              net.down_kbps);
    }
  } else {
    const ExitCosts& e = m_problem.exits[choice.exit_index];
    const Codec& k = m_problem.codecs[choice.codec];
    b.edge_ms = m_problem.edge_request_ms + m_problem.fp32.edge.decode(e.fp32_bytes[0]) +
                edge_segment_ms(p, 0, c) + k.edge.encode(e.fp32_bytes[c]) + net.edge_queue_ms;
    b.device_ms = device_segment_ms(p, c, n);
    b.codec_ms = first_encode_ms(m_problem.fp32.device, e.fp32_bytes[0]) +
                 k.device.decode(e.fp32_bytes[c]);
    b.up_ms = net.rtt_ms / 2 + net.up_fixed_ms +
              transfer_ms(m_input_bytes[choice.exit_index] + net.up_overhead_bytes, net.up_kbps);
    b.down_ms = net.rtt_ms / 2 + net.down_fixed_ms +
                transfer_ms(tensor_bytes(choice.exit_index, c, choice.codec) + net.down_overhead_bytes,
                            net.down_kbps);
  }
  b.total_ms = b.device_ms + b.codec_ms + b.edge_ms + b.up_ms + b.down_ms;
  return b;
}

CascadeTerms LatencyModel::cascade_terms(const CascadeShape& shape, int cut, int codec,
                                         std::size_t leave) const {
  const std::size_t last = shape.exit_index.size() - 1;
  const int f = shape.exit_index[last];
  const PreparedExit& pf = m_prepared[static_cast<std::size_t>(f)];
  const ExitCosts& ef = m_problem.exits[static_cast<std::size_t>(f)];
  const int n = ef.units();
  // A non-final exit's branch (b, n_e] of its own chain.
  const auto branch_ms = [&](std::size_t i, bool device) {
    const int e = shape.exit_index[i];
    const PreparedExit& pe = m_prepared[static_cast<std::size_t>(e)];
    const int ne = m_problem.exits[static_cast<std::size_t>(e)].units();
    return device ? device_segment_ms(pe, shape.branch[i], ne)
                  : edge_segment_ms(pe, shape.branch[i], ne);
  };
  CascadeTerms t;
  // The device part: exits branching at or before the cut, evaluated in order. Every net
  // after a side's first (a trunk segment, a branch) costs that side request_net_ms more.
  // The request's cold start is added where the path ends: a path answered on the device ran
  // that exit's whole chain and starts as it was measured; one that crosses ran a head.
  int pos = 0;
  double device = 0;
  int device_nets = 0;
  const auto device_net = [&] {
    device += device_nets++ > 0 ? m_problem.device_request_net_ms : 0.0;
  };
  std::size_t i = 0;
  for (; i < last && shape.branch[i] <= cut; ++i) {
    if (shape.branch[i] > pos) {
      device_net();
      device += device_segment_ms(pf, pos, shape.branch[i]);
    }
    device_net();
    device += branch_ms(i, /*device=*/true);
    pos = shape.branch[i];
    if (i == leave) {
      t.device_ms = device + chain_start_ms(shape.exit_index[i], /*device=*/true);
      return t;
    }
  }
  if (cut > pos) {
    device_net();
    device += device_segment_ms(pf, pos, cut);
  }
  if (cut == n) {
    t.device_ms = device + chain_start_ms(f, /*device=*/true);
    return t;
  }
  t.crosses = true;
  t.device_ms = device + (cut > 0 ? m_problem.device_request_ms : 0.0);
  // The rest crosses the link; the edge continues to the answering exit.
  const ExitCosts& answer = m_problem.exits[static_cast<std::size_t>(shape.exit_index[leave])];
  const double logits_bytes = answer.fp32_bytes.back();
  const Codec& k = m_problem.codecs[static_cast<std::size_t>(codec)];
  t.codec_ms = (cut > 0 ? k.device.encode(ef.fp32_bytes[static_cast<std::size_t>(cut)])
                        : first_encode_ms(k.device, ef.fp32_bytes[0])) +
               m_problem.fp32.device.decode(logits_bytes);
  // Edge-only, the edge runs the answering exit's chain: its measured cold start.
  double edge = (cut == 0 ? chain_start_ms(shape.exit_index[leave], /*device=*/false)
                          : m_problem.edge_request_ms) +
                k.edge.decode(ef.fp32_bytes[static_cast<std::size_t>(cut)]);
  int edge_nets = 0;
  const auto edge_net = [&] { edge += edge_nets++ > 0 ? m_problem.edge_request_net_ms : 0.0; };
  pos = cut;
  for (; i <= leave; ++i) {
    const int to = shape.branch[i];
    if (to > pos) {
      edge_net();
      edge += edge_segment_ms(pf, pos, to);
    }
    pos = to;
    if (i < last) {
      edge_net();
      edge += branch_ms(i, /*device=*/false);
    }
  }
  t.edge_ms = edge + m_problem.fp32.edge.encode(logits_bytes);
  t.up_bytes = tensor_bytes(f, cut, codec);
  t.down_bytes = logits_bytes;
  return t;
}

std::optional<double> LatencyModel::accuracy(const Choice& choice) const {
  const ExitCosts& e = m_problem.exits[choice.exit_index];
  if (choice.codec >= 0 && !e.codec_accuracy.empty()) {
    const auto& a = e.codec_accuracy[choice.cut * m_problem.codecs.size() + choice.codec];
    if (a) {
      return a;
    }
  }
  return e.accuracy;
}

} // namespace edgent::plan
