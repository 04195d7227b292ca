#include "net/tensor_wire.hpp"

#include "core/error.hpp"
#include "net/crc32.hpp"

#include <opencv2/core.hpp>
#include <zstd.h>

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <memory>
#include <limits>

// Message layout (version 1), all integers little-endian:
//
//   offset size  field
//        0    4  magic "EDGT"
//        4    2  version (1)
//        6    2  header size (80)
//        8    8  request id
//       16    2  exit (1-based, 0 = n/a)
//       18    2  cut
//       20    1  dtype (1 = float32)
//       21    1  codec: low 7 bits 0 fp32, 1 fp16, 2 int8; bit 7 = zstd-compressed
//       22    1  ndim (1..8)
//       23    1  reserved (0)
//       24   32  dims: 8 x u32, the first ndim >= 1, the rest 0
//       56    4  int8 scale (float32 bits; 0 for other codecs)
//       60    4  int8 zero point (i32 in [-128, 127]; 0 for other codecs)
//       64    8  payload length in bytes
//       72    4  crc32 of the payload
//       76    4  crc32 of header bytes 0..75
//       80       payload: the values in the codec's element type, row-major, maybe one zstd frame

namespace edgent::net {

static_assert(std::endian::native == std::endian::little, "the wire codecs assume a little-endian host");

namespace {

constexpr std::size_t kOffVersion = 4;
constexpr std::size_t kOffHeaderSize = 6;
constexpr std::size_t kOffRequest = 8;
constexpr std::size_t kOffExit = 16;
constexpr std::size_t kOffCut = 18;
constexpr std::size_t kOffDtype = 20;
constexpr std::size_t kOffCodec = 21;
constexpr std::size_t kOffNdim = 22;
constexpr std::size_t kOffReserved = 23;
constexpr std::size_t kOffDims = 24;
constexpr std::size_t kOffScale = 56;
constexpr std::size_t kOffZero = 60;
constexpr std::size_t kOffPayloadLen = 64;
constexpr std::size_t kOffPayloadCrc = 72;
constexpr std::size_t kOffHeaderCrc = 76;
constexpr std::uint8_t kZstdFlag = 0x80;

template <typename T> void put(std::string& out, std::size_t off, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    out[off + i] = static_cast<char>((static_cast<std::uint64_t>(value) >> (8 * i)) & 0xff);
  }
}

template <typename T> T get(std::string_view in, std::size_t off) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[off + i])) << (8 * i);
  }
  return static_cast<T>(v);
}

std::uint32_t crc(std::string_view bytes) { return crc32(bytes); }

std::size_t element_size(Codec c) {
  switch (c) {
  case Codec::fp32:
    return 4;
  case Codec::fp16:
    return 2;
  case Codec::int8:
    return 1;
  }
  return 4;
}

[[noreturn]] void bad(const std::string& key, const std::string& what) {
  throw NetError("tensor message: " + what, {}, key);
}

/// Per-tensor affine int8 parameters covering [min, max] and 0 (so zeros stay exact).
void int8_params(std::span<const float> values, float& scale, std::int32_t& zero) {
  float lo = 0;
  float hi = 0;
  for (const float v : values) {
    if (!std::isfinite(v)) {
      throw DataError("int8 codec: tensor holds a non-finite value", {}, "values");
    }
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  const double range = static_cast<double>(hi) - static_cast<double>(lo);
  const double s = range / 255.0;
  if (!(s > 0) || !std::isfinite(static_cast<float>(s)) || static_cast<float>(s) <= 0) {
    scale = 1;
    zero = 0;
    return;
  }
  scale = static_cast<float>(s);
  const double z = std::round(-128.0 - static_cast<double>(lo) / scale);
  zero = static_cast<std::int32_t>(std::clamp(z, -128.0, 127.0));
}

} // namespace

std::string codec_name(CodecSpec codec) {
  std::string name = codec.base == Codec::fp32 ? "fp32" : codec.base == Codec::fp16 ? "fp16" : "int8";
  return codec.zstd ? name + "+zstd" : name;
}

CodecSpec parse_codec(std::string_view name) {
  for (const CodecSpec c : all_codecs()) {
    if (codec_name(c) == name) {
      return c;
    }
  }
  throw ConfigError(fmt::format("unknown codec '{}' (fp32, fp16, int8, each optionally +zstd)",
                                name),
                    {}, "codec");
}

std::vector<CodecSpec> all_codecs() {
  return {{Codec::fp32, false}, {Codec::fp16, false}, {Codec::int8, false},
          {Codec::fp32, true},  {Codec::fp16, true},  {Codec::int8, true}};
}

