#pragma once

// Inputs for the shipped model's tests: real test images when the data set is installed.

#include "model/model_card.hpp"

#include <opencv2/core.hpp>

#include <cstddef>
#include <vector>

namespace edgent::testing {

/// The first @p count Fashion-MNIST test images as [1, 1, 28, 28] blobs normalised as @p card
/// says, or, without the data set, @p count normal random blobs seeded with @p seed.
std::vector<cv::Mat> fashion_mnist_inputs(const model::ModelCard& card, std::size_t count,
                                          int seed);

} // namespace edgent::testing
