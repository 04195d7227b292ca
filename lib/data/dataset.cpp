#include "data/dataset.hpp"

#include "core/error.hpp"
#include "core/file_io.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace edgent::data {

namespace {

namespace fs = std::filesystem;

// Caps that keep a corrupt header from asking for an absurd allocation.
constexpr std::uint64_t kMaxImages = 10'000'000;
constexpr std::uint64_t kMaxSide = 4096;
constexpr std::uint64_t kMaxBytes = std::uint64_t{4} << 30;

constexpr std::uint32_t kIdxImagesMagic = 0x00000803;
constexpr std::uint32_t kIdxLabelsMagic = 0x00000801;
constexpr std::size_t kNumClasses = 10;

const std::vector<std::string> kFashionClasses{"t-shirt/top", "trouser", "pullover", "dress",
                                                "coat",        "sandal",  "shirt",    "sneaker",
                                                "bag",         "ankle boot"};
const std::vector<std::string> kCifarClasses{"airplane", "automobile", "bird",  "cat",  "deer",
                                              "dog",      "frog",       "horse", "ship", "truck"};

/// Bytes read sequentially, inflated on the fly when they are gzip data (one or more gzip
/// members, as gzip writes them; plain bytes are read as they are), counting uncompressed
/// bytes for messages. @p name is the file named in errors.
class GzReader {
public:
  GzReader(std::string_view bytes, std::string name)
      : m_in(bytes), m_path(std::move(name)),
        m_gzip(bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
               static_cast<unsigned char>(bytes[1]) == 0x8b) {
    if (m_gzip) {
      // 16 + MAX_WBITS: a gzip wrapper, checked (CRC and length) by zlib.
      if (inflateInit2(&m_z, 16 + MAX_WBITS) != Z_OK) {
        throw DataError("cannot initialise zlib", m_path);
      }
      m_z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(m_in.data()));
      m_z.avail_in = 0;
    }
  }
  ~GzReader() {
    if (m_gzip) {
      inflateEnd(&m_z);
    }
  }
  GzReader(const GzReader&) = delete;
  GzReader& operator=(const GzReader&) = delete;

  /// Reads exactly out.size() bytes of @p what or throws DataError with the offset.
  void read(std::span<std::uint8_t> out, const char* what) {
    std::size_t done = 0;
    while (done < out.size()) {
      const std::size_t got = m_gzip ? inflate_some(out.subspan(done), what, done)
                                     : copy_some(out.subspan(done));
      if (got == 0) {
        throw DataError(fmt::format("truncated at offset {}: {} needs {} more bytes", m_offset + done,
                                    what, out.size() - done),
                        m_path);
      }
      done += got;
    }
    m_offset += done;
  }

  /// Reads @p n bytes of @p what into @p out, growing it as the data arrives: a header that
  /// claims more than the file holds fails at the truncation, having allocated at most about
  /// twice what was there.
  void read_growing(std::vector<std::uint8_t>& out, std::uint64_t n, const char* what) {
    constexpr std::uint64_t kFirstChunk = std::uint64_t{1} << 20;
    out.clear();
    while (out.size() < n) {
      const std::size_t old = out.size();
      const std::uint64_t next = std::min<std::uint64_t>(n, std::max<std::uint64_t>(2 * old, kFirstChunk));
      out.resize(static_cast<std::size_t>(next));
      read(std::span<std::uint8_t>(out).subspan(old), what);
    }
  }

  std::uint32_t read_be32(const char* what) {
    std::array<std::uint8_t, 4> b{};
    read(b, what);
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
           std::uint32_t{b[3]};
  }

  std::uint64_t offset() const { return m_offset; }
  const std::string& path() const { return m_path; }

private:
  std::size_t copy_some(std::span<std::uint8_t> out) {
    const std::size_t n = std::min(out.size(), m_in.size() - m_pos);
    std::memcpy(out.data(), m_in.data() + m_pos, n);
    m_pos += n;
    return n;
  }

