// Property tests of the ABD register, in the team's own GoogleTest +
// RapidCheck suite: any seed of the stock scenario passes, and each planted
// bug is caught within a bounded number of seeds.
#include <cstdint>
#include <string>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "sim/api/testing.h"

RC_GTEST_PROP(AbdRegister, AnySeedOfTheStockScenarioIsLinearizable, ()) {
  const uint64_t seed = *rc::gen::inRange<uint64_t>(1, 1'000'000'000);
  const detsim::ScenarioRun run = detsim::run_scenario_seed("abd_register", seed);
  RC_LOG() << run.reproduce << ": " << run.property << " " << run.detail;
  RC_ASSERT(run.verdict == detsim::Verdict::pass);
}

// The first seed of 1..200 whose run fails `property` with bug=NAME set,
// or 0: a planted bug's test, bounded so that it can fail.
uint64_t first_catch(const char* bug, const char* property) {
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    const detsim::ScenarioRun run = detsim::run_scenario_seed("abd_register", seed, {std::string("bug=") + bug});
    if (run.verdict == detsim::Verdict::safety && run.property == property) return seed;
  }
  return 0;
}

TEST(AbdRegister, EachPlantedBugIsCaughtWithin200Seeds) {
  EXPECT_NE(first_catch("skip_write_back", "linearizability"), 0u);
  EXPECT_NE(first_catch("ack_before_fsync", "replica_remembers_acks"), 0u);
}
