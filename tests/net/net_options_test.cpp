#include "net/net_options.hpp"

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace edgent::net {
namespace {

/// Parses @p args (without the program name) into a fresh app with @p add's options.
template <typename Options, typename Add>
Options parse(std::vector<std::string> args, Add add) {
  Options o;
  CLI::App app;
  add(app, o);
  std::vector<const char*> argv{"prog"};
  for (const auto& a : args) {
    argv.push_back(a.c_str());
  }
  app.parse(static_cast<int>(argv.size()), argv.data());
  return o;
}

TEST(NetOptions, ServeOptionsParseAndConvert) {
  const auto o = parse<ServeNetOptions>({"--port", "0", "--threads", "3", "--max-body", "1000",
                                         "--max-inflight", "5", "--max-buffered", "4000",
                                         "--max-queue", "3", "--max-connections", "9",
                                         "--agent-port", "0",
                                         "--read-timeout-ms", "250"},
                                        add_serve_options);
  const auto s = to_server_options(o);
  EXPECT_EQ(s.bind, "127.0.0.1") << "loopback unless told otherwise";
  EXPECT_EQ(s.port, 0);
  EXPECT_EQ(s.threads, 3u);
  EXPECT_EQ(s.max_body, 1000u);
  EXPECT_EQ(s.max_inflight, 5u);
  EXPECT_EQ(s.max_buffered, 4000u);
  EXPECT_EQ(s.max_queue, 3u);
  EXPECT_EQ(s.max_connections, 9u);
  EXPECT_EQ(s.agent_port, 0);
  EXPECT_EQ(to_server_options(ServeNetOptions{}).agent_port, -1) << "no agent by default";
  EXPECT_EQ(to_server_options(ServeNetOptions{}).max_queue, 0u) << "no queue cap by default";
  EXPECT_EQ(to_server_options(ServeNetOptions{}).max_connections, 1024u);
  EXPECT_EQ(to_server_options(ServeNetOptions{}).max_buffered, 256u * 1024 * 1024);
  EXPECT_EQ(s.read_timeout.count(), 250);
  EXPECT_EQ(s.write_timeout.count(), 30000);
  EXPECT_TRUE(s.token.empty());
  EXPECT_THROW(parse<ServeNetOptions>({"--port", "70000"}, add_serve_options), CLI::ParseError);
  EXPECT_THROW(parse<ServeNetOptions>({"--threads", "0"}, add_serve_options), CLI::ParseError);
  EXPECT_THROW(parse<ServeNetOptions>({"--max-inflight", "0"}, add_serve_options),
               CLI::ParseError);
}

TEST(NetOptions, TokenFilesAreReadWhenConverting) {
  const edgent::testing::TempDir tmp("net-options");
  const auto path = tmp.file("token");
  write_file_atomic(path, "tok\n");
  ServeNetOptions serve;
  serve.token_file = path;
  EXPECT_EQ(to_server_options(serve).token, "tok");
  EdgeNetOptions edge;
  edge.token_file = path;
  EXPECT_EQ(to_client_options(edge, nullptr).token, "tok");
  std::filesystem::remove(path);
  EXPECT_THROW(to_server_options(serve), IoError);
}

TEST(NetOptions, EdgeEndpoints) {
  EXPECT_EQ(parse_endpoint("127.0.0.1:8080"), std::make_pair(std::string("127.0.0.1"), std::uint16_t{8080}));
  EXPECT_EQ(parse_endpoint("edge.local:1"), std::make_pair(std::string("edge.local"), std::uint16_t{1}));
  EXPECT_EQ(parse_endpoint("[::1]:9000"), std::make_pair(std::string("::1"), std::uint16_t{9000}));
  for (const char* bad : {"host", "host:", ":80", "host:0", "host:65536", "host:8x", "::1:80"}) {
    EXPECT_THROW(parse_endpoint(bad), ConfigError) << bad;
  }
  EXPECT_THROW(parse<EdgeNetOptions>({"--edge", "nope"}, add_edge_options), CLI::ParseError);
}

TEST(NetOptions, EmulatedTraceMakesAThrottle) {
  const auto o = parse<EdgeNetOptions>({"--edge", "10.0.0.2:7000", "--emulate-trace", "t.csv",
                                        "--trace-scale", "0.5", "--timeout-ms", "300"},
                                       add_edge_options);
  const std::vector<TracePoint> trace = {{0, 8000}, {1, 4000}};
  const auto c = to_client_options(o, &trace);
  EXPECT_EQ(c.host, "10.0.0.2");
  EXPECT_EQ(c.port, 7000);
  EXPECT_EQ(c.timeout.count(), 300);
  ASSERT_TRUE(c.throttle);
  EXPECT_DOUBLE_EQ(c.throttle->schedule().bytes_per_s(0.5), 0.5e6) << "scaled by 0.5";
  EXPECT_THROW(to_client_options(o, nullptr), ConfigError);
  const std::vector<TracePoint> outage = {{0, 0}};
  try {
    to_client_options(o, &outage);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.file(), "t.csv");
  }
  EXPECT_FALSE(to_client_options(EdgeNetOptions{}, nullptr).throttle);
  EXPECT_THROW(parse<EdgeNetOptions>({"--trace-scale", "0"}, add_edge_options), CLI::ParseError);
}


TEST(NetOptions, EdgeUrls) {
  const auto plain = parse_edge_url("127.0.0.1:8080");
  EXPECT_EQ(plain.host, "127.0.0.1");
  EXPECT_EQ(plain.port, 8080);
  EXPECT_FALSE(plain.tls);
  const auto http = parse_edge_url("http://edge.local:81/");
  EXPECT_EQ(http.host, "edge.local");
  EXPECT_EQ(http.port, 81);
  EXPECT_FALSE(http.tls);
  const auto https = parse_edge_url("https://127.0.0.1:8443");
  EXPECT_EQ(https.host, "127.0.0.1");
  EXPECT_EQ(https.port, 8443);
  EXPECT_TRUE(https.tls);
  EXPECT_EQ(parse_edge_url("https://edge.local").port, 443);
  EXPECT_EQ(parse_edge_url("http://edge.local").port, 80);
  const auto v6 = parse_edge_url("https://[::1]");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 443);
  EXPECT_EQ(parse_edge_url("https://[::1]:9443").port, 9443);
  for (const char* bad : {"ftp://host:21", "https://", "https://host:0", "https://host:1/v1/infer",
                          "host", "https://host:x"}) {
    EXPECT_THROW(parse_edge_url(bad), ConfigError) << bad;
  }
  EXPECT_NO_THROW(parse<EdgeNetOptions>({"--edge", "https://127.0.0.1:1", "--ca", "ca.pem"},
                                        add_edge_options));
  EXPECT_THROW(parse<EdgeNetOptions>({"--edge", "ftp://x:1"}, add_edge_options), CLI::ParseError);
}

