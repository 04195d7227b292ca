#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

/// The binary tensor message device and edge exchange (layout in tensor_wire.cpp and
/// lib/schema/ARTIFACTS.md): a fixed 80-byte little-endian header, then the payload.
namespace edgent::net {

/// Element type of the tensor the message carries (after decoding).
enum class DType : std::uint8_t { float32 = 1 };

/// How the values travel: as float32, float16, or int8 with a per-tensor affine map.
/// Per element: fp32 is exact; fp16 rounds to nearest (relative error <= 2^-11 for
/// |x| >= 2^-14, values beyond 65504 become infinite); int8 maps [min(x,0), max(x,0)] onto
/// 256 levels (absolute error <= scale/2, zeros exact). At a model's exit, after the tail
/// runs on the decoded tensor, the differential test bounds max |split - whole| by 1e-5
/// (fp32), 0.5% (fp16) and 5% (int8) of max |whole| (tests/model/split_wire_test.cpp).
enum class Codec : std::uint8_t { fp32 = 0, fp16 = 1, int8 = 2 };

/// A codec and whether its bytes are zstd-compressed ("int8+zstd").
struct CodecSpec {
  Codec base = Codec::fp32;
  bool zstd = false;
  bool operator==(const CodecSpec&) const = default;
};

/// "fp32", "fp16", "int8", each optionally with "+zstd".
std::string codec_name(CodecSpec codec);
/// Parses a codec name; throws ConfigError (key "codec") for anything else.
CodecSpec parse_codec(std::string_view name);
/// All six codecs: fp32, fp16, int8, then each with +zstd.
std::vector<CodecSpec> all_codecs();
/// Whether decode(encode(x)) == x bit for bit (fp32 with or without zstd).
bool is_lossless(CodecSpec codec);

inline constexpr char kWireMagic[4] = {'E', 'D', 'G', 'T'};
inline constexpr std::uint16_t kWireVersion = 1;
inline constexpr std::size_t kHeaderBytes = 80;
inline constexpr std::size_t kMaxDims = 8;
/// Largest tensor a message may carry: 64 Mi elements (256 MiB as float32).
inline constexpr std::uint64_t kMaxElements = std::uint64_t{64} << 20;

/// The decoded fixed header.
struct WireHeader {
  std::uint64_t request_id = 0;
  std::uint16_t exit = 0;             ///< 1-based exit (0 when not applicable)
  std::uint16_t cut = 0;              ///< cut the tensor was taken at
  DType dtype = DType::float32;
  CodecSpec codec;
  std::vector<std::uint32_t> dims;    ///< 1..8 dims, each >= 1
  float scale = 0;                    ///< int8 only: x = (q - zero_point) * scale; else 0
  std::int32_t zero_point = 0;        ///< int8 only, in [-128, 127]; else 0
  std::uint64_t payload_bytes = 0;    ///< bytes following the header
  std::uint32_t payload_crc = 0;      ///< zlib crc32 of the payload

  /// Product of dims.
  std::uint64_t elements() const;
};

/// A tensor with its routing fields, as encoded or decoded.
struct WireTensor {
  std::uint64_t request_id = 0;
  std::uint16_t exit = 0;
  std::uint16_t cut = 0;
  std::vector<std::uint32_t> dims;
  std::vector<float> values;          ///< row-major, product(dims) values
};

/// A tensor's routing fields, dims and values held elsewhere: what encode_tensor() reads (a
/// blob's own memory, without copying it into a WireTensor first).
struct WireView {
  std::uint64_t request_id = 0;
  std::uint16_t exit = 0;
  std::uint16_t cut = 0;
  std::span<const std::uint32_t> dims;
  std::span<const float> values;      ///< row-major, product(dims) values
};

/// Encodes @p tensor with @p codec (zstd at @p zstd_level): the header, then the values written
/// straight into the message (one pass over them without zstd). Throws DataError for dims that
/// are empty, too many, zero, or do not match the values, more than kMaxElements values, or
/// (int8) non-finite values.
std::string encode_tensor(const WireView& tensor, CodecSpec codec, int zstd_level = 1);
/// The same for a WireTensor.
std::string encode_tensor(const WireTensor& tensor, CodecSpec codec, int zstd_level = 1);

/// Parses and checks a header from exactly kHeaderBytes bytes: magic, version, header crc,
/// dtype, codec, ndim, dims, element bound, int8 parameters and a payload length the codec
/// can produce. Throws NetError with the field as key.
WireHeader decode_header(std::string_view header);

/// Largest payload a valid message with this header's dims and codec can have (so a reader
/// knows how many bytes it may accept before reading them).
std::uint64_t max_payload_bytes(const WireHeader& header);

/// Decodes the payload of a checked header: crc, exact length, zstd frame size checked
/// before any allocation. Throws NetError.
WireTensor decode_payload(const WireHeader& header, std::string_view payload);

/// Decodes a whole message (header + payload, nothing after). Any byte string yields a
/// tensor or a NetError; never a crash or an allocation beyond what the dims bound.
WireTensor decode_tensor(std::string_view message);

} // namespace edgent::net
