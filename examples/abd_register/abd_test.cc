// Property tests of the ABD register, in the team's own GoogleTest +
// RapidCheck suite: any seed of the stock scenario passes, and the planted
// bug is caught within a bounded number of seeds.
#include <cstdint>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "sim/api/testing.h"

RC_GTEST_PROP(AbdRegister, AnySeedOfTheStockScenarioIsLinearizable, ()) {
  const uint64_t seed = *rc::gen::inRange<uint64_t>(1, 1'000'000'000);
  const detsim::ScenarioRun run = detsim::run_scenario_seed("abd_register", seed);
  RC_LOG() << run.reproduce << ": " << run.property << " " << run.detail;
  RC_ASSERT(run.verdict == detsim::Verdict::pass);
}

TEST(AbdRegister, SkipWriteBackIsCaughtWithin200Seeds) {
  uint64_t caught_at = 0;
  for (uint64_t seed = 1; seed <= 200 && caught_at == 0; ++seed) {
    const detsim::ScenarioRun run = detsim::run_scenario_seed("abd_register", seed, {"bug=skip_write_back"});
    if (run.verdict == detsim::Verdict::safety && run.property == "linearizability") caught_at = seed;
  }
  EXPECT_NE(caught_at, 0u) << "skip_write_back was not caught in seeds 1..200";
}
