// Shrinking fault schedules: units pair a fault with what ends it, delta
// debugging finds a 1-minimal failing subset of units, and `detsim shrink`
// turns a failing seed into a short schedule that still fails the same way.
#include "sim/fault/shrink.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/real_cli.h"

namespace detsim {
namespace {

namespace fs = std::filesystem;

FaultSchedule parse(std::string_view text) {
  std::string error;
  std::optional<FaultSchedule> schedule = FaultSchedule::parse_file_text(text, &error);
  EXPECT_TRUE(schedule.has_value()) << error;
  return schedule.value_or(FaultSchedule{});
}

bool has(const FaultSchedule& schedule, std::string_view action) {
  for (const FaultAction& a : schedule.actions) {
    if (to_short_string(a) == action) return true;
  }
  return false;
}

const char* kSchedule =
    "1s crash n1\n2s partition n0|n1,n2\n3s restart n1\n4s heal\n5s pause n2 100ms\n6s crash n0\n"
    "7s clock_jump n2 -1s\n8s restart n0\n9s corrupt n1 3\n";

TEST(FaultUnits, PairACrashWithItsRestartAndAPartitionWithItsHeal) {
  const FaultSchedule schedule = parse(kSchedule);
  const std::vector<std::vector<size_t>> units = fault_units(schedule);
  const std::vector<std::vector<size_t>> expected = {{0, 2}, {1, 3}, {4}, {5, 7}, {6}, {8}};
  EXPECT_EQ(units, expected);
}

TEST(Shrink, FindsTheTwoUnitsThatTogetherCauseTheFailure) {
  const FaultSchedule schedule = parse(kSchedule);
  // The "bug" needs the n0 crash and the clock jump, nothing else.
  auto fails = [](const FaultSchedule& candidate) {
    return has(candidate, "6s crash n0") && has(candidate, "7s clock_jump n2 -1s");
  };
  const ShrinkResult result = shrink_schedule(schedule, fails, 1000);
  EXPECT_FALSE(result.exhausted);
  EXPECT_EQ(result.schedule.to_short_string(), "6s crash n0; 7s clock_jump n2 -1s; 8s restart n0");
  EXPECT_LT(result.runs, 30u);
}

TEST(Shrink, AFailureThatNeedsNoFaultShrinksToNone) {
  const ShrinkResult result = shrink_schedule(
      parse(kSchedule), [](const FaultSchedule&) { return true; }, 100);
  EXPECT_TRUE(result.schedule.actions.empty());
  EXPECT_EQ(result.runs, 1u);
}

TEST(Shrink, StopsAtTheRunBudget) {
  const FaultSchedule schedule = parse(kSchedule);
  auto fails = [](const FaultSchedule& candidate) { return has(candidate, "9s corrupt n1 3"); };
  const ShrinkResult result = shrink_schedule(schedule, fails, 2);
  EXPECT_TRUE(result.exhausted);
  EXPECT_EQ(result.runs, 2u);
  EXPECT_TRUE(fails(result.schedule)) << "whatever it returns still fails";
}

using testing::real_cli;

TEST(ShrinkCommand, ShrinksAPlantedBugsScheduleAndTheFileReplaysTheFailure) {
  const fs::path file = fs::temp_directory_path() / "detsim_shrink_test.txt";
  testing::CliRun shrunk = real_cli(
      {"shrink", "broadcast_partitions", "--seed", "2", "--set", "bug=no_retry", "--save-faults", file.string()});
  ASSERT_EQ(shrunk.code, 1) << shrunk.out << shrunk.err;
  EXPECT_NE(shrunk.out.find("seed=2 verdict=safety property=acked_value_everywhere faults=14"), std::string::npos)
      << shrunk.out;
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  const FaultSchedule saved = parse(text.str());
  EXPECT_GT(saved.size(), 0u);
  EXPECT_LE(saved.size(), 12u) << text.str();
  testing::CliRun replayed =
      real_cli({"replay", "broadcast_partitions", "--seed", "2", "--set", "bug=no_retry", "--faults", file.string()});
  EXPECT_EQ(replayed.code, 1);
  EXPECT_NE(replayed.out.find("property: acked_value_everywhere"), std::string::npos) << replayed.out;
  fs::remove(file);
}

TEST(ShrinkCommand, APassingSeedHasNothingToShrink) {
  testing::CliRun result = real_cli({"shrink", "broadcast", "--seed", "1"});
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_NE(result.out.find("seed 1 passes: nothing to shrink"), std::string::npos) << result.out;
}

TEST(ShrinkCommand, WithoutAFileTheReproduceLineCarriesTheSchedule) {
  testing::CliRun result = real_cli({"shrink", "broadcast_partitions", "--seed", "2", "--set", "bug=no_retry"});
  ASSERT_EQ(result.code, 1);
  EXPECT_NE(result.out.find("--set 'faults.schedule="), std::string::npos) << result.out;
}

}  // namespace
}  // namespace detsim
