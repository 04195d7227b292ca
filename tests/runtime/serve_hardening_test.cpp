// The real edgent-serve binary against hostile clients on loopback: descriptors run out, zstd
// bombs, bodies and probe replies beyond the memory bound, the token checked on the headers,
// shapes that only have the right element count, non-finite tensors, Expect: 100-continue,
// the bearer scheme in any case, and transfer codings other than chunked. Each test asserts
// behaviour (status codes, what the server holds in memory from /proc, CPU seconds it burns)
// with wide margins, never a latency.
#include "core/file_io.hpp"
#include "model/model_card.hpp"
#include "model/segment_runner.hpp"
#include "net/http_client.hpp"
#include "net/tensor_mat.hpp"
#include "net/tensor_wire.hpp"
#include "support/serve_process.hpp"
#include "support/raw_socket.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <zlib.h>
#include <zstd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

namespace edgent::testing {
namespace {

using namespace std::chrono_literals;
using net::testing::RawSocket;
using Headers = std::vector<std::pair<std::string, std::string>>;

const std::string kCard = std::string(EDGENT_SOURCE_DIR) + "/models/branchy-alexnet-fmnist.json";
constexpr std::size_t kMiB = 1024 * 1024;

/// A field of /proc/<pid>/status in KiB ("VmRSS", "VmHWM").
std::size_t status_kib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::stoul(line.substr(field.size() + 1));
    }
  }
  ADD_FAILURE() << "no " << field << " for process " << pid;
  return 0;
}

/// User plus system CPU seconds process @p pid has used (/proc/<pid>/stat).
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command name, which is in parentheses and may hold spaces.
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::vector<std::string> fields;
  for (std::string f; rest >> f;) {
    fields.push_back(f);
  }
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
  return static_cast<double>(std::stoull(fields.at(11)) + std::stoull(fields.at(12))) /
         static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::size_t open_descriptors(pid_t pid) {
  const std::filesystem::path dir = "/proc/" + std::to_string(pid) + "/fd";
  return static_cast<std::size_t>(
      std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()));
}

/// The status of the first response in @p answer, 0 when there is none.
unsigned first_status(const std::string& answer) {
  if (answer.rfind("HTTP/1.1 ", 0) != 0 || answer.size() < 12) {
    return 0;
  }
  return static_cast<unsigned>(std::stoul(answer.substr(9, 3)));
}

/// How many responses (status lines) @p answer holds.
std::size_t responses_in(const std::string& answer) {
  std::size_t n = 0;
  for (std::size_t at = answer.find("HTTP/1.1 "); at != std::string::npos;
       at = answer.find("HTTP/1.1 ", at + 1)) {
    ++n;
  }
  return n;
}

std::string wire(const cv::Mat& mat, int exit, int cut, net::CodecSpec codec = {}) {
  return net::encode_tensor(
      net::to_wire(mat, 1, static_cast<std::uint16_t>(exit), static_cast<std::uint16_t>(cut)),
      codec);
}

/// A tensor of @p dims holding @p value everywhere, as a wire message at exit 1 cut 0.
std::string wire_dims(const std::vector<int>& dims, float value) {
  const cv::Mat m(static_cast<int>(dims.size()), dims.data(), CV_32F, cv::Scalar(value));
  return wire(m, 1, 0);
}

net::HttpClient client_for(std::uint16_t port, const std::string& token = {}) {
  net::ClientOptions o;
  o.port = port;
  o.token = token;
  o.timeout = 20s;
  return net::HttpClient(o);
}

std::string error_of(const net::HttpResult& r) {
  const auto doc = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  return doc.is_object() && doc.contains("error") ? doc["error"].get<std::string>() : r.body;
}

/// The model's input at exit 1 cut 0, all @p value.
cv::Mat model_input(float value) {
  static const std::vector<int> shape =
      model::SegmentRunner(model::OnnxGraph::from_file(model::resolve_model_onnx(kCard)), 1)
          .cut_shape(1, 0);
  return cv::Mat(static_cast<int>(shape.size()), shape.data(), CV_32F, cv::Scalar(value));
}

