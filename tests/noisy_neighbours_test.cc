// The noisy-neighbours model (models/noisy_neighbours): the stock scenario
// passes its CI seeds under mixed faults with every request answered once;
// the planted bug is caught inside its seed bound; shared mode breaks the
// isolation SLO under a burst that quota and pods modes contain; and the
// batch mode agrees with the explicit mode and with M/M/c.
#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "models/registry.h"
#include "replay/scenario.h"
#include "sim/world/simulation.h"
#include "tests/run_helpers.h"

namespace detsim {
namespace {

using testing::metric;

Scenario stock(std::vector<std::string> overrides = {}) {
  return load_scenario("noisy_neighbours", overrides, model_registry());
}

// docs/noisy_neighbours.md: seeds 1..100 pass; CI runs the first 12.
TEST(NoisyNeighbours, StockScenarioPassesItsCiSeedsUnderMixedFaults) {
  const Scenario scenario = stock();
  double restarts = 0, slow_probes = 0, failed = 0, throttled = 0;
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    const RunResult result = testing::run_scenario_seed(scenario, seed);
    ASSERT_EQ(result.verdict, Verdict::pass) << "seed " << seed << ": " << result.property << ": " << result.detail;
    EXPECT_EQ(metric(result, "requests_sent"),
              metric(result, "requests_ok") + metric(result, "requests_throttled") + metric(result, "requests_failed"))
        << "seed " << seed;
    EXPECT_GT(metric(result, "other_tenants_compared"), 0)
        << "seed " << seed << ": the isolation check compared no one";
    EXPECT_LE(metric(result, "worst_other_p99_degradation"), 2.0) << "seed " << seed;
    EXPECT_LT(metric(result, "p99_s"), 0.010) << "seed " << seed << ": the healthy p99 is over the 10 ms bar";
    restarts += metric(result, "server_restarts");
    slow_probes += metric(result, "slow_disk_probes");
    failed += metric(result, "requests_failed");
    throttled += metric(result, "requests_throttled");
  }
  EXPECT_GT(restarts, 0) << "no cache or database ever crashed: the faults did not reach them";
  EXPECT_GT(slow_probes, 0) << "no database ever saw its disk slow";
  EXPECT_GT(failed, 0) << "the faults failed no request";
  EXPECT_GT(throttled, 0) << "the bursts were never throttled";
}

// The stock scenario with only the bug set: measured first catch at seed 1
// (39 of seeds 1..40 fail, docs/noisy_neighbours.md); the bound leaves room.
TEST(NoisyNeighbours, QuotaKeyedGloballyIsCaughtInsideItsSeedBound) {
  const Scenario scenario = stock({"bug=quota_keyed_globally"});
  RunResult failure;
  const uint64_t caught = testing::first_safety_seed(scenario, 200, &failure);
  ASSERT_NE(caught, 0u) << "quota_keyed_globally survived seeds 1..200";
  EXPECT_LE(caught, 5u) << "first caught at seed " << caught;
  const std::set<std::string> expected{"throttled_innocent", "isolation_slo"};
  EXPECT_TRUE(expected.count(failure.property)) << failure.property << ": " << failure.detail;
  RecordProperty("first_caught_seed", static_cast<int>(caught));
}

// Pods mode's blast radius: with pod 0's database serving every pod, pod
// 1's tenants are answered and failed by pod 0 (measured: every seed of
// 1..10 fails on the first).
TEST(NoisyNeighbours, PodsShareDatabaseBreaksTheBlastRadius) {
  const Scenario scenario = stock({"isolation=pods", "bug=pods_share_database"});
  RunResult failure;
  const uint64_t caught = testing::first_safety_seed(scenario, 200, &failure);
  ASSERT_NE(caught, 0u) << "pods_share_database survived seeds 1..200";
  EXPECT_LE(caught, 3u);
  EXPECT_EQ(failure.property, "blast_radius") << failure.detail;
}

// One burst that overloads a shared pool: the biggest tenant at 40x.
std::vector<std::string> big_burst(const char* isolation) {
  return {std::string("isolation=") + isolation, "burst_tenant=0", "burst_factor=40"};
}

TEST(NoisyNeighbours, SharedModeViolatesTheIsolationSloUnderABurst) {
  const Scenario scenario = stock(big_burst("shared"));
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    const RunResult result = testing::run_scenario_seed(scenario, seed);
    EXPECT_EQ(result.verdict, Verdict::safety) << "seed " << seed;
    EXPECT_EQ(result.property, "isolation_slo") << "seed " << seed << ": " << result.detail;
  }
}

