#pragma once

#include "data/dataset.hpp"

#include <opencv2/core.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace edgent::data {

/// Request inputs: normalised float32 blobs of the model's input shape, with labels.
struct Inputs {
  std::vector<cv::Mat> blobs;
  std::vector<int> labels;  ///< one per blob; -1 = unknown
};

/// Which inputs to keep: [offset, offset + count), clipped to those available.
struct InputRange {
  std::size_t offset = 0;  ///< first input
  std::size_t count = 0;   ///< inputs; 0 = every input from offset on
};

/// The end of @p range over @p available inputs. Throws DataError naming @p what when the
/// offset is past them.
std::size_t input_range_end(const InputRange& range, std::size_t available, const std::string& what);

/// The Fashion-MNIST test split in directory @p dir, normalised with @p norm into blobs of
/// @p shape (NCHW). Throws ConfigError naming @p dir and "input.shape" when the images are
/// not shape's C x H x W, and the readers' errors for a missing or bad file.
Inputs load_dataset_inputs(const std::string& dir, const std::vector<int>& shape,
                           const Normalization& norm, const InputRange& range);

/// The image files of directory @p where (sorted by name), or those a text file lists (one
/// path a line, relative to the list's directory; blank lines and # skipped). Throws
/// DataError when there are none.
std::vector<std::string> image_paths(const std::string& where);

/// The images of image_paths(@p where), read as grey (C 1) or RGB (C 3), resized to @p shape's
/// H x W and normalised with @p norm. Throws ConfigError naming @p shape_file and
/// "input.shape" unless C is 1 or 3, DataError for a file OpenCV cannot read.
Inputs load_image_inputs(const std::string& where, const std::vector<int>& shape,
                         const Normalization& norm, const InputRange& range,
                         const std::string& shape_file);

/// Raw float32 little-endian tensors of @p shape, concatenated in file @p path ("-" = stdin).
/// Throws DataError when the size is not a whole number of tensors or a value is not finite.
Inputs load_tensor_inputs(const std::string& path, const std::vector<int>& shape,
                          const InputRange& range);

} // namespace edgent::data
