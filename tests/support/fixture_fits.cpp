#include "support/fixture_fits.hpp"

#include "core/artifact.hpp"

namespace edgent::testing {

void write_fixture_fits(const std::string& dir, const std::string& model_sha256) {
  for (const char* role : {"device", "edge"}) {
    Artifact fit =
        read_artifact(std::string(EDGENT_TEST_DATA_DIR "/plan/") + role + "_fit.json", "fit");
    fit.doc["model_sha256"] = model_sha256;
    fit.doc.erase("schema");
    fit.doc.erase("generator");
    write_artifact(dir + "/" + role + ".fit.json", fit.doc, "fit", "edgent-fit");
  }
}

} // namespace edgent::testing
