// sim/api/testing.h: a seed run from a user's own test gives what the
// command line gives, and bad input is an exception with the CLI's reason.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "sim/api/testing.h"

namespace detsim {
namespace {

TEST(TestingApi, RunsASeedAsTheCommandLineDoes) {
  const ScenarioRun run = run_scenario_seed("broadcast", 1);
  EXPECT_EQ(run.verdict, Verdict::pass);
  EXPECT_EQ(run.fingerprint, 0x0594df79d3df26a3ULL);  // GoldenFingerprint's
  EXPECT_EQ(run.reproduce, "detsim replay broadcast --seed 1");
  const ScenarioRun bug = run_scenario_seed("broadcast", 1, {"bug=no_retry"});
  EXPECT_EQ(bug.verdict, Verdict::safety);
  EXPECT_EQ(bug.property, "acked_value_everywhere");
  EXPECT_EQ(bug.reproduce, "detsim replay broadcast --seed 1 --set bug=no_retry");
}

TEST(TestingApi, BadInputThrowsTheOneLineReason) {
  EXPECT_THROW(run_scenario_seed("nosuch", 1), std::invalid_argument);
  try {
    run_scenario_seed("broadcast", 1, {"nodes=0"});
    FAIL() << "nodes=0 was accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("nodes"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace detsim
