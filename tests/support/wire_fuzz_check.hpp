#pragma once

// The property both the libFuzzer target and the regular ctest check on arbitrary bytes:
// decoding yields a tensor consistent with its header or an edgent::Error, never a crash,
// a hang or an allocation beyond what the dims bound.

#include "core/error.hpp"
#include "net/tensor_wire.hpp"

#include <cstdlib>
#include <string_view>

namespace edgent::fuzz {

/// Decodes @p bytes both ways (whole message; header then payload). Returns true when the
/// message was accepted. Aborts when an accepted tensor contradicts its header.
inline bool check_wire_bytes(std::string_view bytes) {
  bool accepted = false;
  try {
    const net::WireTensor t = net::decode_tensor(bytes);
    std::uint64_t n = 1;
    for (const auto d : t.dims) {
      n *= d;
    }
    if (t.dims.empty() || n != t.values.size() || n > net::kMaxElements) {
      std::abort();
    }
    accepted = true;
  } catch (const Error&) {
  }
  try {
    const net::WireHeader h = net::decode_header(bytes);
    if (h.payload_bytes > net::max_payload_bytes(h)) {
      std::abort();
    }
    const std::string_view rest = bytes.substr(net::kHeaderBytes);
    const net::WireTensor t = net::decode_payload(h, rest);
    if (t.values.size() != h.elements() || !accepted) {
      std::abort();  // the split path accepted what the whole-message path refused
    }
  } catch (const Error&) {
  }
  return accepted;
}

} // namespace edgent::fuzz
