// configs/serve.toml, the shipped deployment config, as edgent-serve reads it: the real server
// starts from it (the command line's port and model win over the file's) and stops cleanly.
#include "net/http_client.hpp"
#include "support/serve_process.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <string>

namespace edgent::testing {
namespace {

const std::string kCard = std::string(EDGENT_SOURCE_DIR) + "/models/branchy-alexnet-fmnist.json";
const std::string kConfig = std::string(EDGENT_SOURCE_DIR) + "/configs/serve.toml";

TEST(ServeConfig, TheShippedConfigServes) {
  ServeProcess server({"--config", kConfig, "-m", kCard});
  net::ClientOptions options;
  options.port = server.port();
  net::HttpClient client(options);
  const auto health = client.get("/v1/health");
  EXPECT_TRUE(health.ok()) << health.error << server.log();
  EXPECT_EQ(server.stop(), 0) << server.log();
}

} // namespace
} // namespace edgent::testing
