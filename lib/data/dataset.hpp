#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace edgent::data {

/// Which part of a dataset to read.
enum class Split { train, test };

/// A labelled image set held as 8-bit pixels, NCHW, one byte per value.
struct Dataset {
  std::string name;                  ///< "fashion-mnist" or "cifar10"
  std::string path;                  ///< directory or file it was read from
  int channels = 0;                  ///< C
  int height = 0;                    ///< H, pixels
  int width = 0;                     ///< W, pixels
  std::vector<std::uint8_t> pixels;  ///< size() * C * H * W values in 0..255, NCHW
  std::vector<std::uint8_t> labels;  ///< one class index per image, < classes.size()
  std::vector<std::string> classes;  ///< class names, index = label

  /// Number of images.
  std::size_t size() const { return labels.size(); }
  /// Values per image (C * H * W).
  std::size_t image_values() const {
    return static_cast<std::size_t>(channels) * static_cast<std::size_t>(height) *
           static_cast<std::size_t>(width);
  }
  /// The pixels of image @p index (image_values() bytes).
  std::span<const std::uint8_t> image(std::size_t index) const;
  /// Keeps the first @p n images (no-op when n >= size()).
  void truncate(std::size_t n);
};

/// Per-channel normalisation applied to pixels: x = (pixel * scale - mean[c]) / std[c].
struct Normalization {
  double scale = 1.0 / 255.0;
  std::vector<double> mean;  ///< one per channel
  std::vector<double> std;   ///< one per channel, > 0
};

/// Writes images [first, first + count) of @p data normalised with @p norm into @p out as
/// float NCHW (count * C * H * W values). Throws std::out_of_range for a bad range.
void to_float(const Dataset& data, const Normalization& norm, std::size_t first,
              std::size_t count, std::span<float> out);

/// The normalisation the toolkit trains with for a dataset name ("fashion-mnist", "cifar10").
Normalization default_normalization(const std::string& dataset_name);

/// Reads an IDX image file (magic 0x00000803, [N, rows, cols] uint8), gzipped or plain.
/// @p limit keeps the first images only (0 = all). Throws IoError when the file cannot be
/// opened and DataError naming the file and byte offset (in the uncompressed stream) for a
/// bad header, absurd dimensions, truncation or a corrupt gzip stream.
Dataset read_idx_images(const std::string& path, std::size_t limit = 0);

/// Reads an IDX label file (magic 0x00000801, [N] uint8); like read_idx_images. Labels
/// must be < 10.
std::vector<std::uint8_t> read_idx_labels(const std::string& path, std::size_t limit = 0);

/// read_idx_images on a file's bytes (gzip data, one or more members, or plain IDX), @p file
/// naming it in errors. Memory grows with the data read, never just with a header's claim.
Dataset parse_idx_images(std::string_view bytes, const std::string& file, std::size_t limit = 0);
/// read_idx_labels on a file's bytes (gzip or plain), @p file naming it in errors.
std::vector<std::uint8_t> parse_idx_labels(std::string_view bytes, const std::string& file,
                                           std::size_t limit = 0);

/// Reads one CIFAR-10 binary batch (records of 1 label byte + 3072 pixel bytes, 3x32x32
/// channel-planar). Throws DataError naming the file and the offset of a truncated record
/// or a label > 9.
Dataset read_cifar10_batch(const std::string& path, std::size_t limit = 0);
/// read_cifar10_batch on a batch file's bytes (plain), @p file naming it in errors.
Dataset parse_cifar10_batch(std::string_view bytes, const std::string& file, std::size_t limit = 0);

/// The Fashion-MNIST directory of the Debian package dataset-fashion-mnist.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

/// Reads Fashion-MNIST's {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] from @p dir.
/// A missing directory or file throws IoError telling to install dataset-fashion-mnist.
Dataset load_fashion_mnist(const std::string& dir, Split split, std::size_t limit = 0);

/// Reads CIFAR-10 binary batches from @p dir (data_batch_1..5.bin for train, those present,
/// at least one; test_batch.bin for test).
Dataset load_cifar10(const std::string& dir, Split split, std::size_t limit = 0);

/// load_fashion_mnist or load_cifar10 by @p name; throws ConfigError for another name.
Dataset load_dataset(const std::string& name, const std::string& dir, Split split,
                     std::size_t limit = 0);

} // namespace edgent::data
