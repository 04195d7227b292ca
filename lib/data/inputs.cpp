#include "data/inputs.hpp"

#include "core/error.hpp"
#include "core/file_io.hpp"

#include <fmt/format.h>
// lib/CMakeLists.txt defines EDGENT_HAVE_IMGCODECS=0 when OpenCV's imgcodecs is missing.
#ifndef EDGENT_HAVE_IMGCODECS
#define EDGENT_HAVE_IMGCODECS 1
#endif
#if EDGENT_HAVE_IMGCODECS
#include <opencv2/imgcodecs.hpp>
#endif
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <span>
#include <sstream>

namespace edgent::data {

std::size_t input_range_end(const InputRange& range, std::size_t available, const std::string& what) {
  if (range.offset >= available) {
    throw DataError(fmt::format("--offset {} is past the {} inputs", range.offset, available), what);
  }
  const std::size_t left = available - range.offset;
  return range.offset + (range.count > 0 ? std::min(range.count, left) : left);
}

Inputs load_dataset_inputs(const std::string& dir, const std::vector<int>& shape,
                           const Normalization& norm, const InputRange& range) {
  const std::size_t limit = range.count > 0 ? range.offset + range.count : 0;
  const Dataset ds = load_fashion_mnist(dir, Split::test, limit);
  if (ds.channels != shape[1] || ds.height != shape[2] || ds.width != shape[3]) {
    throw ConfigError(fmt::format("the data set's images are {}x{}x{}, the model takes {}x{}x{}",
                                  ds.channels, ds.height, ds.width, shape[1], shape[2], shape[3]),
                      dir, "input.shape");
  }
  Inputs in;
  const std::size_t end = input_range_end(range, ds.size(), dir);
  for (std::size_t i = range.offset; i < end; ++i) {
    cv::Mat blob(static_cast<int>(shape.size()), shape.data(), CV_32F);
    to_float(ds, norm, i, 1, std::span<float>(blob.ptr<float>(), ds.image_values()));
    in.blobs.push_back(blob);
    in.labels.push_back(ds.labels[i]);
  }
  return in;
}

std::vector<std::string> image_paths(const std::string& where) {
  namespace fs = std::filesystem;
  std::vector<std::string> paths;
  std::error_code ec;
  if (fs::is_directory(where, ec)) {
    static const std::vector<std::string> exts{".png", ".jpg", ".jpeg", ".bmp", ".pgm",
                                               ".ppm", ".pnm", ".tif", ".tiff", ".webp"};
    for (const auto& entry : fs::directory_iterator(where, ec)) {
      std::string ext = entry.path().extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (entry.is_regular_file() && std::find(exts.begin(), exts.end(), ext) != exts.end()) {
        paths.push_back(entry.path().string());
      }
    }
    std::sort(paths.begin(), paths.end());
    if (paths.empty()) {
      throw DataError("the directory holds no image files", where);
    }
    return paths;
  }
  // A list: one path per line, relative to the list's directory; blank lines and # skipped.
  const std::string text = read_file(where);
  const fs::path base = where == "-" ? fs::path(".") : fs::path(where).parent_path();
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) {
      line.pop_back();
    }
    if (line.empty() || line[0] == '#') {
      continue;
    }
    const fs::path p(line);
    paths.push_back(p.is_absolute() ? p.string() : (base / p).string());
  }
  if (paths.empty()) {
    throw DataError("the image list names no files", display_name(where));
  }
  return paths;
}

Inputs load_image_inputs(const std::string& where, const std::vector<int>& shape,
                         const Normalization& norm, const InputRange& range,
                         const std::string& shape_file) {
  const int c = shape[1];
  if (c != 1 && c != 3) {
    throw ConfigError(fmt::format("images need a model input of 1 or 3 channels, not {}", c),
                      shape_file, "input.shape");
  }
#if !EDGENT_HAVE_IMGCODECS
  // Built without OpenCV's imgcodecs (the multiarch cross-build): say so before any file is read.
  throw ConfigError("this build cannot read image files (built without OpenCV imgcodecs); "
                    "pass --data or --tensors instead", display_name(where));
#endif
  const auto paths = image_paths(where);
  Inputs in;
  const std::size_t end = input_range_end(range, paths.size(), where);
  for (std::size_t i = range.offset; i < end; ++i) {
#if EDGENT_HAVE_IMGCODECS
    cv::Mat img = cv::imread(paths[i], c == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
#else
    cv::Mat img;
#endif
    if (img.empty()) {
      throw DataError("not an image OpenCV can read", paths[i]);
    }
    if (c == 3) {
      cv::cvtColor(img, img, cv::COLOR_BGR2RGB);
    }
    cv::resize(img, img, cv::Size(shape[3], shape[2]), 0, 0, cv::INTER_AREA);
    cv::Mat blob(static_cast<int>(shape.size()), shape.data(), CV_32F);
    float* out = blob.ptr<float>();
    const std::size_t plane = static_cast<std::size_t>(shape[2]) * shape[3];
    for (int y = 0; y < shape[2]; ++y) {
      const std::uint8_t* row = img.ptr<std::uint8_t>(y);
      for (int x = 0; x < shape[3]; ++x) {
        for (int ch = 0; ch < c; ++ch) {
          const double px = row[x * c + ch];
          out[ch * plane + static_cast<std::size_t>(y) * shape[3] + x] = static_cast<float>(
              (px * norm.scale - norm.mean[ch]) / norm.std[ch]);
        }
      }
    }
    in.blobs.push_back(blob);
    in.labels.push_back(-1);
  }
  return in;
}

Inputs load_tensor_inputs(const std::string& path, const std::vector<int>& shape,
                          const InputRange& range) {
  std::size_t values = 1;
  for (const int d : shape) {
    values *= static_cast<std::size_t>(d);
  }
  const std::string bytes = read_file(path);
  const std::size_t each = values * sizeof(float);
  if (bytes.empty() || bytes.size() % each != 0) {
    throw DataError(fmt::format("{} bytes is not a whole number of {}-byte float32 tensors",
                                bytes.size(), each),
                    display_name(path));
  }
  Inputs in;
  const std::size_t end = input_range_end(range, bytes.size() / each, display_name(path));
  for (std::size_t i = range.offset; i < end; ++i) {
    cv::Mat blob(static_cast<int>(shape.size()), shape.data(), CV_32F);
    std::memcpy(blob.ptr<float>(), bytes.data() + i * each, each); // little-endian host
    if (!cv::checkRange(blob)) {
      throw DataError(fmt::format("tensor {} holds a non-finite value", i), display_name(path));
    }
    in.blobs.push_back(blob);
    in.labels.push_back(-1);
  }
  return in;
}

} // namespace edgent::data
