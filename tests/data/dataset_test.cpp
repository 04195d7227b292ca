#include "data/dataset.hpp"

#include "core/error.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace edgent::data {
namespace {

namespace fs = std::filesystem;

using edgent::testing::TempDir;

void put_be32(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

std::string idx_images(std::uint32_t n, std::uint32_t rows, std::uint32_t cols) {
  std::string s;
  put_be32(s, 0x00000803);
  put_be32(s, n);
  put_be32(s, rows);
  put_be32(s, cols);
  for (std::uint32_t i = 0; i < n * rows * cols; ++i) {
    s.push_back(static_cast<char>((i * 7) % 256));
  }
  return s;
}

std::string idx_labels(std::uint32_t n) {
  std::string s;
  put_be32(s, 0x00000801);
  put_be32(s, n);
  for (std::uint32_t i = 0; i < n; ++i) {
    s.push_back(static_cast<char>(i % 10));
  }
  return s;
}

void write_plain(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void write_gz(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  gzclose(f);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// Runs @p fn, expecting an error of type E whose message contains every needle.
template <typename E, typename F>
void expect_error(F&& fn, const std::vector<std::string>& needles) {
  try {
    fn();
    FAIL() << "no error thrown";
  } catch (const E& e) {
    for (const auto& n : needles) {
      EXPECT_NE(e.message().find(n), std::string::npos) << e.message() << " lacks " << n;
    }
  }
}

TEST(Idx, ReadsGzippedImagesAndLabels) {
  TempDir dir;
  write_gz(dir.file("img.gz"), idx_images(3, 4, 5));
  write_gz(dir.file("lab.gz"), idx_labels(3));
  const Dataset d = read_idx_images(dir.file("img.gz"));
  EXPECT_EQ(d.channels, 1);
  EXPECT_EQ(d.height, 4);
  EXPECT_EQ(d.width, 5);
  ASSERT_EQ(d.pixels.size(), 60u);
  EXPECT_EQ(d.pixels[21], (21 * 7) % 256);
  const auto labels = read_idx_labels(dir.file("lab.gz"));
  EXPECT_EQ(labels, (std::vector<std::uint8_t>{0, 1, 2}));
}

TEST(Idx, ReadsPlainFilesAndHonoursTheLimit) {
  TempDir dir;
  write_plain(dir.file("img"), idx_images(5, 2, 2));
  const Dataset d = read_idx_images(dir.file("img"), 2);
  EXPECT_EQ(d.size(), 2u);
  EXPECT_EQ(d.pixels.size(), 8u);
}

TEST(Idx, TruncatedFileNamesFileAndOffset) {
  TempDir dir;
  std::string bytes = idx_images(3, 4, 5);
  bytes.resize(16 + 45);  // 15 pixels short
  write_gz(dir.file("img.gz"), bytes);
  expect_error<DataError>([&] { read_idx_images(dir.file("img.gz")); },
                          {dir.file("img.gz"), "truncated at offset 61"});
}

TEST(Idx, BadMagicAndAbsurdDimensionsAreDataErrors) {
  TempDir dir;
  write_gz(dir.file("lab.gz"), idx_labels(3));
  expect_error<DataError>([&] { read_idx_images(dir.file("lab.gz")); }, {"offset 0", "magic"});
  std::string huge;
  put_be32(huge, 0x00000803);
  put_be32(huge, 0xFFFFFFFF);
  put_be32(huge, 0xFFFF);
  put_be32(huge, 0xFFFF);
  write_gz(dir.file("huge.gz"), huge);
  expect_error<DataError>([&] { read_idx_images(dir.file("huge.gz")); }, {"offset 4", "implausible"});
}

TEST(Idx, CorruptGzipStreamIsADataError) {
  TempDir dir;
  write_gz(dir.file("img.gz"), idx_images(50, 28, 28));
  std::string bytes = slurp(dir.file("img.gz"));
  ASSERT_GT(bytes.size(), 200u);
  for (std::size_t i = 40; i < 120; ++i) {
    bytes[i] = static_cast<char>(bytes[i] ^ 0x5a);
  }
  write_plain(dir.file("img.gz"), bytes);
  expect_error<DataError>([&] { read_idx_images(dir.file("img.gz")); }, {dir.file("img.gz"), "offset"});
}

TEST(Idx, LabelOutOfRangeIsADataError) {
  TempDir dir;
  std::string bytes = idx_labels(4);
  bytes[8 + 2] = 12;
  write_gz(dir.file("lab.gz"), bytes);
  expect_error<DataError>([&] { read_idx_labels(dir.file("lab.gz")); }, {"offset 10", "label 12"});
}

TEST(FashionMnist, MissingDirectoryNamesTheDebianPackage) {
  expect_error<IoError>([] { load_fashion_mnist("/nonexistent/fashion", Split::train); },
                        {"/nonexistent/fashion", "dataset-fashion-mnist"});
  TempDir dir;  // exists, but empty
  expect_error<IoError>([&] { load_fashion_mnist(dir.path().string(), Split::test); },
                        {"dataset-fashion-mnist", "t10k"});
}

TEST(FashionMnist, ReadsADirectoryWrittenByTheTest) {
  TempDir dir;
  write_gz(dir.file("t10k-images-idx3-ubyte.gz"), idx_images(12, 28, 28));
  write_gz(dir.file("t10k-labels-idx1-ubyte.gz"), idx_labels(12));
  const Dataset d = load_fashion_mnist(dir.path().string(), Split::test, 10);
  EXPECT_EQ(d.name, "fashion-mnist");
  EXPECT_EQ(d.size(), 10u);
  EXPECT_EQ(d.classes.size(), 10u);
  EXPECT_EQ(d.labels[9], 9);
  // Label and image counts that disagree are an error.
  write_gz(dir.file("t10k-labels-idx1-ubyte.gz"), idx_labels(11));
  expect_error<DataError>([&] { load_fashion_mnist(dir.path().string(), Split::test); },
                          {"11 labels for 12 images"});
}

TEST(FashionMnist, RealPackageWhenInstalled) {
  if (!fs::exists(std::string(kFashionMnistDir) + "/t10k-labels-idx1-ubyte.gz")) {
    GTEST_SKIP() << "dataset-fashion-mnist not installed";
  }
  const Dataset d = load_fashion_mnist(kFashionMnistDir, Split::test, 100);
  EXPECT_EQ(d.size(), 100u);
  EXPECT_EQ(d.height, 28);
  EXPECT_EQ(d.labels[0], 9);  // the first t10k image is an ankle boot
}

std::string cifar_records(int n, int bad_label_at = -1) {
  std::string s;
  for (int i = 0; i < n; ++i) {
    s.push_back(static_cast<char>(i == bad_label_at ? 10 : i % 10));
    for (int c = 0; c < 3; ++c) {
      for (int p = 0; p < 1024; ++p) {
        s.push_back(static_cast<char>((c * 50 + i + p) % 256));
      }
    }
  }
  return s;
}

TEST(Cifar10, ReadsChannelPlanarRecords) {
  TempDir dir;
  write_plain(dir.file("data_batch_1.bin"), cifar_records(3));
  const Dataset d = read_cifar10_batch(dir.file("data_batch_1.bin"));
  EXPECT_EQ(d.size(), 3u);
  EXPECT_EQ(d.channels, 3);
  EXPECT_EQ(d.height, 32);
  EXPECT_EQ(d.labels, (std::vector<std::uint8_t>{0, 1, 2}));
  // Image 2, channel 1, pixel 5.
  EXPECT_EQ(d.image(2)[1024 + 5], (50 + 2 + 5) % 256);
  EXPECT_EQ(d.classes[0], "airplane");
}

TEST(Cifar10, TruncatedRecordAndBadLabelNameTheOffset) {
  TempDir dir;
  std::string bytes = cifar_records(3);
  bytes.resize(bytes.size() - 100);
  write_plain(dir.file("b.bin"), bytes);
  expect_error<DataError>([&] { read_cifar10_batch(dir.file("b.bin")); },
                          {dir.file("b.bin"), "truncated at offset 6146"});
  write_plain(dir.file("c.bin"), cifar_records(3, 1));
  expect_error<DataError>([&] { read_cifar10_batch(dir.file("c.bin")); }, {"offset 3073", "label 10"});
}

TEST(Cifar10, LoadsTrainBatchesOfADirectory) {
  TempDir dir;
  write_plain(dir.file("data_batch_1.bin"), cifar_records(4));
  write_plain(dir.file("data_batch_2.bin"), cifar_records(3));
  write_plain(dir.file("test_batch.bin"), cifar_records(2));
  EXPECT_EQ(load_cifar10(dir.path().string(), Split::train).size(), 7u);
  EXPECT_EQ(load_cifar10(dir.path().string(), Split::train, 5).size(), 5u);
  EXPECT_EQ(load_cifar10(dir.path().string(), Split::test).size(), 2u);
  expect_error<IoError>([] { load_cifar10("/nonexistent/cifar", Split::train); }, {"CIFAR-10"});
  expect_error<ConfigError>([] { load_dataset("mnist", "/x", Split::train); }, {"mnist"});
}

std::string gzip_bytes(const std::string& plain) {
  uLongf size = compressBound(static_cast<uLong>(plain.size())) + 32;
  std::string out(size, '\0');
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  z.avail_in = static_cast<uInt>(plain.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

TEST(IdxBytes, ParsesPlainGzipAndMultiMemberGzipBytes) {
  const std::string img = idx_images(3, 4, 5);
  for (const std::string& bytes :
       {img, gzip_bytes(img), gzip_bytes(img.substr(0, 30)) + gzip_bytes(img.substr(30))}) {
    const Dataset d = parse_idx_images(bytes, "mem");
    ASSERT_EQ(d.pixels.size(), 60u);
    EXPECT_EQ(d.pixels[59], (59 * 7) % 256);
  }
  EXPECT_EQ(parse_idx_labels(gzip_bytes(idx_labels(4)), "mem", 2),
            (std::vector<std::uint8_t>{0, 1}));
  EXPECT_EQ(parse_cifar10_batch(cifar_records(2), "mem").size(), 2u);
}

TEST(IdxBytes, AHeaderClaimingGigabytesFailsAtTheTruncationWithoutAllocatingThem) {
  // 10^7 images of 20 x 20 (4 GB) announced, 10 pixels present: the reader must report the
  // truncation, not first allocate what the header claims.
  std::string bytes;
  put_be32(bytes, 0x00000803);
  put_be32(bytes, 10'000'000);
  put_be32(bytes, 20);
  put_be32(bytes, 20);
  bytes.append(10, '\x01');
  expect_error<DataError>([&] { parse_idx_images(bytes, "mem"); }, {"mem", "truncated at offset 26"});
  expect_error<DataError>([&] { parse_idx_images(gzip_bytes(bytes), "mem.gz"); },
                          {"truncated at offset 26"});
  std::string labels;
  put_be32(labels, 0x00000801);
  put_be32(labels, 10'000'000);
  expect_error<DataError>([&] { parse_idx_labels(labels, "mem"); }, {"truncated at offset 8"});
}

TEST(IdxBytes, TruncatedGzipStreamIsADataError) {
  const std::string gz = gzip_bytes(idx_images(3, 4, 5));
  expect_error<DataError>([&] { parse_idx_images(gz.substr(0, gz.size() / 2), "mem.gz"); },
                          {"mem.gz", "corrupt compressed data", "unexpected end"});
}

TEST(Normalization, ToFloatAppliesScaleMeanAndStd) {
  Dataset d;
  d.channels = 1;
  d.height = 1;
  d.width = 2;
  d.pixels = {0, 255, 51, 102};
  d.labels = {0, 1};
  const Normalization norm{1.0 / 255.0, {0.5}, {0.25}};
  std::vector<float> out(2);
  to_float(d, norm, 1, 1, out);
  EXPECT_NEAR(out[0], (0.2 - 0.5) / 0.25, 1e-6);
  EXPECT_NEAR(out[1], (0.4 - 0.5) / 0.25, 1e-6);
  EXPECT_THROW(to_float(d, norm, 1, 2, out), std::out_of_range);
}

} // namespace
} // namespace edgent::data
