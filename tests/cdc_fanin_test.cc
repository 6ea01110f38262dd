// The CDC fan-in model (models/cdc_fanin, docs/cdc_fanin.md): the stock
// scenario passes its CI seeds with its metrics in range, and each planted
// bug is caught by the stock scenario with only --set bug=NAME, inside a
// measured seed bound.
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

// docs/cdc_fanin.md: 200 of 200 seeds pass; CI runs the first few.
TEST(CdcFanin, StockScenarioPassesItsCiSeedsAndLoadsEverySource) {
  const Scenario scenario = load_scenario("cdc_fanin", {}, model_registry());
  double connector_starts = 0;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    const RunResult result = testing::run_scenario_seed(scenario, seed);
    ASSERT_EQ(result.verdict, Verdict::pass) << "seed " << seed << ": " << result.property << ": " << result.detail;
    EXPECT_GT(metric(result, "txns_loaded"), 0) << "seed " << seed;
    EXPECT_LE(metric(result, "freshness_p50_s"), metric(result, "freshness_p99_s"));
    EXPECT_LE(metric(result, "freshness_p99_s"), metric(result, "freshness_p999_s"));
    EXPECT_GT(metric(result, "wal_retained_max_bytes"), 0);
    connector_starts += metric(result, "connector_starts");
  }
  EXPECT_GT(connector_starts, 6 * 12) << "no connector ever restarted: the faults did not reach them";
}

// docs/cdc_fanin.md, "Late connectors": in seed 169 connector cn3 loses
// three incarnations to power loss before any acknowledged batch and
// starts from scratch at 6.4 s; in seed 874 cn1 starts from scratch at
// 9 s behind a partition. With one DBLog window at a time (169) or a
// loader that waited for each offset commit (874), their snapshots were
// not loaded by the end of the 20 s settle. Both must load every source
// with a few seconds to spare, and still after the heal (else the seed no
// longer exercises a late start).
TEST(CdcFanin, ConnectorsStartingFromScratchLateLoadTheirSnapshotInsideTheSettle) {
  const Scenario scenario = load_scenario("cdc_fanin", {}, model_registry());
  for (const uint64_t seed : {uint64_t{169}, uint64_t{874}}) {
    const RunResult result = testing::run_scenario_seed(scenario, seed);
    ASSERT_EQ(result.verdict, Verdict::pass) << "seed " << seed << ": " << result.property << ": " << result.detail;
    EXPECT_GT(metric(result, "snapshots_loaded_at_s"), 10.0) << "seed " << seed << " loaded before the heal";
    EXPECT_LT(metric(result, "snapshots_loaded_at_s"), 27.0) << "seed " << seed << " has no margin left";
  }
}

// docs/capacity.md, "CDC fan-in loader": at 40 transactions/s per source,
// 3 loader workers keep p99 freshness under 1 s, and 2 do not.
TEST(CdcFaninCapacity, ThreeLoaderWorkersKeepPNinetyNineFreshnessUnderOneSecond) {
  const Scenario three = load_scenario("cdc_fanin_capacity", {"rate=40", "loader_workers=3"}, model_registry());
  const RunResult fresh = testing::run_scenario_seed(three, 1);
  ASSERT_EQ(fresh.verdict, Verdict::pass) << fresh.property << ": " << fresh.detail;
  EXPECT_LT(metric(fresh, "freshness_p99_s"), 1.0);
  EXPECT_GT(metric(fresh, "loader_service_mean_s"), 0.05) << "the MERGE cost is not charged";
  const Scenario two = load_scenario("cdc_fanin_capacity", {"rate=40", "loader_workers=2"}, model_registry());
  const RunResult stale = testing::run_scenario_seed(two, 1);
  ASSERT_EQ(stale.verdict, Verdict::pass) << stale.property << ": " << stale.detail;
  EXPECT_GT(metric(stale, "freshness_p99_s"), 1.0);
}

// Measured first catches: docs/cdc_fanin.md.
using PlantedBug = testing::StockPlantedBug;

class CdcPlantedBug : public ::testing::TestWithParam<PlantedBug> {};

TEST_P(CdcPlantedBug, IsCaughtByTheStockScenarioInsideTwoHundredSeeds) {
  testing::expect_caught_by_stock_scenario("cdc_fanin", GetParam(), GetParam().seed_bound);
}

INSTANTIATE_TEST_SUITE_P(
    Bugs, CdcPlantedBug,
    ::testing::Values(PlantedBug{"loader_insert_not_upsert", {"no_duplicate_rows"}, 3},
                      PlantedBug{"offset_before_write", {"aggregates_match_at_watermark"}, 14},
                      PlantedBug{"slot_before_ack", {"aggregates_match_at_watermark"}, 10},
                      PlantedBug{"snapshot_no_window_dedup",
                                 {"no_time_travel", "no_resurrected_deletes", "aggregates_match_at_watermark"},
                                 10},
                      PlantedBug{"unclean_leader_election",
                                 {"aggregates_match_at_watermark", "no_acked_record_lost", "consistent_prefix"},
                                 80}),
    [](const auto& info) { return std::string(info.param.bug); });

}  // namespace
}  // namespace detsim
