#pragma once

#include "model/onnx_builder.hpp"

#include <cstdint>

namespace edgent::model {

/// Small models with seeded random weights (uniform, He-scaled), built with OnnxBuilder, for
/// tests and benchmarks of partitioning when no trained model is at hand. Graph input "input",
/// outputs "exit1".."exitN" (logits), opset 11.

/// A plain chain on [1,1,28,28]: conv+relu, pool, lrn, conv+relu, pool, flatten+fc+relu,
/// dropout, fc, softmax (one exit).
OnnxBuilder chain_model(std::uint32_t seed);

/// A branchy AlexNet-like net on [1,1,28,28] with 5 exits sharing one trunk of 5 conv layers
/// (about 110 MFLOP to the last exit), in the BranchyNet layout Edgent uses.
OnnxBuilder branchy_alexnet(std::uint32_t seed);

/// A net on [1,3,16,16] with a residual block (conv+relu, conv, add with the skip, relu) then
/// exit 1, and an inception-like block (two parallel convs, concat) then exit 2.
OnnxBuilder residual_model(std::uint32_t seed);

} // namespace edgent::model