bool is_lossless(CodecSpec codec) { return codec.base == Codec::fp32; }

std::uint64_t WireHeader::elements() const {
  std::uint64_t n = 1;
  for (const std::uint32_t d : dims) {
    n *= d;  // dims are checked: at most 8 values, product bounded before this is trusted
  }
  return n;
}

std::string encode_tensor(const WireTensor& tensor, CodecSpec codec, int zstd_level) {
  return encode_tensor(WireView{tensor.request_id, tensor.exit, tensor.cut, tensor.dims,
                                tensor.values},
                       codec, zstd_level);
}

std::string encode_tensor(const WireView& tensor, CodecSpec codec, int zstd_level) {
  if (tensor.dims.empty() || tensor.dims.size() > kMaxDims) {
    throw DataError(fmt::format("tensor has {} dims (1..{} supported)", tensor.dims.size(),
                                kMaxDims),
                    {}, "dims");
  }
  std::uint64_t n = 1;
  for (const std::uint32_t d : tensor.dims) {
    if (d == 0) {
      throw DataError("tensor has a zero dimension", {}, "dims");
    }
    n *= d;
    if (n > kMaxElements) {
      throw DataError(fmt::format("tensor has more than {} elements", kMaxElements), {}, "dims");
    }
  }
  if (n != tensor.values.size()) {
    throw DataError(fmt::format("dims hold {} elements but the tensor has {} values", n,
                                tensor.values.size()),
                    {}, "values");
  }
  const std::span<const float> values = tensor.values;
  float scale = 0;
  std::int32_t zero = 0;
  // Without zstd the values go straight to their place after the header: one pass over them.
  const std::size_t raw_size = n * element_size(codec.base);
  std::string out;
  std::string raw;
  char* dest = nullptr;
  if (codec.zstd) {
    raw.resize(raw_size);
    dest = raw.data();
  } else {
    out.resize(kHeaderBytes + raw_size);
    dest = out.data() + kHeaderBytes;
  }
  switch (codec.base) {
  case Codec::fp32:
    std::memcpy(dest, values.data(), raw_size);
    break;
  case Codec::fp16: {
    // OpenCV's conversion uses the CPU's F16C instructions where present (round to nearest).
    const cv::Mat src(1, static_cast<int>(n), CV_32F, const_cast<float*>(values.data()));
    cv::Mat dst(1, static_cast<int>(n), CV_16F, dest);
    src.convertTo(dst, CV_16F);
    break;
  }
  case Codec::int8: {
    int8_params(values, scale, zero);
    const double inv = 1.0 / static_cast<double>(scale);
    if (inv < 1e30) {
      // q = saturate(round(x / scale + zero)), vectorised by OpenCV.
      const cv::Mat src(1, static_cast<int>(n), CV_32F, const_cast<float*>(values.data()));
      cv::Mat dst(1, static_cast<int>(n), CV_8S, dest);
      src.convertTo(dst, CV_8S, inv, zero);
    } else {
      // Tiny ranges: 1/scale would overflow float.
      for (std::size_t i = 0; i < n; ++i) {
        const double q = std::nearbyint(static_cast<double>(values[i]) * inv) + zero;
        dest[i] = static_cast<char>(static_cast<std::int8_t>(std::clamp(q, -128.0, 127.0)));
      }
    }
    break;
  }
  }
  if (codec.zstd) {
    // One compression context per thread: making one per call costs more than compressing
    // a small tensor (about 40 µs against 4 µs for a 784-byte payload after an idle spell).
    thread_local const std::unique_ptr<ZSTD_CCtx, std::size_t (*)(ZSTD_CCtx*)> cctx(
        ZSTD_createCCtx(), &ZSTD_freeCCtx);
    if (!cctx) {
      throw DataError("zstd: cannot allocate a compression context", {}, "payload");
    }
    out.resize(kHeaderBytes + ZSTD_compressBound(raw.size()));
    const std::size_t got = ZSTD_compressCCtx(cctx.get(), out.data() + kHeaderBytes,
                                              out.size() - kHeaderBytes, raw.data(), raw.size(),
                                              zstd_level);
    if (ZSTD_isError(got) != 0) {
      throw DataError(std::string("zstd: ") + ZSTD_getErrorName(got), {}, "payload");
    }
    out.resize(kHeaderBytes + got);
  }
  const std::string_view payload = std::string_view(out).substr(kHeaderBytes);

  std::memcpy(out.data(), kWireMagic, 4);
  put<std::uint16_t>(out, kOffVersion, kWireVersion);
  put<std::uint16_t>(out, kOffHeaderSize, kHeaderBytes);
  put<std::uint64_t>(out, kOffRequest, tensor.request_id);
  put<std::uint16_t>(out, kOffExit, tensor.exit);
  put<std::uint16_t>(out, kOffCut, tensor.cut);
  put<std::uint8_t>(out, kOffDtype, static_cast<std::uint8_t>(DType::float32));
  put<std::uint8_t>(out, kOffCodec,
                    static_cast<std::uint8_t>(static_cast<std::uint8_t>(codec.base) |
                                              (codec.zstd ? kZstdFlag : 0)));
  put<std::uint8_t>(out, kOffNdim, static_cast<std::uint8_t>(tensor.dims.size()));
  put<std::uint8_t>(out, kOffReserved, 0);
  for (std::size_t i = 0; i < kMaxDims; ++i) {
    put<std::uint32_t>(out, kOffDims + 4 * i, i < tensor.dims.size() ? tensor.dims[i] : 0);
  }
  put<std::uint32_t>(out, kOffScale, std::bit_cast<std::uint32_t>(scale));
  put<std::uint32_t>(out, kOffZero, static_cast<std::uint32_t>(zero));
  put<std::uint64_t>(out, kOffPayloadLen, payload.size());
  put<std::uint32_t>(out, kOffPayloadCrc, crc(payload));
  put<std::uint32_t>(out, kOffHeaderCrc, crc(std::string_view(out).substr(0, kOffHeaderCrc)));
  return out;
}

