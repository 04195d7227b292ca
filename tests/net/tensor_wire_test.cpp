#include "net/tensor_wire.hpp"

#include "core/error.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <random>

namespace edgent::net {
namespace {

/// A ReLU-like activation: about half zeros, the rest in (0, 4).
WireTensor activation(std::vector<std::uint32_t> dims, std::uint32_t seed) {
  WireTensor t;
  t.request_id = 0x0123456789abcdefULL;
  t.exit = 3;
  t.cut = 7;
  t.dims = std::move(dims);
  std::size_t n = 1;
  for (const auto d : t.dims) {
    n *= d;
  }
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-4.0f, 4.0f);
  t.values.resize(n);
  for (auto& v : t.values) {
    v = std::max(0.0f, dist(rng));
  }
  return t;
}

TEST(TensorWire, CodecNamesRoundTrip) {
  for (const CodecSpec c : all_codecs()) {
    EXPECT_EQ(parse_codec(codec_name(c)), c);
  }
  EXPECT_EQ(codec_name({Codec::int8, true}), "int8+zstd");
  EXPECT_THROW(parse_codec("int4"), ConfigError);
  EXPECT_THROW(parse_codec("zstd+fp32"), ConfigError);
  EXPECT_TRUE(is_lossless({Codec::fp32, true}));
  EXPECT_FALSE(is_lossless({Codec::fp16, false}));
}

TEST(TensorWire, Fp32RoundTripIsExactWithAndWithoutZstd) {
  WireTensor t = activation({1, 8, 5, 5}, 1);
  t.values[3] = -0.0f;
  t.values[4] = std::numeric_limits<float>::denorm_min();
  for (const bool zstd : {false, true}) {
    const std::string msg = encode_tensor(t, {Codec::fp32, zstd});
    const WireTensor back = decode_tensor(msg);
    EXPECT_EQ(back.request_id, t.request_id);
    EXPECT_EQ(back.exit, 3);
    EXPECT_EQ(back.cut, 7);
    EXPECT_EQ(back.dims, t.dims);
    ASSERT_EQ(back.values.size(), t.values.size());
    EXPECT_EQ(std::memcmp(back.values.data(), t.values.data(), 4 * t.values.size()), 0);
  }
}

TEST(TensorWire, LossyCodecsStayWithinTheirBounds) {
  WireTensor t = activation({1, 16, 9, 9}, 2);
  t.values[0] = -1.5f;  // a negative value too
  for (const bool zstd : {false, true}) {
    // fp16: relative error <= 2^-11 for normal halves (|x| >= 2^-14).
    const WireTensor h = decode_tensor(encode_tensor(t, {Codec::fp16, zstd}));
    for (std::size_t i = 0; i < t.values.size(); ++i) {
      EXPECT_LE(std::abs(h.values[i] - t.values[i]), std::abs(t.values[i]) * 0x1p-11f + 0x1p-24f);
    }
    // int8: absolute error <= scale / 2 with scale = (max(x, 0) - min(x, 0)) / 255.
    const WireTensor q = decode_tensor(encode_tensor(t, {Codec::int8, zstd}));
    const float lo = std::min(0.0f, *std::min_element(t.values.begin(), t.values.end()));
    const float hi = std::max(0.0f, *std::max_element(t.values.begin(), t.values.end()));
    const float scale = (hi - lo) / 255.0f;
    double worst = 0;
    for (std::size_t i = 0; i < t.values.size(); ++i) {
      worst = std::max(worst, static_cast<double>(std::abs(q.values[i] - t.values[i])));
      if (t.values[i] == 0.0f) {
        EXPECT_EQ(q.values[i], 0.0f);  // zeros stay exact (ReLU sparsity survives)
      }
    }
    EXPECT_LE(worst, scale * 0.5 * (1 + 1e-4));
    EXPECT_GT(worst, 0.0);  // it really is lossy
  }
}

TEST(TensorWire, Int8HandlesConstantTensors) {
  WireTensor t;
  t.dims = {4};
  t.values = {0, 0, 0, 0};
  EXPECT_EQ(decode_tensor(encode_tensor(t, {Codec::int8, false})).values, t.values);
  t.values = {2.5f, 2.5f, 2.5f, 2.5f};
  const auto back = decode_tensor(encode_tensor(t, {Codec::int8, false})).values;
  for (const float v : back) {
    EXPECT_NEAR(v, 2.5f, 2.5f / 255);
  }
}

TEST(TensorWire, ZstdShrinksSparseActivations) {
  const WireTensor t = activation({1, 64, 14, 14}, 3);
  const auto plain = encode_tensor(t, {Codec::fp32, false}).size();
  const auto packed = encode_tensor(t, {Codec::fp32, true}).size();
  EXPECT_EQ(plain, kHeaderBytes + 4 * t.values.size());
  EXPECT_LT(packed, plain * 3 / 4);
  EXPECT_EQ(encode_tensor(t, {Codec::int8, false}).size(), kHeaderBytes + t.values.size());
}

TEST(TensorWire, EncoderRejectsBadTensors) {
  WireTensor t;
  t.values = {1.0f};
  EXPECT_THROW(encode_tensor(t, {}), DataError);  // no dims
  t.dims = {2};
  EXPECT_THROW(encode_tensor(t, {}), DataError);  // dims do not match values
  t.dims = {1, 0};
  EXPECT_THROW(encode_tensor(t, {}), DataError);
  t.dims = std::vector<std::uint32_t>(9, 1);
  EXPECT_THROW(encode_tensor(t, {}), DataError);
  t.dims = {1};
  t.values = {std::nanf("")};
  EXPECT_THROW(encode_tensor(t, {Codec::int8, false}), DataError);
  EXPECT_NO_THROW(encode_tensor(t, {Codec::fp32, false}));
}

// --- malformed messages ---------------------------------------------------------------

void put32(std::string& m, std::size_t off, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    m[off + static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
  }
}

/// Rewrites the header checksum so that a test reaches the check after it.
void reseal(std::string& m) {
  put32(m, 76, static_cast<std::uint32_t>(crc32_z(0, reinterpret_cast<const Bytef*>(m.data()), 76)));
}

std::string expect_rejected(const std::string& msg, const std::string& key) {
  try {
    decode_tensor(msg);
  } catch (const NetError& e) {
    EXPECT_EQ(e.key(), key) << e.message();
    return e.message();
  }
  ADD_FAILURE() << "accepted a malformed message (expected a complaint about " << key << ")";
  return {};
}

struct Mutation {
  const char* name;
  std::function<void(std::string&)> apply;
  const char* key;
  bool reseal = true;
};

TEST(TensorWire, EveryMalformedHeaderFieldIsRejected) {
  const std::string good = encode_tensor(activation({1, 4, 3, 3}, 4), {Codec::fp32, false});
  const std::string good_q = encode_tensor(activation({1, 4, 3, 3}, 4), {Codec::int8, false});
  const std::string good_z = encode_tensor(activation({1, 4, 3, 3}, 4), {Codec::fp16, true});
  ASSERT_NO_THROW(decode_tensor(good));
  const std::vector<Mutation> mutations = {
      {"magic", [](std::string& m) { m[0] = 'X'; }, "magic"},
      {"version", [](std::string& m) { m[4] = 2; }, "version"},
      {"header size", [](std::string& m) { m[6] = 81; }, "header_size"},
      {"header crc", [](std::string& m) { m[16] ^= 1; }, "header_crc", false},
      {"dtype", [](std::string& m) { m[20] = 2; }, "dtype"},
      {"codec", [](std::string& m) { m[21] = 3; }, "codec"},
      {"codec bits", [](std::string& m) { m[21] = 0x40; }, "codec"},
      {"reserved", [](std::string& m) { m[23] = 1; }, "reserved"},
      {"ndim 0", [](std::string& m) { m[22] = 0; }, "ndim"},
      {"ndim 9", [](std::string& m) { m[22] = 9; }, "ndim"},
      {"zero dim", [](std::string& m) { put32(m, 28, 0); }, "dims[1]"},
      {"unused dim", [](std::string& m) { put32(m, 24 + 4 * 5, 7); }, "dims[5]"},
      {"huge dims", [](std::string& m) { put32(m, 24, 0xffffffffu); put32(m, 28, 0xffffffffu); },
       "dims"},
      {"dims vs payload", [](std::string& m) { put32(m, 24, 2); }, "payload_length"},
      {"scale on fp32", [](std::string& m) { m[56] = 1; }, "scale"},
      {"zero point on fp32", [](std::string& m) { m[60] = 1; }, "scale"},
      {"payload length", [](std::string& m) { m[64] ^= 4; }, "payload_length"},
      {"huge payload length", [](std::string& m) { m[71] = 0x7f; }, "payload_length"},
      {"payload crc", [](std::string& m) { m[72] ^= 1; }, "payload_crc"},
      {"payload byte", [](std::string& m) { m[90] ^= 1; }, "payload_crc", false},
      {"truncated", [](std::string& m) { m.pop_back(); }, "payload_length", false},
      {"trailing", [](std::string& m) { m.push_back('\0'); }, "payload_length", false},
      {"short header", [](std::string& m) { m.resize(40); }, "header", false},
  };
  for (const auto& mut : mutations) {
    std::string m = good;
    mut.apply(m);
    if (mut.reseal) {
      reseal(m);
    }
    SCOPED_TRACE(mut.name);
    expect_rejected(m, mut.key);
  }
  // int8 parameters.
  for (const auto& [name, apply] : std::vector<std::pair<const char*, std::function<void(std::string&)>>>{
           {"nan scale", [](std::string& m) { put32(m, 56, 0x7fc00000u); }},
           {"zero scale", [](std::string& m) { put32(m, 56, 0); }},
           {"negative scale", [](std::string& m) { put32(m, 56, 0xbf800000u); }},
           {"inf scale", [](std::string& m) { put32(m, 56, 0x7f800000u); }}}) {
    std::string m = good_q;
    apply(m);
    reseal(m);
    SCOPED_TRACE(name);
    expect_rejected(m, "scale");
  }
  std::string zp = good_q;
  put32(zp, 60, 200);
  reseal(zp);
  expect_rejected(zp, "zero_point");
  // zstd frame: declares a different content size than the dims need.
  {
    WireTensor small = activation({1, 4, 3, 2}, 4);
    std::string other = encode_tensor(small, {Codec::fp16, true});
    std::string m = good_z.substr(0, kHeaderBytes) + other.substr(kHeaderBytes);
    put32(m, 64, static_cast<std::uint32_t>(other.size() - kHeaderBytes));
    put32(m, 72, static_cast<std::uint32_t>(crc32_z(0, reinterpret_cast<const Bytef*>(m.data() + kHeaderBytes), m.size() - kHeaderBytes)));
    reseal(m);
    expect_rejected(m, "payload");
  }
  // zstd payload that is not a zstd frame.
  {
    std::string m = good_z;
    for (std::size_t i = kHeaderBytes; i < m.size(); ++i) {
      m[i] = 'z';
    }
    put32(m, 72, static_cast<std::uint32_t>(crc32_z(0, reinterpret_cast<const Bytef*>(m.data() + kHeaderBytes), m.size() - kHeaderBytes)));
    reseal(m);
    expect_rejected(m, "payload");
  }
}

TEST(TensorWire, HeaderAndPayloadDecodeSeparately) {
  const WireTensor t = activation({2, 3}, 5);
  const std::string msg = encode_tensor(t, {Codec::int8, true});
  const WireHeader h = decode_header(std::string_view(msg).substr(0, kHeaderBytes));
  EXPECT_EQ(h.dims, t.dims);
  EXPECT_EQ(h.elements(), 6u);
  EXPECT_EQ(h.codec, (CodecSpec{Codec::int8, true}));
  EXPECT_EQ(h.payload_bytes, msg.size() - kHeaderBytes);
  EXPECT_LE(h.payload_bytes, max_payload_bytes(h));
  EXPECT_EQ(decode_payload(h, std::string_view(msg).substr(kHeaderBytes)).values.size(), 6u);
}

} // namespace
} // namespace edgent::net
