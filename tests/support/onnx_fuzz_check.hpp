#pragma once

// The property the ONNX libFuzzer target and the gcc suite check on arbitrary bytes: the model
// analysis the tools run (OnnxGraph::from_bytes → analyse → cut points → segment extraction)
// yields a consistent partition or an edgent::Error, whatever the protobuf holds: garbage,
// cycles, missing shapes, dangling inputs, huge dims.

#include "core/error.hpp"
#include "model/onnx_graph.hpp"
#include "model/partition.hpp"

#include <cstdlib>
#include <string>
#include <string_view>

namespace edgent::fuzz {

/// Parses and analyses @p bytes as an ONNX model; for each exit checks the cut points and
/// extracts the segment (0, first cut after 0]. Returns true when the analysis accepted the
/// model; aborts when an accepted partition contradicts itself.
inline bool check_onnx_bytes(std::string_view bytes) {
  try {
    const auto graph = model::OnnxGraph::from_bytes(std::string(bytes), "fuzz.onnx");
    const model::Partition p = model::analyse(*graph);
    if (p.exits.size() != graph->outputs().size()) {
      std::abort();
    }
    for (std::size_t e = 0; e < p.exits.size(); ++e) {
      const model::ExitChain& chain = p.exits[e];
      if (chain.exit != static_cast<int>(e + 1) ||
          chain.cut_tensor.size() != chain.units.size() + 1) {
        std::abort();
      }
      const std::vector<int> cuts = chain.cut_points();
      if (cuts.empty() || cuts.front() != 0 || cuts.back() != chain.size()) {
        std::abort();
      }
      for (std::size_t i = 1; i < cuts.size(); ++i) {
        if (cuts[i] <= cuts[i - 1]) {
          std::abort();
        }
      }
      for (std::size_t u = 0; u < chain.units.size(); ++u) {
        const model::Unit& unit = chain.units[u];
        if (unit.index != static_cast<int>(u + 1) || unit.nodes.empty() || unit.output_bytes < 0 ||
            !(unit.flops >= 0)) {
          std::abort();
        }
      }
      if (cuts.size() >= 2) {
        (void)model::extract_segment(*graph, chain, 0, cuts[1]);
      }
    }
    return true;
  } catch (const Error&) {
    return false;
  }
}

} // namespace edgent::fuzz
