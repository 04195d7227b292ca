#include "plan/latency_model.hpp"

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
    for (int u = 0; u < n; ++u) {
      p.device_prefix[u + 1] = p.device_prefix[u] + e.device_ms[u];
      p.edge_prefix[u + 1] = p.edge_prefix[u] + e.edge_ms[u];
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

Breakdown LatencyModel::latency(const Choice& choice, const Network& net) const {
  const PreparedExit& p = m_prepared[choice.exit_index];
  const int n = static_cast<int>(p.device_prefix.size()) - 1;
  const int c = choice.cut;
  Breakdown b;
  if (choice.order == Order::device_first) {
    b.device_ms = p.device_prefix[c];
    if (c < n) {
      b.edge_ms = p.edge_prefix[n] - p.edge_prefix[c] + net.edge_queue_ms;
      b.up_ms = net.rtt_ms / 2 + net.up_fixed_ms +
                transfer_ms(tensor_bytes(choice.exit_index, c, choice.codec) + net.up_overhead_bytes,
                            net.up_kbps);
      b.down_ms = net.rtt_ms / 2 + net.down_fixed_ms +
                  transfer_ms(m_problem.exits[choice.exit_index].fp32_bytes[n] + net.down_overhead_bytes,
                              net.down_kbps);
    }
  } else {
    b.edge_ms = p.edge_prefix[c] + net.edge_queue_ms;
    b.device_ms = p.device_prefix[n] - p.device_prefix[c];
    b.up_ms = net.rtt_ms / 2 + net.up_fixed_ms +
              transfer_ms(m_input_bytes[choice.exit_index] + net.up_overhead_bytes, net.up_kbps);
    b.down_ms = net.rtt_ms / 2 + net.down_fixed_ms +
                transfer_ms(tensor_bytes(choice.exit_index, c, choice.codec) + net.down_overhead_bytes,
                            net.down_kbps);
  }
  b.total_ms = b.device_ms + b.edge_ms + b.up_ms + b.down_ms;
  return b;
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