  /// Inflates up to out.size() bytes; 0 at the end of the data.
  std::size_t inflate_some(std::span<std::uint8_t> out, const char* what, std::size_t done) {
    while (!m_ended) {
      if (m_member_ended) {
        // Another gzip member follows (as gzread reads them); anything else ends the data.
        const std::string_view rest = m_in.substr(m_pos);
        if (rest.size() < 2 || static_cast<unsigned char>(rest[0]) != 0x1f ||
            static_cast<unsigned char>(rest[1]) != 0x8b) {
          m_ended = true;
          break;
        }
        inflateReset(&m_z);
        m_member_ended = false;
      }
      const std::size_t in_chunk = std::min<std::size_t>(m_in.size() - m_pos, 1u << 30);
      const std::size_t out_chunk = std::min<std::size_t>(out.size(), 1u << 30);
      m_z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(m_in.data() + m_pos));
      m_z.avail_in = static_cast<uInt>(in_chunk);
      m_z.next_out = out.data();
      m_z.avail_out = static_cast<uInt>(out_chunk);
      const int rc = inflate(&m_z, Z_NO_FLUSH);
      m_pos += in_chunk - m_z.avail_in;
      const std::size_t got = out_chunk - m_z.avail_out;
      if (rc == Z_STREAM_END) {
        m_member_ended = true;
      } else if (rc == Z_BUF_ERROR) {
        if (got == 0) {  // no progress possible: the input ends inside the member
          corrupt(what, done, "unexpected end of the compressed stream");
        }
      } else if (rc != Z_OK) {
        corrupt(what, done, m_z.msg != nullptr ? m_z.msg : "unknown zlib error");
      }
      if (got > 0) {
        return got;
      }
    }
    return 0;
  }

  [[noreturn]] void corrupt(const char* what, std::size_t done, const char* msg) const {
    throw DataError(fmt::format("corrupt compressed data at uncompressed offset {} while "
                                "reading {}: {}",
                                m_offset + done, what, msg),
                    m_path);
  }

  std::string_view m_in;
  std::size_t m_pos = 0;
  std::string m_path;
  bool m_gzip = false;
  z_stream m_z{};
  bool m_member_ended = false;
  bool m_ended = false;
  std::uint64_t m_offset = 0;
};

void check_magic(GzReader& in, std::uint32_t want, const char* kind) {
  const std::uint32_t magic = in.read_be32("the IDX magic number");
  if (magic != want) {
    throw DataError(fmt::format("offset 0: bad IDX magic 0x{:08x}, expected 0x{:08x} ({})", magic,
                                want, kind),
                    in.path());
  }
}

std::uint64_t checked_count(std::uint64_t count, std::uint64_t limit) {
  return limit == 0 ? count : std::min<std::uint64_t>(count, limit);
}

void check_labels(std::span<const std::uint8_t> labels, const std::string& path,
                  std::uint64_t first_offset, std::uint64_t stride) {
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] >= kNumClasses) {
      throw DataError(fmt::format("offset {}: label {} is not a class index 0..9",
                                  first_offset + i * stride, labels[i]),
                      path);
    }
  }
}

std::string find_file(const fs::path& dir, const std::string& stem) {
  for (const std::string& name : {stem + ".gz", stem}) {
    std::error_code ec;
    if (fs::is_regular_file(dir / name, ec)) {
      return (dir / name).string();
    }
  }
  return {};
}

} // namespace

std::span<const std::uint8_t> Dataset::image(std::size_t index) const {
  if (index >= size()) {
    throw std::out_of_range(fmt::format("image {} of {}", index, size()));
  }
  return std::span<const std::uint8_t>(pixels).subspan(index * image_values(), image_values());
}

void Dataset::truncate(std::size_t n) {
  if (n < size()) {
    labels.resize(n);
    pixels.resize(n * image_values());
  }
}

