// The broadcast model against each fault family, as its scenario files run
// it: the planted bugs of the world issue are caught within 100 seeds, the
// same scenarios without them pass 200, every fault family actually shows
// up in the schedules and the trace, and a schedule saved by
// `replay --save-faults` replays to the same fingerprint.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "models/broadcast/durable_log.h"
#include "models/registry.h"
#include "replay/scenario.h"
#include "sim/world/simulation.h"
#include "tests/network_harness.h"
#include "tests/property_harness.h"
#include "tests/real_cli.h"
#include "tests/run_helpers.h"

namespace detsim {
namespace {

namespace fs = std::filesystem;

RunResult run_scenario(const Scenario& scenario, uint64_t seed, TraceSink* trace = nullptr) {
  RunRequest request;
  request.model = scenario.model;
  request.params = scenario.params;
  request.seed = seed;
  request.trace = trace;
  return simulate(request);
}

struct PlantedBug {
  const char* scenario;
  const char* bug;
  const char* property;  // "" for either of the model's safety properties
  bool needs_faults;     // false: an oracle sees the broken promise on any seed
};

void PrintTo(const PlantedBug& planted, std::ostream* out) { *out << planted.scenario << " bug=" << planted.bug; }

class BroadcastPlantedBug : public ::testing::TestWithParam<PlantedBug> {};

TEST_P(BroadcastPlantedBug, IsCaughtWithinOneHundredSeeds) {
  const PlantedBug& planted = GetParam();
  const Scenario scenario = load_scenario(planted.scenario, {std::string("bug=") + planted.bug}, model_registry());
  RunResult failure;
  const uint64_t seed = testing::first_failing_seed(scenario, 100, &failure);
  ASSERT_NE(seed, 0u) << planted.bug << " survived seeds 1..100 of " << planted.scenario;
  EXPECT_EQ(failure.verdict, Verdict::safety);
  if (*planted.property != '\0') {
    EXPECT_EQ(failure.property, planted.property) << failure.detail;
  }
  if (planted.needs_faults) {
    EXPECT_FALSE(failure.faults.actions.empty()) << "a fault, not luck, must reveal the bug";
  }
  // The stock scenario, with nothing but the bug set, is what users' CI
  // runs: it must catch every planted bug early.
  if (std::string(planted.scenario) == "broadcast") {
    EXPECT_LE(seed, 10u) << "first caught at seed " << seed;
  }
}

INSTANTIATE_TEST_SUITE_P(
    WorldBugs, BroadcastPlantedBug,
    ::testing::Values(PlantedBug{"broadcast_disk", "ack_before_fsync", "ack_durable_on_majority", false},
                      PlantedBug{"broadcast_clock", "trust_wall_clock", "", false},
                      PlantedBug{"broadcast", "no_retry", "acked_value_everywhere", false},
                      PlantedBug{"broadcast", "ack_before_fsync", "ack_durable_on_majority", false},
                      PlantedBug{"broadcast", "trust_wall_clock", "", false}),
    [](const auto& info) { return std::string(info.param.scenario) + "_" + info.param.bug; });

struct FamilyScenario {
  const char* scenario;
  std::set<FaultKind> kinds;  // each must appear in some seed's schedule
};

void PrintTo(const FamilyScenario& family, std::ostream* out) { *out << family.scenario; }

class FaultScenario : public ::testing::TestWithParam<FamilyScenario> {};

TEST_P(FaultScenario, PassesTwoHundredSeedsAndExercisesItsFaults) {
  const FamilyScenario& family = GetParam();
  const Scenario scenario = load_scenario(family.scenario, {}, model_registry());
  std::set<FaultKind> seen;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    RunResult result = run_scenario(scenario, seed);
    ASSERT_EQ(result.verdict, Verdict::pass) << "seed " << seed << ": " << result.property << ": " << result.detail
                                             << "\n  faults: " << result.faults.to_short_string();
    for (const FaultAction& action : result.faults.actions) seen.insert(action.kind);
  }
  for (FaultKind kind : family.kinds) EXPECT_TRUE(seen.contains(kind)) << "no " << to_string(kind) << " in 200 seeds";
}

INSTANTIATE_TEST_SUITE_P(
    Families, FaultScenario,
    ::testing::Values(FamilyScenario{"broadcast_partitions", {FaultKind::partition, FaultKind::heal, FaultKind::clog}},
                      FamilyScenario{"broadcast_disk",
                                     {FaultKind::crash, FaultKind::restart, FaultKind::corrupt, FaultKind::misdirect,
                                      FaultKind::disk_full, FaultKind::disk_slow}},
                      FamilyScenario{"broadcast_clock", {FaultKind::clock_jump, FaultKind::clock_drift}}),
    [](const auto& info) { return std::string(info.param.scenario); });

// What the trace says about faults, for one seed of a scenario.
std::string fault_lines(const char* name, uint64_t seed) {
  const Scenario scenario = load_scenario(name, {}, model_registry());
  testing::TraceCollector trace;
  run_scenario(scenario, seed, &trace);
  std::string lines;
  for (const std::string& text : trace.texts(TraceKind::fault)) lines += text + "\n";
  return lines;
}

TEST(BroadcastFaultTrace, EveryFamilyLeavesLinesInTheTrace) {
  // Seeds whose swarm configuration switches the family on.
  const std::string disk = fault_lines("broadcast_disk", 1) + fault_lines("broadcast_disk", 2);
  EXPECT_NE(disk.find("swarm: "), std::string::npos) << disk;
  EXPECT_NE(disk.find("disk: "), std::string::npos) << disk;
  std::string clock;
  for (uint64_t seed = 1; seed <= 4; ++seed) clock += fault_lines("broadcast_clock", seed);
  EXPECT_NE(clock.find("clock: jump"), std::string::npos);
  EXPECT_NE(clock.find("clock: drift"), std::string::npos);
  EXPECT_NE(clock.find("clock: ntp"), std::string::npos);
  std::string partitions;
  for (uint64_t seed = 1; seed <= 4; ++seed) partitions += fault_lines("broadcast_partitions", seed);
  EXPECT_NE(partitions.find("partition"), std::string::npos) << partitions;
}

// The real command line, in process, with the real models.
using testing::real_cli;

std::string fingerprint_of(const std::string& out) {
  const size_t at = out.find("fingerprint=");
  return at == std::string::npos ? "" : out.substr(at, 28);
}

TEST(SaveFaults, ReplayingTheSavedScheduleGivesTheSameFingerprint) {
  const fs::path file = fs::temp_directory_path() / "detsim_save_faults_test.txt";
  for (const char* name : {"broadcast_disk", "broadcast_partitions", "broadcast_clock"}) {
    testing::CliRun original = real_cli({"replay", name, "--seed", "1", "--save-faults", file.string()});
    ASSERT_EQ(original.code, 0) << original.err;
    ASSERT_NE(original.out.find("faults: " + file.string()), std::string::npos) << original.out;
    testing::CliRun replayed = real_cli({"replay", name, "--seed", "1", "--faults", file.string()});
    ASSERT_EQ(replayed.code, 0) << replayed.err;
    EXPECT_FALSE(fingerprint_of(original.out).empty());
    EXPECT_EQ(fingerprint_of(replayed.out), fingerprint_of(original.out)) << name;
  }
  fs::remove(file);
}

TEST(SaveFaults, AFailingRunsReportNamesSwarmFaultsAndAReplayableSchedule) {
  const fs::path file = fs::temp_directory_path() / "detsim_save_faults_failure.txt";
  testing::CliRun failing = real_cli({"run", "broadcast_clock", "--seed", "2", "--set", "bug=trust_wall_clock"});
  ASSERT_EQ(failing.code, 1) << failing.out;
  EXPECT_NE(failing.out.find("  swarm: "), std::string::npos) << failing.out;
  EXPECT_NE(failing.out.find("  faults: "), std::string::npos) << failing.out;
  testing::CliRun saved = real_cli(
      {"replay", "broadcast_clock", "--seed", "2", "--set", "bug=trust_wall_clock", "--save-faults", file.string()});
  ASSERT_EQ(saved.code, 1);
  // The saved file, edited by hand, is still a schedule --faults reads.
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("clock_jump n"), std::string::npos) << text.str();
  testing::CliRun replayed =
      real_cli({"run", "broadcast_clock", "--seed", "2", "--set", "bug=trust_wall_clock", "--faults", file.string()});
  EXPECT_EQ(replayed.code, 1);
  EXPECT_EQ(fingerprint_of(replayed.out), fingerprint_of(failing.out));
  EXPECT_NE(replayed.out.find("--faults " + file.string()), std::string::npos) << "reproduce names the file";
  fs::remove(file);
}

