#pragma once

// The property the dataset libFuzzer target and the gcc suite check on arbitrary bytes: the
// IDX image and label readers (gzip or plain) and the CIFAR-10 batch reader yield data
// consistent with their header or an edgent::Error, never a crash or an allocation beyond
// about twice the data.

#include "core/error.hpp"
#include "data/dataset.hpp"

#include <cstdlib>
#include <string>
#include <string_view>

namespace edgent::fuzz {

/// The first byte picks the reader (% 3: IDX images, IDX labels, CIFAR-10) and the limit
/// ((byte / 3) % 4 images, 0 = all); the rest is the file's bytes. Returns true when the
/// reader accepted them. Aborts when accepted data contradicts itself.
inline bool check_dataset_bytes(std::string_view input) {
  if (input.empty()) {
    return false;
  }
  const auto selector = static_cast<unsigned char>(input[0]);
  const std::size_t limit = (selector / 3u) % 4u;
  const std::string_view bytes = input.substr(1);
  const std::string file = "fuzz.bin";
  try {
    switch (selector % 3u) {
    case 0: {
      const data::Dataset d = data::parse_idx_images(bytes, file, limit);
      if (d.channels != 1 || d.height <= 0 || d.width <= 0 || d.size() == 0 ||
          d.pixels.size() != d.size() * d.image_values() || (limit != 0 && d.size() > limit)) {
        std::abort();
      }
      break;
    }
    case 1: {
      const auto labels = data::parse_idx_labels(bytes, file, limit);
      if (labels.empty() || (limit != 0 && labels.size() > limit)) {
        std::abort();
      }
      for (const auto l : labels) {
        if (l >= 10) {
          std::abort();
        }
      }
      break;
    }
    default: {
      const data::Dataset d = data::parse_cifar10_batch(bytes, file, limit);
      if (d.size() == 0 || d.pixels.size() != d.size() * d.image_values() ||
          d.image_values() != 3 * 32 * 32 || (limit != 0 && d.size() > limit)) {
        std::abort();
      }
      for (const auto l : d.labels) {
        if (l >= d.classes.size()) {
          std::abort();
        }
      }
      break;
    }
    }
    return true;
  } catch (const Error&) {
    return false;
  }
}

} // namespace edgent::fuzz