/// A good inference request must succeed on a fresh connection.
void expect_served(std::uint16_t port, const std::string& token = {}) {
  auto c = client_for(port, token);
  const auto r = c.post("/v1/infer", wire(model_input(0.2f), 1, 0));
  ASSERT_TRUE(r.ok()) << r.status << " " << r.error << " " << r.body;
  EXPECT_EQ(net::decode_tensor(r.body).exit, 1);
}

void put32(std::string& m, std::size_t off, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    m[off + static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
  }
}

void put64(std::string& m, std::size_t off, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) {
    m[off + static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
  }
}

/// A valid fp32+zstd wire message declaring @p dims, whose few kilobytes of payload
/// decompress to the whole tensor of zeros (compressed in 1 MiB steps, so making it costs
/// this process no more than that).
std::string zstd_bomb(const std::vector<std::uint32_t>& dims) {
  std::uint64_t n = 1;
  for (const auto d : dims) {
    n *= d;
  }
  const std::uint64_t raw = n * 4;
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 19);
  ZSTD_CCtx_setPledgedSrcSize(cctx, raw);  // the frame declares its content size
  const std::string zeros(kMiB, '\0');
  std::string frame;
  std::string out(ZSTD_CStreamOutSize(), '\0');
  for (std::uint64_t done = 0; done < raw;) {
    const std::size_t step = static_cast<std::size_t>(std::min<std::uint64_t>(kMiB, raw - done));
    done += step;
    ZSTD_inBuffer in{zeros.data(), step, 0};
    const ZSTD_EndDirective mode = done == raw ? ZSTD_e_end : ZSTD_e_continue;
    for (;;) {
      ZSTD_outBuffer o{out.data(), out.size(), 0};
      const std::size_t left = ZSTD_compressStream2(cctx, &o, &in, mode);
      frame.append(out.data(), o.pos);
      if (ZSTD_isError(left) != 0) {
        ADD_FAILURE() << ZSTD_getErrorName(left);
        break;
      }
      if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size) {
        break;
      }
    }
  }
  ZSTD_freeCCtx(cctx);
  // The header of a real fp32+zstd message, then its dims, payload length and checksums.
  const cv::Mat one(1, 1, CV_32F, cv::Scalar(0));
  std::string msg = wire(one, 1, 0, net::CodecSpec{net::Codec::fp32, true}).substr(0, net::kHeaderBytes);
  msg[22] = static_cast<char>(dims.size());
  for (std::size_t i = 0; i < net::kMaxDims; ++i) {
    put32(msg, 24 + 4 * i, i < dims.size() ? dims[i] : 0);
  }
  put64(msg, 64, frame.size());
  put32(msg, 72, static_cast<std::uint32_t>(
                     crc32_z(0, reinterpret_cast<const Bytef*>(frame.data()), frame.size())));
  put32(msg, 76, static_cast<std::uint32_t>(crc32_z(0, reinterpret_cast<const Bytef*>(msg.data()), 76)));
  return msg + frame;
}

TEST(ServeHardening, OutOfDescriptorsPausesAcceptingInsteadOfSpinning) {
#if defined(__SANITIZE_ADDRESS__)
  // UBSan's vptr check tests whether memory is readable by writing it to a pipe; at the
  // descriptor limit the pipe cannot be made, so the check reports the server's own objects as
  // invalid and stops it. The test runs in the plain build.
  GTEST_SKIP() << "a sanitizer build cannot run at the descriptor limit";
#endif
  // Idle connections stay open for the whole test (a long read timeout).
  ServeProcess server({"-m", kCard, "--threads", "1", "--read-timeout-ms", "120000"});
  expect_served(server.port());
  // Room for a few connections only.
  const rlim_t limit = open_descriptors(server.pid()) + 8;
  const rlimit lim{limit, limit};
  ASSERT_EQ(::prlimit(server.pid(), RLIMIT_NOFILE, &lim, nullptr), 0) << std::strerror(errno);

  std::vector<std::unique_ptr<RawSocket>> held;
  for (int i = 0; i < 80; ++i) {
    held.push_back(std::make_unique<RawSocket>(server.port()));  // waits in the backlog
  }
  std::this_thread::sleep_for(500ms);
  const double cpu_before = cpu_seconds(server.pid());
  const std::size_t log_before = server.log().size();
  std::this_thread::sleep_for(3s);
  const double cpu = cpu_seconds(server.pid()) - cpu_before;
  const std::size_t logged = server.log().size() - log_before;

  const std::string log = server.log();
  ASSERT_NE(log.find("cannot accept connections"), std::string::npos)
      << "the descriptor limit was never reached: " << log;
  // A busy loop burns a whole CPU (3 s here) and writes megabytes of warnings.
  EXPECT_LT(cpu, 0.5) << "CPU seconds in 3 s at the descriptor limit";
  EXPECT_LT(logged, 1024u) << "warnings are rate-limited:\n" << log.substr(0, 2000);
  // Connections beyond the limit are closed (those idle longest), not left to time out.
  std::size_t closed = 0;
  for (auto& s : held) {
    closed += s->closed_by_peer() ? 1 : 0;
  }
  EXPECT_GE(closed, 5u) << "waiting connections closed by the server";
  // A new client is served while they are held: the connections idle longest make room.
  {
    auto c = client_for(server.port());
    const auto r = c.get("/v1/health");
    EXPECT_TRUE(r.ok()) << "a new client at the descriptor limit: " << r.error;
  }

  // Once the descriptors are back, the server serves again.
  held.clear();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  net::HttpResult r;
  do {
    std::this_thread::sleep_for(200ms);
    auto c = client_for(server.port());
    r = c.get("/v1/health");
  } while (!r.ok() && std::chrono::steady_clock::now() < deadline);
  EXPECT_TRUE(r.ok()) << r.error;
}

