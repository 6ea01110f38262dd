// The shared form of "a planted bug is caught by its model's STOCK
// scenario" tests: the scenario runs with only `--set bug=...`, as users'
// CI would, and must break safety with one of the expected properties
// within the measured bound (each model's doc gives the measurement).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <set>
#include <string>

#include "models/registry.h"
#include "replay/scenario.h"
#include "tests/run_helpers.h"

namespace detsim::testing {

struct StockPlantedBug {
  const char* bug;
  std::set<std::string> properties;  // what the first catching seed may report
  uint64_t seed_bound;               // measured first catch, with room
};
inline void PrintTo(const StockPlantedBug& planted, std::ostream* out) { *out << planted.bug; }

// Searches seeds 1..max_seed (at least seed_bound) for the first safety
// verdict, then asserts it is within seed_bound and reports an expected
// property; the seed goes into the test's XML as first_caught_seed.
inline void expect_caught_by_stock_scenario(const std::string& scenario_name, const StockPlantedBug& planted,
                                            uint64_t max_seed) {
  const Scenario scenario = load_scenario(scenario_name, {std::string("bug=") + planted.bug}, model_registry());
  RunResult failure;
  const uint64_t caught = first_safety_seed(scenario, max_seed, &failure);
  ASSERT_NE(caught, 0u) << planted.bug << " survived seeds 1.." << max_seed;
  EXPECT_TRUE(planted.properties.count(failure.property)) << failure.property << ": " << failure.detail;
  EXPECT_LE(caught, planted.seed_bound) << "first caught at seed " << caught;
  ::testing::Test::RecordProperty("first_caught_seed", static_cast<int>(caught));
}

}  // namespace detsim::testing