TEST(SaveFaults, FaultsNoneRunsWithoutFaults) {
  testing::CliRun result =
      real_cli({"run", "broadcast_partitions", "--seed", "2", "--set", "bug=no_retry", "--faults", "none", "--json"});
  EXPECT_EQ(result.code, 0) << result.out;
  EXPECT_NE(result.out.find("\"faults\":\"\""), std::string::npos) << result.out;
}

TEST(DurableLogRecord, RoundTripsAndRejectsDamage) {
  for (int64_t value : {int64_t{0}, int64_t{1}, int64_t{-7}, int64_t{1} << 40}) {
    std::string record = broadcast::DurableLog::encode(value);
    ASSERT_EQ(record.size(), broadcast::DurableLog::kRecordBytes);
    int64_t decoded = 0;
    ASSERT_TRUE(broadcast::DurableLog::decode(record.data(), &decoded));
    EXPECT_EQ(decoded, value);
    for (size_t byte = 0; byte < record.size(); ++byte) {
      std::string damaged = record;
      damaged[byte] = static_cast<char>(damaged[byte] ^ 0x10);
      EXPECT_FALSE(broadcast::DurableLog::decode(damaged.data(), &decoded)) << "flip in byte " << byte;
    }
  }
  // Zeros (a hole, or a sector that never reached the platter) are no record.
  const std::string zeros(broadcast::DurableLog::kRecordBytes, '\0');
  int64_t decoded = 0;
  EXPECT_FALSE(broadcast::DurableLog::decode(zeros.data(), &decoded));
}

}  // namespace
}  // namespace detsim

