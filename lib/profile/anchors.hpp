#pragma once

#include "model/onnx_graph.hpp"
#include "model/partition.hpp"
#include "profile/sweep.hpp"

#include <vector>

namespace edgent::profile {

/// The single-layer configurations of a model's units that the sweep can build (conv, relu,
/// pool, lrn, dropout, fc, softmax), each distinct configuration once. Units of other types,
/// or whose layer the sweep cannot express (grouped or non-square conv), are left out.
std::vector<SweepConfig> unit_configs(const model::OnnxGraph& graph, const model::Partition& partition);

} // namespace edgent::profile