TEST(ServeHardening, ZstdBombIsRefusedOnItsHeaderBeforeDecompressing) {
  ServeProcess server({"-m", kCard, "--threads", "2"});
  expect_served(server.port());
  const std::size_t peak_before = status_kib(server.pid(), "VmHWM");
  // 8 KB that decompress to 256 MiB: a tensor of 64 Mi elements where 784 are expected.
  const std::string bomb = zstd_bomb({1, 1, 8192, 8192});
  ASSERT_LT(bomb.size(), 64 * 1024u);
  auto c = client_for(server.port());
  for (int i = 0; i < 8; ++i) {
    const auto r = c.post("/v1/infer", bomb);
    EXPECT_EQ(r.status, 400u) << r.body;
    EXPECT_NE(error_of(r).find("[1, 1, 28, 28]"), std::string::npos) << r.body;
  }
  const std::size_t grown_mib = (status_kib(server.pid(), "VmHWM") - peak_before) / 1024;
  EXPECT_LT(grown_mib, 64u) << "peak RSS grew by " << grown_mib << " MiB for 8 bombs";
  expect_served(server.port());
}

TEST(ServeHardening, TheTokenIsCheckedOnTheHeadersBeforeTheBody) {
  TempDir dir;
  write_file_atomic(dir.file("token"), "s3cret\n");
  ServeProcess server({"-m", kCard, "--token-file", dir.file("token")});
  RawSocket s(server.port());
  // 60 MB announced, none sent: the answer must come from the headers alone.
  s.send("POST /v1/infer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
         "Content-Length: 60000000\r\n\r\n");
  std::string answer;
  EXPECT_TRUE(s.read_until_closed(answer, 10s)) << "the connection is closed after the 401";
  EXPECT_EQ(first_status(answer), 401u) << answer;
  expect_served(server.port(), "s3cret");
}

TEST(ServeHardening, BufferedBodiesAreBoundedWith503BeforeTheyAreRead) {
  // Two 8 MiB bodies would exceed what large bodies may hold (3/4 of 16 MiB).
  ServeProcess server({"-m", kCard, "--max-body", std::to_string(8 * kMiB), "--max-buffered",
                       std::to_string(16 * kMiB)});
  expect_served(server.port());
  const std::size_t rss_before = status_kib(server.pid(), "VmHWM");
  const std::string head = "POST /v1/probe HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                           std::to_string(8 * kMiB) + "\r\n\r\n";
  std::vector<std::unique_ptr<RawSocket>> uploads;
  std::size_t refused = 0;
  std::size_t with_retry_after = 0;
  for (int i = 0; i < 12; ++i) {
    auto s = std::make_unique<RawSocket>(server.port());
    s->send(head + std::string(kMiB, 'u'));  // an eighth of the body, then nothing
    std::string answer;
    if (s->read_until(answer, "\r\n\r\n", 1s)) {
      refused += first_status(answer) == 503 ? 1 : 0;
      with_retry_after += answer.find("Retry-After: 1") != std::string::npos ? 1 : 0;
    }
    uploads.push_back(std::move(s));
  }
  EXPECT_GE(refused, 11u) << "uploads beyond the memory bound are refused at once";
  EXPECT_EQ(with_retry_after, refused);
  // Small requests keep a quarter of the bound: a device is still served meanwhile.
  expect_served(server.port());
  uploads.clear();
  // The bound is given back when the connections go: a whole 8 MiB body is taken again.
  std::this_thread::sleep_for(300ms);
  auto c = client_for(server.port());
  const auto r = c.post("/v1/probe", std::string(8 * kMiB, 'p'));
  EXPECT_EQ(r.status, 200u) << r.body;
  const std::size_t grown_mib = (status_kib(server.pid(), "VmHWM") - rss_before) / 1024;
  EXPECT_LT(grown_mib, 48u) << "peak RSS grew by " << grown_mib << " MiB";
}

