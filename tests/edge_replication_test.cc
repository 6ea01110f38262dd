// The edge replication model (models/edge_replication): both backfill
// algorithms pass their CI seeds under swarm faults with schema changes,
// the capacity configuration keeps up at 5M rows/s, every planted bug is
// caught inside 200 seeds with a replayable reproduce line, and every check
// rejects a known-bad state.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "models/edge_replication/binlog_codec.h"
#include "models/edge_replication/checks.h"
#include "models/edge_replication/interval_set.h"
#include "models/registry.h"
#include "replay/scenario.h"
#include "sim/world/simulation.h"
#include "tests/real_cli.h"
#include "tests/reproduce_check.h"
#include "tests/run_helpers.h"

namespace detsim {
namespace {

using testing::metric;
RunResult run_seed(const Scenario& scenario, uint64_t seed) { return testing::run_scenario_seed(scenario, seed); }

struct Algorithm {
  const char* backfill;
  uint64_t seeds;
};
void PrintTo(const Algorithm& a, std::ostream* out) { *out << a.backfill; }

class EdgeScenario : public ::testing::TestWithParam<Algorithm> {};

// docs/edge_replication.md: 200 of 200 seeds pass under each algorithm;
// CI runs a subset.
TEST_P(EdgeScenario, PassesItsCiSeedsWithSchemaChangesAndFaults) {
  const Scenario scenario =
      load_scenario("edge_replication", {std::string("backfill=") + GetParam().backfill}, model_registry());
  double schema_changes = 0;
  double restarts = 0;
  for (uint64_t seed = 1; seed <= GetParam().seeds; ++seed) {
    const RunResult result = run_seed(scenario, seed);
    ASSERT_EQ(result.verdict, Verdict::pass) << "seed " << seed << ": " << result.property << ": " << result.detail;
    EXPECT_EQ(metric(result, "rows_applied"), metric(result, "rows_committed")) << "seed " << seed;
    EXPECT_GT(metric(result, "backfill_s"), 0) << "seed " << seed;
    schema_changes += metric(result, "schema_changes");
    restarts += metric(result, "replicator_restarts");
  }
  EXPECT_GT(schema_changes, 2.0 * static_cast<double>(GetParam().seeds)) << "too few schema changes to matter";
  EXPECT_GT(restarts, 0) << "the replicator never crashed: the faults did not reach it";
}

INSTANTIATE_TEST_SUITE_P(Backfill, EdgeScenario, ::testing::Values(Algorithm{"dblog", 25}, Algorithm{"rowlock", 25}),
                         [](const auto& info) { return std::string(info.param.backfill); });

// A 10 s slice of the capacity scenario with enough workers: it keeps up,
// and the lag stays far below a second.
TEST(EdgeCapacity, KeepsUpWithFiveMillionRowsPerSecond) {
  const Scenario scenario =
      load_scenario("edge_replication_capacity", {"duration=10s", "settle=3s", "workers=128"}, model_registry());
  const RunResult result = run_seed(scenario, 1);
  ASSERT_EQ(result.verdict, Verdict::pass) << result.property << ": " << result.detail;
  EXPECT_NEAR(metric(result, "offered_rows_per_s"), 5e6, 5e4);
  EXPECT_NEAR(metric(result, "rows_per_s"), metric(result, "offered_rows_per_s"), 5e4);
  EXPECT_LT(metric(result, "lag_p99_s"), 1.0);
  EXPECT_GT(metric(result, "lag_p50_s"), 0.02) << "below one round trip to the edge";
  EXPECT_LE(metric(result, "lag_p50_s"), metric(result, "lag_p99_s"));
  EXPECT_LE(metric(result, "lag_p99_s"), metric(result, "lag_p999_s"));
  EXPECT_LE(metric(result, "lag_p999_s"), metric(result, "lag_max_s"));
}

// Too few workers: the backlog grows, the run cannot catch up after the
// workload stops, and that is a liveness verdict, not a pass.
TEST(EdgeCapacity, TooFewWorkersIsALivenessFailure) {
  const Scenario scenario =
      load_scenario("edge_replication_capacity", {"duration=10s", "settle=2s", "workers=16"}, model_registry());
  const RunResult result = run_seed(scenario, 1);
  EXPECT_EQ(result.verdict, Verdict::liveness) << result.property;
  EXPECT_EQ(result.property, "caught_up_after_heal");
  EXPECT_LT(metric(result, "rows_per_s"), 0.5 * metric(result, "offered_rows_per_s"));
}

struct PlantedBug {
  const char* bug;
  std::vector<std::string> overrides;
  std::set<std::string> properties;  // what the first catching seed may report
  uint64_t seed_bound;               // measured first catch, with room (docs/edge_replication.md)
};
void PrintTo(const PlantedBug& planted, std::ostream* out) { *out << planted.bug; }

// The stock scenario, with only the bug (and rowlock for the rowlock bug):
// the scenario users' CI runs must catch every planted bug on its own.
class EdgePlantedBug : public ::testing::TestWithParam<PlantedBug> {};

TEST_P(EdgePlantedBug, IsCaughtByTheStockScenarioInsideTwoHundredSeeds) {
  const PlantedBug& planted = GetParam();
  std::vector<std::string> overrides = planted.overrides;
  overrides.push_back(std::string("bug=") + planted.bug);
  const Scenario scenario = load_scenario("edge_replication", overrides, model_registry());
  RunResult failure;
  const uint64_t caught = testing::first_safety_seed(scenario, 200, &failure);
  ASSERT_NE(caught, 0u) << planted.bug << " survived seeds 1..200";
  EXPECT_TRUE(planted.properties.count(failure.property)) << failure.property << ": " << failure.detail;
  EXPECT_LE(caught, planted.seed_bound) << "first caught at seed " << caught;
  RecordProperty("first_caught_seed", static_cast<int>(caught));
}

INSTANTIATE_TEST_SUITE_P(
    Bugs, EdgePlantedBug,
    ::testing::Values(PlantedBug{"no_row_lock", {"backfill=rowlock"}, {"edge_equals_source", "no_time_travel"}, 50},
                      PlantedBug{"emit_chunk_at_select", {}, {"no_time_travel", "edge_equals_source"}, 10},
                      PlantedBug{"skip_window_dedup", {}, {"no_time_travel", "edge_equals_source"}, 10},
                      PlantedBug{
                          "checkpoint_before_apply", {}, {"checkpoint_durable_on_edge", "edge_equals_source"}, 10},
                      PlantedBug{"unordered_parallel_apply", {"backfill=rowlock"}, {"edge_equals_source"}, 10},
                      PlantedBug{"unordered_parallel_apply", {}, {"no_time_travel", "edge_equals_source"}, 10}),
    [](const auto& info) { return fmt::format("{}_{}", info.param.bug, info.index); });

// scenarios/edge_replication_verify.toml: real divergence at the edge
// (rogue writes, lost target writes). The verifier must report exactly the
// keys that truly differ at the end, and every difference must be injected.
constexpr uint64_t kVerifySeeds = 6;

TEST(EdgeVerify, TheVerifierReportsExactlyTheTrulyDivergedKeys) {
  const Scenario scenario = load_scenario("edge_replication_verify", {}, model_registry());
  uint64_t diverged_runs = 0;
  for (uint64_t seed = 1; seed <= kVerifySeeds; ++seed) {
    const RunResult result = run_seed(scenario, seed);
    ASSERT_EQ(result.verdict, Verdict::pass) << "seed " << seed << ": " << result.property << ": " << result.detail;
    EXPECT_EQ(metric(result, "verifier_keys"), metric(result, "diverged_keys")) << "seed " << seed;
    EXPECT_LE(metric(result, "diverged_keys"), metric(result, "injected_keys")) << "seed " << seed;
    if (metric(result, "diverged_keys") > 0) ++diverged_runs;
  }
  EXPECT_EQ(diverged_runs, kVerifySeeds) << "a run without divergence tests the verifier only against agreement";
}

TEST(EdgeVerify, AVerifierThatComparesOnlyPartOfTheRowsIsCaught) {
  const Scenario scenario = load_scenario("edge_replication_verify", {"verify_coverage=first_half"}, model_registry());
  RunResult failure;
  const uint64_t caught = testing::first_safety_seed(scenario, kVerifySeeds, &failure);
  ASSERT_NE(caught, 0u) << "a verifier blind to half of every range passed seeds 1.." << kVerifySeeds;
  EXPECT_EQ(failure.property, "verifier_truthful") << failure.detail;
  EXPECT_NE(failure.detail.find("missed"), std::string::npos) << failure.detail;
}

TEST(EdgeVerify, WithoutInjectionNothingDiverges) {
  const Scenario scenario = load_scenario("edge_replication_verify", {"inject_divergence=false"}, model_registry());
  const RunResult result = run_seed(scenario, 1);
  ASSERT_EQ(result.verdict, Verdict::pass) << result.property << ": " << result.detail;
  EXPECT_EQ(metric(result, "diverged_keys"), 0);
  EXPECT_EQ(metric(result, "injected_keys"), 0);
}

TEST(EdgeReproduce, TheReproduceLineReplaysTheSameFingerprint) {
  const std::string replay = testing::expect_reproduce_replays(
      {"run", "edge_replication", "--seeds", "1..2", "--set", "bug=skip_window_dedup"}, 1);
  EXPECT_NE(replay.find("property: "), std::string::npos) << replay;
}

TEST(EdgeJson, RunJsonCarriesTheLagAndThroughputMetrics) {
  testing::CliRun run = testing::real_cli(
      {"run", "edge_replication", "--seed", "2", "--json", "--set", "duration=8s", "--set", "settle=4s"});
  ASSERT_EQ(run.code, 0) << run.out;
  for (const char* key :
       {"\"rows_per_s\"", "\"lag_p50_s\"", "\"lag_p90_s\"", "\"lag_p99_s\"", "\"lag_p999_s\"", "\"lag_max_s\"",
        "\"backlog_max_rows\"", "\"worker_utilisation\"", "\"backfill_s\"", "\"wall_s\"", "\"sim_s\""}) {
    EXPECT_NE(run.out.find(key), std::string::npos) << key << " missing from " << run.out;
  }
}

TEST(EdgeWorkload, BurstyArrivalsKeepTheirMeanRate) {
  const Scenario scenario = load_scenario(
      "edge_replication",
      {"arrivals=bursty", "rate=4000", "faults.swarm=false", "faults.schedule=", "duration=30s", "settle=4s"},
      model_registry());
  const RunResult result = run_seed(scenario, 3);
  ASSERT_EQ(result.verdict, Verdict::pass) << result.property << ": " << result.detail;
  EXPECT_NEAR(metric(result, "offered_rows_per_s"), 4000, 400);
}

// ---- the checks, shown known-bad states ----

std::vector<edge::Table> one_table_with(int64_t key, uint64_t version) {
  std::vector<edge::Table> tables(1);
  tables[0].schema() = edge::initial_schema();
  tables[0].slot(key) = edge::Table::Slot{edge::initial_row(tables[0].schema(), key), true};
  tables[0].slot(key).row.version = version;
  return tables;
}

TEST(EdgeChecks, EqualTablesAndATruthfulVerifierPass) {
  const auto source = one_table_with(7, 3);
  const auto edge = one_table_with(7, 3);
  const edge::FinalVerification said_match{true, "", Time::zero(), {}};
  EXPECT_EQ(edge::check_edge_equals_source(&source, &edge, said_match).verdict, Verdict::pass);
}

TEST(EdgeChecks, AStaleRowIsADifference) {
  const auto source = one_table_with(7, 4);
  const auto edge = one_table_with(7, 3);
  const edge::FinalVerification said_mismatch{false, "table 0 keys [0, 99]", Time::zero(), {{0, 7}}};
  const CheckResult result = edge::check_edge_equals_source(&source, &edge, said_mismatch);
  EXPECT_EQ(result.verdict, Verdict::safety);
  EXPECT_EQ(result.property, "edge_equals_source");
  EXPECT_NE(result.detail.find("key 7"), std::string::npos) << result.detail;
}

TEST(EdgeChecks, AVerifierThatSaysMatchOnAMismatchIsCaught) {
  const auto source = one_table_with(7, 4);
  auto edge = one_table_with(7, 4);
  edge[0].slot(7).row.columns[1].value += 1;  // one column differs
  const edge::FinalVerification said_match{true, "", Time::zero(), {}};
  const CheckResult result = edge::check_edge_equals_source(&source, &edge, said_match);
  EXPECT_EQ(result.verdict, Verdict::safety);
  EXPECT_EQ(result.property, "verifier_truthful");
}

TEST(EdgeChecks, AVerifierThatMissesADivergedKeyIsCaught) {
  const auto source = one_table_with(7, 4);
  auto edge = one_table_with(7, 4);
  edge[0].slot(9) = edge::Table::Slot{edge::initial_row(edge[0].schema(), 9), true};  // a rogue insert
  edge[0].slot(7).row.columns[0].value = -1;                                          // a rogue update
  const edge::FinalVerification found_one{false, "table 0 keys [0, 99]", Time::zero(), {{0, 7}}};
  const CheckResult result = edge::check_edge_equals_source(&source, &edge, found_one, {{0, 7}, {0, 9}});
  EXPECT_EQ(result.property, "verifier_truthful");
  EXPECT_NE(result.detail.find("missed table 0 key 9"), std::string::npos) << result.detail;
  const edge::FinalVerification found_both{false, "table 0 keys [0, 99]", Time::zero(), {{0, 7}, {0, 9}}};
  EXPECT_EQ(edge::check_edge_equals_source(&source, &edge, found_both, {{0, 7}, {0, 9}}).verdict, Verdict::pass)
      << "injected differences, all reported";
}

TEST(EdgeChecks, AVerifierThatReportsAnEqualKeyIsCaught) {
  const auto source = one_table_with(7, 4);
  auto edge = one_table_with(7, 4);
  edge[0].slot(7).row.columns[0].value = -1;
  const edge::FinalVerification false_alarm{false, "table 0 keys [0, 99]", Time::zero(), {{0, 7}, {0, 8}}};
  const CheckResult result = edge::check_edge_equals_source(&source, &edge, false_alarm, {{0, 7}});
  EXPECT_EQ(result.property, "verifier_truthful");
  EXPECT_NE(result.detail.find("key 8, which is equal"), std::string::npos) << result.detail;
}

TEST(EdgeChecks, ADifferenceNobodyInjectedFailsEvenWhenReported) {
  const auto source = one_table_with(7, 4);
  auto edge = one_table_with(7, 4);
  edge[0].slot(7).row.version = 3;
  const edge::FinalVerification reported{false, "table 0 keys [0, 99]", Time::zero(), {{0, 7}}};
  const CheckResult result = edge::check_edge_equals_source(&source, &edge, reported, {{0, 8}});
  EXPECT_EQ(result.property, "edge_equals_source");
  EXPECT_EQ(edge::differing_keys(source, edge), (edge::KeySet{{0, 7}}));
}

TEST(EdgeChecks, ACheckpointPastARowTheEdgeLacksIsCaught) {
  edge::EdgeParams params;
  edge::Observer observer(params);
  observer.on_commit(0, 10, Time::zero(), Time::zero());
  edge::ApplyBatch batch;
  for (uint64_t seq : {0, 1, 2, 3, 5}) {
    edge::RowChange change;
    change.seq = seq;
    batch.changes.push_back(change);
  }
  observer.on_stream_applied(batch, Time::zero());
  observer.on_checkpoint({4, {}, {}}, Time::zero());
  EXPECT_FALSE(observer.checkpoint_ahead().has_value()) << "rows 0..3 are durable";
  observer.on_checkpoint({6, {}, {}}, Time::zero());
  ASSERT_TRUE(observer.checkpoint_ahead().has_value());
  EXPECT_EQ(observer.checkpoint_ahead()->missing, 4u);
  const CheckResult result = edge::check_checkpoint_durable_on_edge(observer.checkpoint_ahead());
  EXPECT_EQ(result.property, "checkpoint_durable_on_edge");
}

TEST(EdgeChecks, ACursorMovedPastAQueuedChunkRowIsCaught) {
  edge::EdgeParams params;
  edge::Observer observer(params);
  for (int64_t key : {3, 4}) observer.on_chunk_row_emitted(1, key, 50);
  edge::ApplyBatch batch;
  edge::RowChange change;
  change.table = 1;
  change.key = 3;
  change.seq = 50;
  change.backfill = true;
  batch.changes.push_back(change);
  observer.on_stream_applied(batch, Time::zero());
  observer.on_chunk_done(0, Time::zero());
  EXPECT_FALSE(observer.chunk_ahead().has_value()) << "table 0 has nothing queued";
  observer.on_chunk_done(1, Time::zero());
  ASSERT_TRUE(observer.chunk_ahead().has_value());
  EXPECT_EQ(observer.chunk_ahead()->key, 4);
  EXPECT_EQ(edge::check_chunk_applied_before_cursor(observer.chunk_ahead()).property, "chunk_applied_before_cursor");
  edge::Observer restarted(params);
  restarted.on_chunk_row_emitted(1, 4, 50);
  restarted.on_replicator_restart();  // the queue died with the replicator
  restarted.on_chunk_done(1, Time::zero());
  EXPECT_FALSE(restarted.chunk_ahead().has_value());
}

TEST(EdgeChecks, AMissingSchemaChangeIsADifference) {
  auto source = one_table_with(1, 1);
  const auto edge = one_table_with(1, 1);
  source[0].apply_ddl(edge::Ddl{0, true, 3, 1});
  const CheckResult result = edge::check_edge_equals_source(&source, &edge, std::nullopt);
  EXPECT_EQ(result.property, "edge_equals_source");
  EXPECT_NE(result.detail.find("schema"), std::string::npos) << result.detail;
}

TEST(EdgeChecks, TimeTravelAndCheckpointRegressionAreSafetyFailures) {
  EXPECT_EQ(edge::check_no_time_travel(std::nullopt).verdict, Verdict::pass);
  const CheckResult travel = edge::check_no_time_travel(edge::TimeTravel{0, 5, 3, 4, Time::zero()});
  EXPECT_EQ(travel.verdict, Verdict::safety);
  EXPECT_EQ(travel.property, "no_time_travel");
  edge::Checkpoint before{100, {10}, {false}};
  edge::Checkpoint after{90, {10}, {false}};
  const CheckResult back = edge::check_checkpoints_forward(edge::CheckpointRegression{before, after, Time::zero()});
  EXPECT_EQ(back.verdict, Verdict::safety);
  EXPECT_EQ(back.property, "checkpoints_forward");
}

TEST(EdgeChecks, ObserverFlagsACopyOlderThanTheStreamedVersion) {
  edge::EdgeParams params;
  params.tables = 1;
  params.keys = 10;
  edge::Observer observer(params);
  observer.on_durable_writes({{0, 4, 6, false}, {0, 4, 6, true}}, Time::zero());
  EXPECT_FALSE(observer.time_travel().has_value()) << "an equal version is no time travel";
  observer.on_durable_writes({{0, 4, 5, true}}, Time::zero());
  ASSERT_TRUE(observer.time_travel().has_value());
  EXPECT_EQ(observer.time_travel()->streamed_version, 6u);
  observer.on_checkpoint({10, {0}, {false}}, Time::zero());
  observer.on_checkpoint({12, {0}, {true}}, Time::zero());
  EXPECT_FALSE(observer.checkpoint_regression().has_value());
  observer.on_checkpoint({12, {0}, {false}}, Time::zero());
  EXPECT_TRUE(observer.checkpoint_regression().has_value()) << "a table un-backfilled";
}

TEST(EdgeChecks, ExactlyOnceRejectsAGapAndCaughtUpRejectsNoCatchUp) {
  edge::IntervalSet committed;
  committed.insert(0, 100);
  edge::IntervalSet applied;
  applied.insert(0, 40);
  applied.insert(50, 100);
  const CheckResult gap = edge::check_exactly_once(committed, &applied);
  EXPECT_EQ(gap.verdict, Verdict::safety);
  EXPECT_NE(gap.detail.find("position 40"), std::string::npos) << gap.detail;
  applied.insert(40, 50);
  EXPECT_EQ(edge::check_exactly_once(committed, &applied).verdict, Verdict::pass);
  EXPECT_EQ(edge::check_caught_up(std::nullopt, Time::zero(), 10, 5).verdict, Verdict::liveness);
  EXPECT_EQ(edge::check_caught_up(Time::zero(), Time::zero(), 10, 10).verdict, Verdict::pass);
}

TEST(EdgeIntervalSet, MergesAndCountsNewPositionsOnly) {
  edge::IntervalSet set;
  EXPECT_EQ(set.insert(10, 20), 10u);
  EXPECT_EQ(set.insert(15, 25), 5u);
  EXPECT_EQ(set.insert(0, 5), 5u);
  EXPECT_EQ(set.insert(5, 10), 5u);
  EXPECT_EQ(set.ranges().size(), 1u);
  EXPECT_EQ(set.total(), 25u);
  EXPECT_EQ(set.insert(3, 24), 0u);
}

TEST(EdgeBinlog, GroupsRoundTripAndTornRecordsAreRejected) {
  edge::BinlogGroup group;
  group.first_seq = 40;
  group.commit_time = Time::from_ns(123456);
  edge::RowChange change;
  change.table = 1;
  change.key = 9;
  change.kind = edge::ChangeKind::update;
  change.seq = 40;
  change.before_version = 2;
  change.after = edge::Row{3, {{0, 5}, {2, 7}}};
  group.changes = {change};
  group.rows = group.span = 1;
  const std::string bytes = edge::encode_group(group);
  const std::optional<edge::BinlogGroup> back = edge::decode_group(bytes);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->first_seq, 40u);
  EXPECT_EQ(back->commit_time, group.commit_time);
  ASSERT_EQ(back->changes.size(), 1u);
  EXPECT_EQ(back->changes[0].after, change.after);
  EXPECT_FALSE(edge::decode_group(std::string_view(bytes).substr(0, bytes.size() - 3)).has_value());
}

TEST(EdgeRows, NormalizeFillsNewColumnsAndDropsOldOnes) {
  edge::Schema schema;
  schema.columns = {0, 2, 5};
  const edge::Row row{4, {{0, 1}, {1, 9}, {2, 3}}};
  const edge::Row out = edge::normalize(row, schema);
  EXPECT_EQ(out.version, 4u);
  ASSERT_EQ(out.columns.size(), 3u);
  EXPECT_EQ(out.columns[0], (edge::Column{0, 1}));
  EXPECT_EQ(out.columns[1], (edge::Column{2, 3}));
  EXPECT_EQ(out.columns[2], (edge::Column{5, edge::kColumnDefault}));
}

}  // namespace
}  // namespace detsim
