// The resource state machine model (models/resource_fsm,
// docs/resource_fsm.md): the safe configuration passes the stock
// scenario's mixed faults, and every planted bug is caught inside 200
// seeds of the stock scenario with only `--set bug=...`, by the property
// that names it.
#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <set>
#include <string>

#include "models/registry.h"
#include "replay/scenario.h"
#include "sim/world/simulation.h"
#include "tests/planted_bug.h"
#include "tests/run_helpers.h"

namespace detsim {
namespace {

using testing::metric;

// docs/resource_fsm.md has the 200-seed numbers; CI runs the first seeds.
constexpr uint64_t kPassSeeds = 40;

TEST(ResourceFsm, PassesTheStockScenario) {
  const Scenario scenario = load_scenario("resource_fsm", {}, model_registry());
  double takeovers = 0;
  for (uint64_t seed = 1; seed <= kPassSeeds; ++seed) {
    const RunResult result = testing::run_scenario_seed(scenario, seed);
    ASSERT_EQ(result.verdict, Verdict::pass) << "seed " << seed << ": " << result.property << ": " << result.detail;
    EXPECT_GT(metric(result, "requests"), 0) << "seed " << seed;
    EXPECT_GT(metric(result, "worker_utilisation"), 0) << "seed " << seed;
    EXPECT_LE(metric(result, "conflict_rate"), 1) << "seed " << seed;
    takeovers += metric(result, "lease_takeovers");
  }
  // The faults must reach the leases, or the scenario tests nothing.
  EXPECT_GT(takeovers, 0);
}

// Measured first catches: docs/resource_fsm.md.
using PlantedBug = testing::StockPlantedBug;

class ResourceFsmBug : public ::testing::TestWithParam<PlantedBug> {};

TEST_P(ResourceFsmBug, IsCaughtByTheStockScenarioInsideTwoHundredSeeds) {
  testing::expect_caught_by_stock_scenario("resource_fsm", GetParam(), 200);
}

const std::set<std::string> kStateMachine = {"no_lost_update", "version_increases", "deleted_is_terminal",
                                             "legal_transitions"};

INSTANTIATE_TEST_SUITE_P(Planted, ResourceFsmBug,
                         ::testing::Values(PlantedBug{"no_version_check", {"no_lost_update"}, 10},
                                           PlantedBug{"lease_without_fencing", {"one_writer_per_epoch"}, 20},
                                           PlantedBug{"non_idempotent_completion", kStateMachine, 10},
                                           PlantedBug{"lease_by_wall_clock", {"lease_judged_safely"}, 80}),
                         [](const auto& info) { return std::string(info.param.bug); });

TEST(ResourceFsm, TheSameSeedIsTheSameRun) {
  const Scenario scenario = load_scenario("resource_fsm", {"bug=lease_by_wall_clock"}, model_registry());
  const RunResult first = testing::run_scenario_seed(scenario, 11);
  const RunResult second = testing::run_scenario_seed(scenario, 11);
  EXPECT_EQ(first.fingerprint, second.fingerprint);
  EXPECT_EQ(first.events, second.events);
}

}  // namespace
}  // namespace detsim