TEST(ServeHardening, ProbeRepliesAreStreamedNotHeld) {
  ServeProcess server({"-m", kCard});
  expect_served(server.port());
  const std::size_t rss_before = status_kib(server.pid(), "VmRSS");
  // Sixteen clients ask for 64 MiB each and never read it.
  std::vector<std::unique_ptr<RawSocket>> readers;
  for (int i = 0; i < 16; ++i) {
    auto s = std::make_unique<RawSocket>(server.port());
    s->send("POST /v1/probe HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
            "X-Edgent-Probe-Reply-Bytes: " + std::to_string(64 * kMiB) + "\r\n\r\n");
    readers.push_back(std::move(s));
  }
  std::this_thread::sleep_for(1500ms);
  const std::size_t grown_mib = (status_kib(server.pid(), "VmRSS") - rss_before) / 1024;
  EXPECT_LT(grown_mib, 64u) << "RSS grew by " << grown_mib << " MiB for 16 unread probes";
  expect_served(server.port());
  // A probe reply that is read is whole.
  auto c = client_for(server.port());
  const auto r = c.post("/v1/probe", "", "application/octet-stream",
                        Headers{{"X-Edgent-Probe-Reply-Bytes", std::to_string(3 * kMiB + 5)}});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.body, std::string(3 * kMiB + 5, '\0'));
}

TEST(ServeHardening, TheTensorMustHaveTheCutsShapeNotOnlyItsElementCount) {
  ServeProcess server({"-m", kCard});
  auto c = client_for(server.port());
  for (const std::vector<int>& dims : std::vector<std::vector<int>>{
           {784}, {784, 1, 1, 1}, {2, 1, 14, 28}, {1, 4, 14, 14}, {1, 28, 28}}) {
    const auto r = c.post("/v1/infer", wire_dims(dims, 0.1f));
    EXPECT_EQ(r.status, 400u) << "dims of " << dims.size() << ": " << r.body;
    EXPECT_NE(error_of(r).find("takes a tensor of shape [1, 1, 28, 28]"), std::string::npos)
        << r.body;
  }
  const auto ok = c.post("/v1/infer", wire_dims({1, 1, 28, 28}, 0.1f));
  EXPECT_EQ(ok.status, 200u) << ok.body;
}

TEST(ServeHardening, NonFiniteInputsAre400AndAnOverflowingOutputIs422) {
  ServeProcess server({"-m", kCard});
  auto c = client_for(server.port());
  for (const float bad : {std::numeric_limits<float>::quiet_NaN(),
                          std::numeric_limits<float>::infinity()}) {
    cv::Mat input = model_input(0.1f);
    input.ptr<float>()[100] = bad;
    const auto r = c.post("/v1/infer", wire(input, 5, 0));
    EXPECT_EQ(r.status, 400u) << r.body;
    EXPECT_NE(error_of(r).find("non-finite"), std::string::npos) << r.body;
  }
  // Finite, but exit 1 overflows on it: the edge's own output is at fault, whatever the
  // reply codec, and no 400 blames the request.
  cv::Mat huge = model_input(3e38f);
  for (int i = 0; i < static_cast<int>(huge.total()); i += 2) {
    huge.ptr<float>()[i] = -3e38f;
  }
  for (const std::string codec : {"int8", "fp32"}) {
    const auto r = c.post("/v1/infer", wire(huge, 1, 0), "application/octet-stream",
                          Headers{{"X-Edgent-Reply-Codec", codec}});
    EXPECT_EQ(r.status, 422u) << codec << ": " << r.body;
    EXPECT_NE(error_of(r).find("output overflows"), std::string::npos) << r.body;
    EXPECT_EQ(error_of(r).find("request body"), std::string::npos) << r.body;
  }
  expect_served(server.port());
}

