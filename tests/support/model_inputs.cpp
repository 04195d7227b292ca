#include "support/model_inputs.hpp"

#include "data/dataset.hpp"

#include <filesystem>
#include <span>
#include <string>

namespace edgent::testing {

std::vector<cv::Mat> fashion_mnist_inputs(const model::ModelCard& card, std::size_t count,
                                          int seed) {
  const std::vector<int> shape{1, 1, 28, 28};
  std::vector<cv::Mat> inputs;
  if (std::filesystem::exists(std::string(data::kFashionMnistDir) + "/t10k-labels-idx1-ubyte.gz")) {
    const data::Dataset ds = data::load_fashion_mnist(data::kFashionMnistDir, data::Split::test, count);
    const data::Normalization norm{card.norm_scale, card.norm_mean, card.norm_std};
    for (std::size_t i = 0; i < ds.size(); ++i) {
      cv::Mat blob(4, shape.data(), CV_32F);
      data::to_float(ds, norm, i, 1, std::span<float>(blob.ptr<float>(), 784));
      inputs.push_back(blob);
    }
  } else {
    cv::RNG rng(seed);
    for (std::size_t i = 0; i < count; ++i) {
      cv::Mat blob(4, shape.data(), CV_32F);
      rng.fill(blob, cv::RNG::NORMAL, 0.0, 1.0);
      inputs.push_back(blob);
    }
  }
  return inputs;
}

} // namespace edgent::testing