WireHeader decode_header(std::string_view in) {
  if (in.size() < kHeaderBytes) {
    bad("header", fmt::format("truncated header ({} of {} bytes)", in.size(), kHeaderBytes));
  }
  in = in.substr(0, kHeaderBytes);
  if (std::memcmp(in.data(), kWireMagic, 4) != 0) {
    bad("magic", "bad magic (not an edgent tensor message)");
  }
  const auto version = get<std::uint16_t>(in, kOffVersion);
  if (version != kWireVersion) {
    bad("version", fmt::format("unsupported version {} (this build reads {})", version,
                               kWireVersion));
  }
  if (get<std::uint16_t>(in, kOffHeaderSize) != kHeaderBytes) {
    bad("header_size", fmt::format("header size {} is not {}",
                                   get<std::uint16_t>(in, kOffHeaderSize), kHeaderBytes));
  }
  if (get<std::uint32_t>(in, kOffHeaderCrc) != crc(in.substr(0, kOffHeaderCrc))) {
    bad("header_crc", "header checksum mismatch");
  }
  WireHeader h;
  h.request_id = get<std::uint64_t>(in, kOffRequest);
  h.exit = get<std::uint16_t>(in, kOffExit);
  h.cut = get<std::uint16_t>(in, kOffCut);
  const auto dtype = get<std::uint8_t>(in, kOffDtype);
  if (dtype != static_cast<std::uint8_t>(DType::float32)) {
    bad("dtype", fmt::format("unsupported dtype {}", dtype));
  }
  const auto codec = get<std::uint8_t>(in, kOffCodec);
  const std::uint8_t base = codec & static_cast<std::uint8_t>(~kZstdFlag);
  if (base > static_cast<std::uint8_t>(Codec::int8)) {
    bad("codec", fmt::format("unknown codec {}", base));
  }
  h.codec = {static_cast<Codec>(base), (codec & kZstdFlag) != 0};
  if (get<std::uint8_t>(in, kOffReserved) != 0) {
    bad("reserved", "reserved byte is not 0");
  }
  const auto ndim = get<std::uint8_t>(in, kOffNdim);
  if (ndim == 0 || ndim > kMaxDims) {
    bad("ndim", fmt::format("ndim {} is not in 1..{}", ndim, kMaxDims));
  }
  std::uint64_t n = 1;
  for (std::size_t i = 0; i < kMaxDims; ++i) {
    const auto d = get<std::uint32_t>(in, kOffDims + 4 * i);
    if (i < ndim) {
      if (d == 0) {
        bad(fmt::format("dims[{}]", i), "dimension is 0");
      }
      n *= d;  // <= 2^26 * 2^32 before the check below: no overflow
      if (n > kMaxElements) {
        bad("dims", fmt::format("more than {} elements", kMaxElements));
      }
      h.dims.push_back(d);
    } else if (d != 0) {
      bad(fmt::format("dims[{}]", i), "unused dimension is not 0");
    }
  }
  h.scale = std::bit_cast<float>(get<std::uint32_t>(in, kOffScale));
  h.zero_point = get<std::int32_t>(in, kOffZero);
  if (h.codec.base == Codec::int8) {
    if (!std::isfinite(h.scale) || !(h.scale > 0)) {
      bad("scale", "int8 scale is not a positive finite number");
    }
    if (h.zero_point < -128 || h.zero_point > 127) {
      bad("zero_point", fmt::format("int8 zero point {} is not in [-128, 127]", h.zero_point));
    }
  } else if (get<std::uint32_t>(in, kOffScale) != 0 || h.zero_point != 0) {
    bad("scale", "scale and zero point must be 0 for a non-int8 codec");
  }
  h.payload_bytes = get<std::uint64_t>(in, kOffPayloadLen);
  h.payload_crc = get<std::uint32_t>(in, kOffPayloadCrc);
  const std::uint64_t raw = n * element_size(h.codec.base);
  if (!h.codec.zstd && h.payload_bytes != raw) {
    bad("payload_length", fmt::format("payload of {} bytes, dims and codec need {}",
                                      h.payload_bytes, raw));
  }
  if (h.codec.zstd && (h.payload_bytes == 0 || h.payload_bytes > max_payload_bytes(h))) {
    bad("payload_length", fmt::format("compressed payload of {} bytes is impossible for {} "
                                      "raw bytes",
                                      h.payload_bytes, raw));
  }
  return h;
}