TEST(ServeHardening, ExpectContinueIsAnsweredOnceTheHeadersPass) {
  TempDir dir;
  write_file_atomic(dir.file("token"), "s3cret\n");
  ServeProcess server({"-m", kCard, "--token-file", dir.file("token")});
  const std::string body = wire(model_input(0.3f), 1, 0);
  const auto head = [&](const std::string& token) {
    return "POST /v1/infer HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token +
           "\r\nContent-Type: application/octet-stream\r\nExpect: 100-continue\r\n"
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  };
  {
    RawSocket s(server.port());
    s.send(head("s3cret"));
    std::string answer;
    ASSERT_TRUE(s.read_until(answer, "\r\n\r\n", 5s)) << "no interim answer: " << answer;
    EXPECT_EQ(answer, "HTTP/1.1 100 Continue\r\n\r\n");
    s.send(body);
    answer.clear();
    ASSERT_TRUE(s.read_until(answer, "\r\n\r\n", 10s)) << answer;
    EXPECT_EQ(first_status(answer), 200u) << answer;
  }
  {
    // A refused token gets its final answer instead, and the body is never asked for.
    RawSocket s(server.port());
    s.send(head("wrong"));
    std::string answer;
    EXPECT_TRUE(s.read_until_closed(answer, 5s));
    EXPECT_EQ(first_status(answer), 401u) << answer;
    EXPECT_EQ(answer.find("100 Continue"), std::string::npos) << answer;
  }
}

TEST(ServeHardening, TheBearerSchemeIsCaseInsensitive) {
  TempDir dir;
  write_file_atomic(dir.file("token"), "s3cret\n");
  ServeProcess server({"-m", kCard, "--token-file", dir.file("token")});
  const auto status_with = [&](const std::string& authorization) {
    RawSocket s(server.port());
    s.send("GET /v1/model HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + authorization +
           "\r\nConnection: close\r\n\r\n");
    std::string answer;
    s.read_until_closed(answer, 5s);
    return first_status(answer);
  };
  EXPECT_EQ(status_with("Bearer s3cret"), 200u);
  EXPECT_EQ(status_with("bearer s3cret"), 200u);
  EXPECT_EQ(status_with("BEARER s3cret"), 200u);
  EXPECT_EQ(status_with("bEaReR  s3cret"), 200u);
  EXPECT_EQ(status_with("Bearers3cret"), 401u);
  EXPECT_EQ(status_with("Basic s3cret"), 401u);
  EXPECT_EQ(status_with("bearer wrong"), 401u);
}

TEST(ServeHardening, ATransferCodingOtherThanChunkedIsOne501ThenClose) {
  ServeProcess server({"-m", kCard});
  for (const std::string coding : {"gzip", "gzip, chunked", "chunked, gzip", "identity"}) {
    RawSocket s(server.port());
    // Read as a request without a body, the second half would be a second request.
    s.send("POST /v1/infer HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: " + coding +
           "\r\n\r\nGET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    std::string answer;
    EXPECT_TRUE(s.read_until_closed(answer, 5s)) << coding << ": not closed";
    EXPECT_EQ(first_status(answer), 501u) << coding << ": " << answer;
    EXPECT_EQ(responses_in(answer), 1u) << coding << ": " << answer;
  }
  // Chunked alone is read as before.
  const std::string body = wire(model_input(0.2f), 1, 0);
  RawSocket s(server.port());
  char size[32];
  std::snprintf(size, sizeof size, "%zx", body.size());
  s.send("POST /v1/infer HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
         "Connection: close\r\n\r\n" + std::string(size) + "\r\n" + body + "\r\n0\r\n\r\n");
  std::string answer;
  EXPECT_TRUE(s.read_until_closed(answer, 10s));
  EXPECT_EQ(first_status(answer), 200u) << answer.substr(0, 300);
}

} // namespace
} // namespace edgent::testing