namespace detsim {
namespace {

testing::PropertySetup durable_broadcast_setup(const std::string& bug) {
  const Scenario scenario =
      load_scenario("broadcast_disk", {"duration=15s", "settle=5s", "bug=" + bug}, model_registry());
  testing::PropertySetup setup;
  setup.model = scenario.model;
  setup.params = scenario.params;
  setup.heal_ms = 10'000;
  setup.kinds = {testing::SpecKind::crash, testing::SpecKind::power, testing::SpecKind::partition,
                 testing::SpecKind::pause};
  return setup;
}

RC_GTEST_PROP(DurableBroadcastProperty, KeepsAcknowledgedValuesUnderGeneratedSchedules, ()) {
  const testing::PropertyCase c = testing::generate_property_case(durable_broadcast_setup("none"));
  RC_LOG() << "seed " << c.seed << ": " << c.schedule.to_short_string() << "\n";
  RC_ASSERT(c.result.verdict == Verdict::pass);
}

TEST(DurableBroadcastProperty, AckBeforeFsyncShrinksToAFewFaultsThatReplay) {
  const testing::PropertySetup setup = durable_broadcast_setup("ack_before_fsync");
  const testing::ShrunkFailure found = testing::find_and_shrink(setup, /*rc_seed=*/1, /*max_success=*/100);
  ASSERT_TRUE(found.failed) << "ack_before_fsync survived 100 generated schedules";
  const FaultSchedule& minimal = found.last_failure.schedule;
  EXPECT_LE(found.last_failure.faults, 2u) << minimal.to_file_text();
  // Printed as a --faults file, it replays the same failure.
  std::cout << "shrunk counterexample (seed " << found.last_failure.seed << "):\n" << minimal.to_file_text();
  std::string error;
  const std::optional<FaultSchedule> reread = FaultSchedule::parse_file_text(minimal.to_file_text(), &error);
  ASSERT_TRUE(reread.has_value()) << error;
  const testing::PropertyCase again = testing::run_property_case(setup, found.last_failure.seed, *reread);
  EXPECT_EQ(again.result.verdict, found.last_failure.result.verdict);
  EXPECT_EQ(again.result.fingerprint, found.last_failure.result.fingerprint);
}

}  // namespace
}  // namespace detsim