std::uint64_t max_payload_bytes(const WireHeader& header) {
  const std::uint64_t raw = header.elements() * element_size(header.codec.base);
  return header.codec.zstd ? ZSTD_compressBound(raw) : raw;
}

WireTensor decode_payload(const WireHeader& h, std::string_view payload) {
  if (payload.size() != h.payload_bytes) {
    bad("payload_length", fmt::format("payload has {} bytes, header says {}", payload.size(),
                                      h.payload_bytes));
  }
  if (crc(payload) != h.payload_crc) {
    bad("payload_crc", "payload checksum mismatch");
  }
  const std::uint64_t n = h.elements();
  const std::uint64_t raw_size = n * element_size(h.codec.base);
  std::string decompressed;
  std::string_view raw = payload;
  if (h.codec.zstd) {
    const unsigned long long content = ZSTD_getFrameContentSize(payload.data(), payload.size());
    if (content == ZSTD_CONTENTSIZE_ERROR || content == ZSTD_CONTENTSIZE_UNKNOWN) {
      bad("payload", "not a zstd frame with a declared content size");
    }
    if (content != raw_size) {
      bad("payload", fmt::format("zstd frame holds {} bytes, dims and codec need {}", content,
                                 raw_size));
    }
    const std::size_t frame = ZSTD_findFrameCompressedSize(payload.data(), payload.size());
    if (ZSTD_isError(frame) != 0 || frame != payload.size()) {
      bad("payload", "bytes after the zstd frame or a truncated frame");
    }
    decompressed.resize(raw_size);
    const std::size_t got =
        ZSTD_decompress(decompressed.data(), decompressed.size(), payload.data(), payload.size());
    if (ZSTD_isError(got) != 0 || got != raw_size) {
      bad("payload", std::string("zstd: ") +
                         (ZSTD_isError(got) != 0 ? ZSTD_getErrorName(got) : "short frame"));
    }
    raw = decompressed;
  }
  WireTensor t;
  t.request_id = h.request_id;
  t.exit = h.exit;
  t.cut = h.cut;
  t.dims = h.dims;
  t.values.resize(n);
  switch (h.codec.base) {
  case Codec::fp32:
    std::memcpy(t.values.data(), raw.data(), raw_size);
    break;
  case Codec::fp16: {
    const cv::Mat src(1, static_cast<int>(n), CV_16F, const_cast<char*>(raw.data()));
    cv::Mat dst(1, static_cast<int>(n), CV_32F, t.values.data());
    src.convertTo(dst, CV_32F);
    break;
  }
  case Codec::int8:
    for (std::size_t i = 0; i < n; ++i) {
      const auto q = static_cast<std::int8_t>(raw[i]);
      t.values[i] = static_cast<float>(q - h.zero_point) * h.scale;
    }
    break;
  }
  return t;
}

WireTensor decode_tensor(std::string_view message) {
  const WireHeader h = decode_header(message);
  const std::string_view rest = message.substr(kHeaderBytes);
  if (rest.size() < h.payload_bytes) {
    bad("payload_length", fmt::format("message truncated: {} payload bytes of {}", rest.size(),
                                      h.payload_bytes));
  }
  if (rest.size() > h.payload_bytes) {
    bad("payload_length", fmt::format("{} trailing bytes after the payload",
                                      rest.size() - h.payload_bytes));
  }
  return decode_payload(h, rest);
}

} // namespace edgent::net
