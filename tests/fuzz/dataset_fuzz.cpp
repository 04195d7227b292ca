// libFuzzer target: see tests/support/dataset_fuzz_check.hpp (built with clang only; `make fuzz`).
#include "support/dataset_fuzz_check.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  edgent::fuzz::check_dataset_bytes(
      std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
