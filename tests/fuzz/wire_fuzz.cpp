// libFuzzer target for the tensor wire decoder (built with clang only; `make fuzz-smoke`).
#include "support/wire_fuzz_check.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  edgent::fuzz::check_wire_bytes(
      std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
