#include "eval/idx_gz.hpp"

#include "core/error.hpp"
#include "core/file_io.hpp"

#include <zlib.h>

#include <fmt/format.h>

#include <memory>

namespace edgent::eval {
namespace {

/// Largest payload read from one IDX file (the whole Fashion-MNIST train set is 47 MB).
constexpr std::uint64_t kMaxIdxBytes = std::uint64_t{512} << 20;

class GzFile {
public:
  explicit GzFile(const std::string& path) : m_path(path), m_file(gzopen(path.c_str(), "rb")) {
    if (m_file == nullptr) {
      throw IoError("cannot open", display_name(path));
    }
  }
  ~GzFile() { gzclose(m_file); }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  void read(void* out, std::size_t n) {
    auto* p = static_cast<char*>(out);
    while (n > 0) {
      const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(n, 1 << 20));
      const int got = gzread(m_file, p, chunk);
      if (got <= 0) {
        int err = 0;
        const char* msg = gzerror(m_file, &err);
        throw DataError(got == 0 ? "file ends early" : std::string("gzip: ") + msg,
                        display_name(m_path));
      }
      p += got;
      n -= static_cast<std::size_t>(got);
    }
  }
  std::uint32_t be32() {
    unsigned char b[4];
    read(b, 4);
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
           b[3];
  }

private:
  std::string m_path;
  gzFile m_file;
};

} // namespace

IdxImages read_idx_images(const std::string& path, std::size_t limit) {
  GzFile f(path);
  const std::uint32_t magic = f.be32();
  if (magic != 0x00000803) {
    throw DataError(fmt::format("magic 0x{:08x} is not an IDX ubyte image file (0x00000803)", magic),
                    display_name(path), "magic");
  }
  IdxImages out;
  out.count = f.be32();
  const std::uint32_t rows = f.be32();
  const std::uint32_t cols = f.be32();
  if (rows == 0 || cols == 0 || rows > 4096 || cols > 4096) {
    throw DataError(fmt::format("image size {}x{} is out of range", rows, cols), display_name(path),
                    "dims");
  }
  out.rows = static_cast<int>(rows);
  out.cols = static_cast<int>(cols);
  if (limit != 0) {
    out.count = std::min(out.count, limit);
  }
  const std::uint64_t bytes = std::uint64_t{out.count} * rows * cols;
  if (bytes > kMaxIdxBytes) {
    throw DataError(fmt::format("{} images of {}x{} exceed {} bytes", out.count, rows, cols,
                                kMaxIdxBytes),
                    display_name(path), "dims");
  }
  out.pixels.resize(bytes);
  f.read(out.pixels.data(), out.pixels.size());
  return out;
}

std::vector<int> read_idx_labels(const std::string& path, std::size_t limit) {
  GzFile f(path);
  const std::uint32_t magic = f.be32();
  if (magic != 0x00000801) {
    throw DataError(fmt::format("magic 0x{:08x} is not an IDX ubyte label file (0x00000801)", magic),
                    display_name(path), "magic");
  }
  std::size_t count = f.be32();
  if (limit != 0) {
    count = std::min(count, limit);
  }
  if (count > kMaxIdxBytes) {
    throw DataError("too many labels", display_name(path), "dims");
  }
  std::vector<std::uint8_t> raw(count);
  f.read(raw.data(), raw.size());
  return {raw.begin(), raw.end()};
}

LabelledSet make_labelled_set(const IdxImages& images, const std::vector<int>& labels,
                              const std::vector<int>& shape, const Normalization& norm) {
  if (shape.size() != 4 || shape[0] != 1 || shape[2] != images.rows || shape[3] != images.cols) {
    throw ConfigError(fmt::format("model input shape does not take {}x{} images (need [1,C,{},{}])",
                                  images.rows, images.cols, images.rows, images.cols),
                      {}, "input");
  }
  const int channels = shape[1];
  auto per_channel = [channels](const std::vector<double>& v, const char* what) {
    if (v.size() != 1 && v.size() != static_cast<std::size_t>(channels)) {
      throw ConfigError(fmt::format("{} has {} values; the model has {} channels", what, v.size(),
                                    channels),
                        {}, what);
    }
    return [&v](int c) { return v.size() == 1 ? v[0] : v[static_cast<std::size_t>(c)]; };
  };
  const auto mean = per_channel(norm.mean, "mean");
  const auto sd = per_channel(norm.std, "std");
  for (int c = 0; c < channels; ++c) {
    if (!(sd(c) > 0)) {
      throw ConfigError("std must be > 0", {}, "std");
    }
  }
  if (labels.size() != images.count) {
    throw DataError(fmt::format("{} images but {} labels", images.count, labels.size()));
  }
  LabelledSet set;
  set.labels = labels;
  const std::size_t plane = static_cast<std::size_t>(images.rows) * static_cast<std::size_t>(images.cols);
  for (std::size_t i = 0; i < images.count; ++i) {
    cv::Mat blob(4, shape.data(), CV_32F);
    float* out = blob.ptr<float>();
    const std::uint8_t* px = images.pixels.data() + i * plane;
    for (int c = 0; c < channels; ++c) {
      for (std::size_t k = 0; k < plane; ++k) {
        out[static_cast<std::size_t>(c) * plane + k] =
            static_cast<float>((px[k] * norm.scale - mean(c)) / sd(c));
      }
    }
    set.images.push_back(blob);
  }
  return set;
}

} // namespace edgent::eval