void to_float(const Dataset& data, const Normalization& norm, std::size_t first,
              std::size_t count, std::span<float> out) {
  if (first > data.size() || count > data.size() - first) {
    throw std::out_of_range(fmt::format("images [{}, {}) of {}", first, first + count, data.size()));
  }
  const std::size_t plane = static_cast<std::size_t>(data.height) * data.width;
  if (out.size() != count * data.image_values() ||
      norm.mean.size() != static_cast<std::size_t>(data.channels) ||
      norm.std.size() != static_cast<std::size_t>(data.channels)) {
    throw std::invalid_argument("to_float: output size or normalisation does not fit the data");
  }
  const std::uint8_t* src = data.pixels.data() + first * data.image_values();
  float* dst = out.data();
  for (std::size_t i = 0; i < count; ++i) {
    for (int c = 0; c < data.channels; ++c) {
      const double scale = norm.scale / norm.std[c];
      const double shift = norm.mean[c] / norm.std[c];
      for (std::size_t p = 0; p < plane; ++p) {
        *dst++ = static_cast<float>(*src++ * scale - shift);
      }
    }
  }
}

Normalization default_normalization(const std::string& dataset_name) {
  if (dataset_name == "cifar10") {
    return Normalization{1.0 / 255.0, {0.4914, 0.4822, 0.4465}, {0.2470, 0.2435, 0.2616}};
  }
  // Fashion-MNIST training-set statistics.
  return Normalization{1.0 / 255.0, {0.2860}, {0.3530}};
}

Dataset parse_idx_images(std::string_view bytes, const std::string& file, std::size_t limit) {
  GzReader in(bytes, file);
  check_magic(in, kIdxImagesMagic, "unsigned byte, 3 dimensions");
  const std::uint64_t count = in.read_be32("the image count");
  const std::uint64_t rows = in.read_be32("the row count");
  const std::uint64_t cols = in.read_be32("the column count");
  if (count == 0 || count > kMaxImages || rows == 0 || rows > kMaxSide || cols == 0 ||
      cols > kMaxSide || count * rows * cols > kMaxBytes) {
    throw DataError(fmt::format("offset 4: implausible dimensions {} x {} x {}", count, rows, cols),
                    file);
  }
  const std::uint64_t n = checked_count(count, limit);
  Dataset d;
  d.path = file;
  d.channels = 1;
  d.height = static_cast<int>(rows);
  d.width = static_cast<int>(cols);
  in.read_growing(d.pixels, n * rows * cols, "image pixels");
  d.labels.assign(n, 0);
  return d;
}

Dataset read_idx_images(const std::string& path, std::size_t limit) {
  return parse_idx_images(read_file(path), path, limit);
}

std::vector<std::uint8_t> parse_idx_labels(std::string_view bytes, const std::string& file,
                                           std::size_t limit) {
  GzReader in(bytes, file);
  check_magic(in, kIdxLabelsMagic, "unsigned byte, 1 dimension");
  const std::uint64_t count = in.read_be32("the label count");
  if (count == 0 || count > kMaxImages) {
    throw DataError(fmt::format("offset 4: implausible label count {}", count), file);
  }
  std::vector<std::uint8_t> labels;
  in.read_growing(labels, checked_count(count, limit), "labels");
  check_labels(labels, file, 8, 1);
  return labels;
}

std::vector<std::uint8_t> read_idx_labels(const std::string& path, std::size_t limit) {
  return parse_idx_labels(read_file(path), path, limit);
}

Dataset parse_cifar10_batch(std::string_view bytes, const std::string& file, std::size_t limit) {
  constexpr std::size_t kImage = 3 * 32 * 32;
  constexpr std::size_t kRecord = 1 + kImage;
  if (bytes.empty()) {
    throw DataError("offset 0: empty file, expected 3073-byte CIFAR-10 records", file);
  }
  if (bytes.size() % kRecord != 0) {
    throw DataError(fmt::format("truncated at offset {}: the last record has {} of {} bytes",
                                bytes.size() - bytes.size() % kRecord, bytes.size() % kRecord,
                                kRecord),
                    file);
  }
  if (bytes.size() / kRecord > kMaxImages) {
    throw DataError(fmt::format("offset 0: implausible record count {}", bytes.size() / kRecord),
                    file);
  }
  const std::uint64_t n = checked_count(bytes.size() / kRecord, limit);
  Dataset d;
  d.name = "cifar10";
  d.path = file;
  d.channels = 3;
  d.height = 32;
  d.width = 32;
  d.classes = kCifarClasses;
  d.labels.resize(n);
  d.pixels.resize(n * kImage);
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::size_t at = i * kRecord;
    d.labels[i] = static_cast<std::uint8_t>(bytes[at]);
    if (d.labels[i] >= kNumClasses) {
      throw DataError(fmt::format("offset {}: label {} is not a class index 0..9", at, d.labels[i]),
                      file);
    }
    std::memcpy(d.pixels.data() + i * kImage, bytes.data() + at + 1, kImage);
  }
  return d;
}

