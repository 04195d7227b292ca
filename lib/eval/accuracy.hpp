#pragma once

#include "data/dataset.hpp"
#include "model/segment_runner.hpp"
#include "net/tensor_wire.hpp"

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include <functional>
#include <string>
#include <vector>

namespace edgent::eval {

/// Labelled inputs, each a float32 blob with the model's input shape (already normalised).
struct LabelledSet {
  std::vector<cv::Mat> images;
  std::vector<int> labels;  ///< class index per image
};

/// Blobs of @p shape ([1, C, H, W], H x W = the dataset's image size) from @p data,
/// normalised with @p norm (mean/std hold 1 or C values; a single-channel image is repeated
/// over C channels), with its labels. Throws ConfigError when the shape does not take the
/// images, mean/std have the wrong count or a std is not > 0.
LabelledSet make_labelled_set(const data::Dataset& data, const data::Normalization& norm,
                              const std::vector<int>& shape);

/// Top-1 accuracy of one (exit, cut, codec): the device runs units 1..cut, the tensor at the
/// cut travels with the codec, the rest runs on the received tensor.
struct AccuracyEntry {
  int exit = 0;
  int cut = 0;
  std::string codec;
  double accuracy = 0;  ///< fraction in [0, 1]
  int correct = 0;
  int samples = 0;
  /// Mean wire message size (80-byte header included) of the tensor at the cut with this
  /// codec, over the first kWireBytesSamples images; 0 when no image was measured.
  double wire_bytes = 0;
};

/// Images whose encoded sizes are averaged into AccuracyEntry::wire_bytes (zstd is costly).
inline constexpr std::size_t kWireBytesSamples = 1000;

struct AccuracyOptions {
  std::vector<net::CodecSpec> codecs = net::all_codecs();
  std::vector<int> exits;                        ///< empty = every exit
  std::function<void(std::size_t done)> progress; ///< called after each sample (may be empty)
};

/// Measures top-1 accuracy on @p data for every exit, every cut point 0..n of it and every
/// codec. A codec with +zstd decodes to exactly the bytes of its base codec (zstd is
/// lossless), so it is measured once per base codec and reported for both. Throws
/// DataError when images and labels differ in number or a label is negative.
std::vector<AccuracyEntry> accuracy_table(model::SegmentRunner& runner, const LabelledSet& data,
                                          const AccuracyOptions& options);

/// The edgent.accuracy/1 body (without schema/generator) for @p entries.
nlohmann::json accuracy_json(const std::string& model_sha256, std::size_t samples,
                             const std::vector<AccuracyEntry>& entries);

/// Index of the largest value of @p scores (the first on ties).
int argmax(const cv::Mat& scores);

} // namespace edgent::eval
