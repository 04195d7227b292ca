#include "support/golden_run.hpp"

namespace edgent::testing {

RunResult GoldenRun::run(const std::string& args) const {
  RunOptions options;
  options.env = {{"EDGENT_PIN_GENERATOR", "1"}};
  return run_tool(m_tool, args, options);
}

void GoldenRun::expect(const std::string& name, const std::string& golden) const {
  expect_golden(path(name),
                std::string(EDGENT_SOURCE_DIR) + "/tests/cmd/" + m_tool + "/expected/" + golden,
                {{m_dir.path().string(), "<tmp>"}, {EDGENT_SOURCE_DIR, "<src>"}});
}

} // namespace edgent::testing
