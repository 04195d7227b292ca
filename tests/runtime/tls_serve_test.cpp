// The real binaries over HTTPS on loopback: edgent-serve with --tls-cert/--tls-key and a token,
// edgent-infer with --edge https://... --ca and the token, with certificates made at run time.
#include "core/artifact.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "model/model_card.hpp"
#include "net/http_client.hpp"
#include "support/serve_process.hpp"
#include "support/test_pki.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>


namespace edgent::testing {
namespace {

const std::string kCard = std::string(EDGENT_SOURCE_DIR) + "/models/branchy-alexnet-fmnist.json";

/// An edge-only plan (exit 5, cut 0: every request offloaded) for the default model.
void write_edge_only_plan(const std::string& path) {
  const auto card = model::read_model_card(kCard);
  const nlohmann::json doc = {
      {"strategy", "edge-only"}, {"feasible", true}, {"deadline_ms", 1000.0},
      {"bandwidth_kbps", 100000.0}, {"up_kbps", 100000.0}, {"down_kbps", 100000.0},
      {"rtt_ms", 0.2}, {"edge_queue_ms", 0.0}, {"model_sha256", card.onnx_sha256},
      {"accuracy_known", true},
      {"plan", {{"exit", 5}, {"cut", 0}, {"order", "device-first"}, {"codec", "fp32"},
                {"accuracy", 0.9}}},
      {"predicted",
       {{"device_ms", 0.0}, {"edge_ms", 1.0}, {"up_ms", 0.5}, {"down_ms", 0.5}, {"total_ms", 2.0}}},
      {"reward", 1.0}};
  write_artifact(path, doc, "plan", "edgent-plan");
}

TEST(ServeTls, InferOverHttpsWithTokenIsOffloadedAndMisconfigurationIsAClearError) {
  TempDir dir;
  net::testing::TestPki pki;
  const std::string token = dir.file("token");
  write_file_atomic(token, "tls-e2e-token\n");
  ServeProcess server({"-m", kCard, "--threads", "1", "--tls-cert", pki.path("server.pem"),
                       "--tls-key", pki.path("server.key"), "--token-file", token});
  const std::string plan = dir.file("plan.json");
  write_edge_only_plan(plan);
  const std::string tensors = dir.file("in.f32");
  write_file_atomic(tensors, std::string(6 * 28 * 28 * 4, '\0'));
  const std::string edge = "https://127.0.0.1:" + std::to_string(server.port());
  const std::string base = "--model " + kCard + " --plan " + plan + " --tensors " + tensors +
                           " --no-probe --connect-timeout-ms 2000";

  const RunResult ok = run_tool("edgent-infer",
                                base + " --edge " + edge + " --ca " + pki.path("ca.pem") +
                                    " --token-file " + token + " --summary " +
                                    dir.file("s.json") + " -o " + dir.file("r.jsonl"));
  ASSERT_EQ(ok.code, 0) << ok.err << server.log();
  const auto summary = read_artifact(dir.file("s.json"), "run");
  EXPECT_EQ(summary.doc["count"], 6);
  EXPECT_EQ(summary.doc["offloaded"], 6) << "every request ran on the edge over TLS";
  EXPECT_EQ(summary.doc["fallbacks"], 0);

  const RunResult wrong_ca = run_tool(
      "edgent-infer",
      base + " --edge " + edge + " --ca " + pki.path("other_ca.pem") + " --token-file " + token);
  EXPECT_EQ(wrong_ca.code, 2);
  EXPECT_NE(wrong_ca.err.find("certificate not verified"), std::string::npos) << wrong_ca.err;

  const RunResult no_token =
      run_tool("edgent-infer", base + " --edge " + edge + " --ca " + pki.path("ca.pem"));
  EXPECT_EQ(no_token.code, 2);
  EXPECT_NE(no_token.err.find("bearer token"), std::string::npos) << no_token.err;

  const RunResult no_ca = run_tool("edgent-infer", base + " --edge " + edge);
  EXPECT_EQ(no_ca.code, 2);
  EXPECT_NE(no_ca.err.find("--ca"), std::string::npos) << no_ca.err;
  EXPECT_EQ(run_tool("edgent-infer", base + " --edge http://127.0.0.1:1 --ca " + pki.path("ca.pem"))
                .code,
            2);

  // Unauthenticated requests learn nothing about the model, over TLS too.
  net::ClientOptions anonymous;
  anonymous.port = server.port();
  anonymous.tls = true;
  anonymous.ca_file = pki.path("ca.pem");
  net::HttpClient client(anonymous);
  const auto card = model::read_model_card(kCard);
  for (const char* target : {"/v1/model", "/metrics"}) {
    const auto r = client.get(target);
    EXPECT_EQ(r.status, 401u) << target << " " << r.error;
    EXPECT_EQ(r.body.find(card.onnx_sha256), std::string::npos) << r.body;
  }
  const auto health = client.get("/v1/health");
  ASSERT_TRUE(health.ok()) << health.error;
  EXPECT_EQ(health.body.find(card.onnx_sha256), std::string::npos);
  EXPECT_EQ(server.signal_and_wait(SIGTERM, std::chrono::seconds(20)), 0) << server.log();
}

TEST(ServeTls, BadCertificateFilesExitTwoNamingTheFile) {
  net::testing::TestPki pki;
  const std::string junk = pki.write("junk.pem", "-----BEGIN CERTIFICATE-----\nnope\n");
  const RunResult bad = run_tool("edgent-serve", "-m " + kCard + " --port 0 --tls-cert " + junk +
                                                    " --tls-key " + pki.path("server.key"));
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find(junk), std::string::npos) << bad.err;
  const RunResult mismatch =
      run_tool("edgent-serve", "-m " + kCard + " --port 0 --tls-cert " + pki.path("server.pem") +
                                   " --tls-key " + pki.path("elsewhere.key"));
  EXPECT_EQ(mismatch.code, 2);
  EXPECT_NE(mismatch.err.find("does not match"), std::string::npos) << mismatch.err;
  EXPECT_EQ(run_tool("edgent-serve", "-m " + kCard + " --tls-cert " + pki.path("server.pem")).code,
            2);
}

} // namespace
} // namespace edgent::testing