Dataset read_cifar10_batch(const std::string& path, std::size_t limit) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    throw IoError("cannot open: no such file (a CIFAR-10 binary batch, e.g. data_batch_1.bin)",
                  path);
  }
  return parse_cifar10_batch(read_file(path), path, limit);
}

Dataset load_fashion_mnist(const std::string& dir, Split split, std::size_t limit) {
  const fs::path root(dir);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    throw IoError("no Fashion-MNIST directory here: install the Debian package "
                  "dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or pass --data DIR",
                  dir);
  }
  const std::string prefix = split == Split::train ? "train" : "t10k";
  const std::string images_path = find_file(root, prefix + "-images-idx3-ubyte");
  const std::string labels_path = find_file(root, prefix + "-labels-idx1-ubyte");
  if (images_path.empty() || labels_path.empty()) {
    throw IoError(fmt::format("missing {}-{}-ubyte.gz: install the Debian package "
                              "dataset-fashion-mnist or pass --data DIR",
                              prefix, images_path.empty() ? "images-idx3" : "labels-idx1"),
                  dir);
  }
  Dataset d = read_idx_images(images_path, limit);
  d.labels = read_idx_labels(labels_path, limit);
  if (d.labels.size() != d.pixels.size() / d.image_values()) {
    throw DataError(fmt::format("{} labels for {} images in {}", d.labels.size(),
                                d.pixels.size() / d.image_values(), images_path),
                    labels_path);
  }
  d.name = "fashion-mnist";
  d.path = dir;
  d.classes = kFashionClasses;
  return d;
}

Dataset load_cifar10(const std::string& dir, Split split, std::size_t limit) {
  const fs::path root(dir);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    throw IoError("no CIFAR-10 directory here (expected the binary version: data_batch_1.bin ... "
                  "test_batch.bin)",
                  dir);
  }
  std::vector<std::string> files;
  if (split == Split::test) {
    files.push_back((root / "test_batch.bin").string());
  } else {
    for (int i = 1; i <= 5; ++i) {
      const fs::path p = root / fmt::format("data_batch_{}.bin", i);
      if (fs::is_regular_file(p, ec)) {
        files.push_back(p.string());
      }
    }
    if (files.empty()) {
      throw IoError("no data_batch_<n>.bin here (CIFAR-10 binary version)", dir);
    }
  }
  Dataset all;
  for (const std::string& f : files) {
    const std::size_t want = limit == 0 ? 0 : limit - all.size();
    Dataset part = read_cifar10_batch(f, want);
    if (all.labels.empty()) {
      all = std::move(part);
    } else {
      all.labels.insert(all.labels.end(), part.labels.begin(), part.labels.end());
      all.pixels.insert(all.pixels.end(), part.pixels.begin(), part.pixels.end());
    }
    if (limit != 0 && all.size() >= limit) {
      break;
    }
  }
  all.path = dir;
  return all;
}

Dataset load_dataset(const std::string& name, const std::string& dir, Split split,
                     std::size_t limit) {
  if (name == "fashion-mnist") {
    return load_fashion_mnist(dir, split, limit);
  }
  if (name == "cifar10") {
    return load_cifar10(dir, split, limit);
  }
  throw ConfigError(fmt::format("unknown dataset '{}' (fashion-mnist or cifar10)", name), {},
                    "dataset");
}

} // namespace edgent::data
