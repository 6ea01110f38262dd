// Inputs the fuzzers (fuzz/, docs/fuzzing.md) found that broke a parser,
// fed through the public entry point: each must now end in the normal
// error, one line that says what was expected. The same bytes are kept in
// fuzz/regressions/HARNESS/, which scripts/fuzz.sh replays first.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "models/registry.h"
#include "replay/scenario.h"

namespace detsim {
namespace {

// The message of the ScenarioError that loading text throws; fails the
// test if it loads or throws something else.
std::string scenario_error(std::string_view text, const std::vector<std::string>& overrides) {
  try {
    load_scenario_text(text, "fuzz.toml", overrides, model_registry());
  } catch (const ScenarioError& error) {
    return error.what();
  }
  ADD_FAILURE() << "loaded: " << text;
  return "";
}

// scenario_fuzzer, crash-f2691beb: a TOML string may hold "\n", and the
// unknown model's name was quoted raw, so the error spanned two lines.
TEST(FuzzRegression, AModelNameWithANewlineGivesAOneLineError) {
  const std::string message = scenario_error("model = \"raft_sh n1; 2s res1\\n2,n; 4s heal\"\n", {"net.loss=0.1"});
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_NE(message.find("unknown model 'raft_sh n1; 2s res1\\x0a2,n; 4s heal'"), std::string::npos) << message;
}

TEST(FuzzRegression, AKeyWithControlCharactersGivesAOneLineError) {
  const std::string message = scenario_error("model = \"raft_kv\"\n\"a\\r\\nb\" = 1\n", {});
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_EQ(message.find('\r'), std::string::npos) << message;
}

TEST(FuzzRegression, AnOverrideWithANewlineGivesAOneLineError) {
  const std::string message = scenario_error("model = \"raft_kv\"\n", {"net.loss=0.1\nx"});
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

}  // namespace
}  // namespace detsim
