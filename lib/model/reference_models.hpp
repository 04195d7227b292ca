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

/// A ResNet-style net on [1,1,28,28] with 3 exits: a stem (conv+BN+relu), an identity residual
/// block, exit 1 (global average pool, fc); a stride-2 residual block whose skip is a 1x1
/// stride-2 projection (conv+BN), an identity block, exit 2; a stride-2 block with a
/// depthwise-separable main path, exit 3. Convs carry BatchNormalization as trained nets
/// export them.
OnnxBuilder resnet_exits_model(std::uint32_t seed);

/// An Inception-style net on [1,1,28,28] with 2 exits: a stem (conv+relu, max pool), an
/// inception block (1x1, 1x1-3x3, 3x3 max pool-1x1 branches joined by Concat) followed by a
/// standalone BatchNormalization and a squeeze-and-excitation gate (global average pool, 1x1
/// convs, Sigmoid, Mul), exit 1; max pool, a second inception block with a grouped 3x3 conv
/// branch, BatchNormalization, exit 2.
OnnxBuilder inception_exits_model(std::uint32_t seed);

/// One residual block alone on [1, @p cin, @p side, @p side], output "exit1": relu(two 3x3
/// conv+BN, the first strided + skip), the skip a 1x1 strided projection (conv+BN) when
/// @p stride is not 1 or @p cout differs from @p cin. A synthetic fused block for measuring
/// how a block's time relates to its parts' (the profile's block sweep).
OnnxBuilder residual_block_model(std::uint32_t seed, std::int64_t cin, std::int64_t cout,
                                 std::int64_t side, std::int64_t stride);

/// One inception block alone on [1, @p cin, @p side, @p side], output "exit1": 1x1 (@p c1);
/// 1x1 then 3x3 (@p c3, @p groups groups); 3x3 max pool then 1x1 (@p cp); Concat; then
/// BatchNormalization. As residual_block_model, for the block sweep.
OnnxBuilder inception_block_model(std::uint32_t seed, std::int64_t cin, std::int64_t side,
                                  std::int64_t c1, std::int64_t c3, std::int64_t cp,
                                  std::int64_t groups);

} // namespace edgent::model
