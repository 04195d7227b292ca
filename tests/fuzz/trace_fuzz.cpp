// libFuzzer target: see tests/support/trace_fuzz_check.hpp (built with clang only; `make fuzz`).
#include "support/trace_fuzz_check.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  edgent::fuzz::check_trace_text(
      std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