// The same burst, the same seeds: quota and pods modes keep it in.
TEST(NoisyNeighbours, QuotaAndPodsModesContainTheSameBurst) {
  for (const char* isolation : {"quota", "pods"}) {
    const Scenario scenario = stock(big_burst(isolation));
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      const RunResult result = testing::run_scenario_seed(scenario, seed);
      EXPECT_EQ(result.verdict, Verdict::pass)
          << isolation << " seed " << seed << ": " << result.property << ": " << result.detail;
      EXPECT_LE(metric(result, "worst_other_p99_degradation"), 2.0) << isolation << " seed " << seed;
    }
  }
}

// docs/capacity.md's answer: at 2M req/s, 32 tenants at skew 1, 3 pods
// keep p99 under 10 ms; with 2, the biggest tenant's pod is overloaded
// and sheds.
TEST(NoisyNeighbours, CapacityThreePodsMeetTheBarAtTwoMillionAndTwoDoNot) {
  const RunResult three =
      testing::run_scenario_seed(load_scenario("noisy_neighbours_capacity", {"pods=3"}, model_registry()), 1);
  ASSERT_EQ(three.verdict, Verdict::pass) << three.property << ": " << three.detail;
  EXPECT_NEAR(metric(three, "offered_req_per_s"), 2e6, 2e4);
  EXPECT_LT(metric(three, "p99_s"), 0.010);
  EXPECT_EQ(metric(three, "db_shed"), 0);
  EXPECT_LT(metric(three, "mmc_busiest_db_rho"), 1);
  const RunResult two =
      testing::run_scenario_seed(load_scenario("noisy_neighbours_capacity", {"pods=2"}, model_registry()), 1);
  EXPECT_GT(metric(two, "p99_s"), 0.010);
  EXPECT_GT(metric(two, "db_shed"), 0);
  EXPECT_GE(metric(two, "mmc_busiest_db_rho"), 1);
}

// An M/M/c database and nothing else: every request misses (one cache
// entry, a million uniform keys), one tenant at 3000/s on 4 workers of
// 1 ms (rho 0.75), no faults, a 10 s measured window.
std::vector<std::string> mmc_config(const char* requests) {
  return {std::string("requests=") + requests,
          "isolation=shared",
          "tenants=1",
          "pods=1",
          "db_workers=4",
          "db_service=1ms",
          "load=3000",
          "cache_entries=1",
          "key_skew=0",
          "keys=1000000",
          "burst_factor=1",
          "hot_key_share=0",
          "duration=25s",
          "settle=24s",
          "burst_length=10s",
          "faults.crash_interval=0s",
          "faults.disk_slow_interval=0s",
          "faults.partition_interval=0s",
          "faults.pause_interval=0s",
          "faults.clog_interval=0s",
          "swarm.timing=false"};
}

// Explicit requests are a Poisson stream: their waits are M/M/c's. Batches
// spread each tick's count evenly, which is smoother than Poisson, so they
// wait somewhat less (measured: 14% below theory), never more.
TEST(NoisyNeighbours, BatchModeAgreesWithExplicitModeAndMmc) {
  const RunResult explicit_run = testing::run_scenario_seed(stock(mmc_config("explicit")), 1);
  const RunResult batch_run = testing::run_scenario_seed(stock(mmc_config("batch")), 1);
  ASSERT_EQ(explicit_run.verdict, Verdict::pass) << explicit_run.property << ": " << explicit_run.detail;
  ASSERT_EQ(batch_run.verdict, Verdict::pass) << batch_run.property << ": " << batch_run.detail;
  EXPECT_NEAR(metric(explicit_run, "mmc_busiest_db_rho"), 0.75, 0.02);
  const double theory_mean = metric(explicit_run, "mmc_db_wait_mean_s");
  EXPECT_NEAR(metric(explicit_run, "db_wait_mean_s"), theory_mean, 0.15 * theory_mean);
  EXPECT_NEAR(metric(explicit_run, "db_wait_p99_s"), metric(explicit_run, "mmc_db_wait_p99_s"),
              0.15 * metric(explicit_run, "mmc_db_wait_p99_s"));
  const double batch_mean = metric(batch_run, "db_wait_mean_s");
  EXPECT_LT(batch_mean, 1.05 * metric(batch_run, "mmc_db_wait_mean_s"));
  EXPECT_GT(batch_mean, 0.7 * metric(batch_run, "mmc_db_wait_mean_s"));
  EXPECT_NEAR(metric(batch_run, "p99_s"), metric(explicit_run, "p99_s"), 0.15 * metric(explicit_run, "p99_s"));
  // The point of batches: far fewer events for the same requests.
  EXPECT_LT(static_cast<double>(batch_run.events), 0.5 * static_cast<double>(explicit_run.events));
}

}  // namespace
}  // namespace detsim