TEST(NetOptions, HttpsNeedsACaAndTheCaNeedsHttps) {
  EdgeNetOptions o;
  o.edge = "https://127.0.0.1:8443";
  EXPECT_THROW(to_client_options(o, nullptr), UsageError) << "no system CAs by default";
  o.ca_file = "ca.pem";
  const auto c = to_client_options(o, nullptr);
  EXPECT_TRUE(c.tls);
  EXPECT_EQ(c.ca_file, "ca.pem");
  EXPECT_EQ(c.port, 8443);
  o.edge = "http://127.0.0.1:8080";
  EXPECT_THROW(to_client_options(o, nullptr), UsageError);
  o.edge = "127.0.0.1:8080";
  EXPECT_THROW(to_client_options(o, nullptr), UsageError);
  o.ca_file.clear();
  EXPECT_FALSE(to_client_options(o, nullptr).tls);
}

TEST(NetOptions, TlsCertAndKeyGoTogether) {
  const auto o = parse<ServeNetOptions>({"--tls-cert", "c.pem", "--tls-key", "k.pem"},
                                        add_serve_options);
  const auto s = to_server_options(o);
  EXPECT_EQ(s.tls_cert_file, "c.pem");
  EXPECT_EQ(s.tls_key_file, "k.pem");
  EXPECT_THROW(parse<ServeNetOptions>({"--tls-cert", "c.pem"}, add_serve_options),
               CLI::ParseError);
  EXPECT_THROW(parse<ServeNetOptions>({"--tls-key", "k.pem"}, add_serve_options),
               CLI::ParseError);
  EXPECT_TRUE(to_server_options(ServeNetOptions{}).tls_cert_file.empty());
}

} // namespace
} // namespace edgent::net
