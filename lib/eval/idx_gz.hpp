#pragma once

#include "eval/accuracy.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace edgent::eval {

/// Greyscale images from a gzipped IDX file (ubyte, 3 dims: count, rows, cols).
struct IdxImages {
  std::size_t count = 0;
  int rows = 0;
  int cols = 0;
  std::vector<std::uint8_t> pixels;  ///< count * rows * cols, row-major
};

/// Reads at most @p limit images (0 = all) from a gzipped (or plain) IDX image file.
/// Throws IoError when unreadable, DataError for a bad magic, dims or a short file.
IdxImages read_idx_images(const std::string& path, std::size_t limit = 0);
/// Reads at most @p limit labels (0 = all) from a gzipped (or plain) IDX label file.
std::vector<int> read_idx_labels(const std::string& path, std::size_t limit = 0);

/// How pixels become model input: x = (pixel * scale - mean[c]) / std[c].
struct Normalization {
  double scale = 1.0 / 255.0;
  std::vector<double> mean{0.0};
  std::vector<double> std{1.0};
};

/// Blobs of @p shape ([1, C, H, W], H x W = rows x cols; a single-channel image is
/// repeated over C channels) from @p images, normalised, with @p labels. Throws ConfigError
/// when the shape does not fit the images or mean/std do not have 1 or C values, DataError
/// when the counts differ.
LabelledSet make_labelled_set(const IdxImages& images, const std::vector<int>& labels,
                              const std::vector<int>& shape, const Normalization& norm);

} // namespace edgent::eval
