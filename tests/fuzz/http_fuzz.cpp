// libFuzzer target for the edge's HTTP request path: the bytes go over loopback to the real
// HttpServer (Beast's parser, the routes, the token check, the memory bound) and the real
// EdgeHandler (built with clang only; `make fuzz-smoke`).
#include "support/http_fuzz_check.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  edgent::fuzz::check_http_bytes(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
