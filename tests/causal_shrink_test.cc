// Causal shrink: the run's length and client load shrink while the same
// failure holds, the necessary fault units are exactly those whose removal
// makes it go away, the budget bounds it, the schedule reads as prose, and
// `detsim shrink` prints a reproduce line that really fails the same way.
#include "replay/causal_shrink.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "models/registry.h"
#include "replay/fault_prose.h"
#include "tests/real_cli.h"

namespace detsim {
namespace {

using testing::CliRun;
using testing::real_cli;

FaultSchedule schedule_of(const std::string& text) {
  std::string error;
  std::optional<FaultSchedule> schedule = FaultSchedule::parse_short(text, &error);
  EXPECT_TRUE(schedule.has_value()) << error;
  return schedule.value_or(FaultSchedule{});
}

bool has_kind(const FaultSchedule& schedule, FaultKind kind) {
  for (const FaultAction& action : schedule.actions) {
    if (action.kind == kind) return true;
  }
  return false;
}

// A stand-in for running the seed: it "fails" while the run is at least
// 7 s long, has at least 2 clients and a rate of at least 10, and the
// schedule still crashes a node. The pause is never needed.
bool fake_failure(const Scenario& candidate, const FaultSchedule& schedule) {
  return candidate.params.duration("duration") >= Duration::seconds(7) && candidate.params.integer("clients") >= 2 &&
         candidate.params.real("rate") >= 10 && has_kind(schedule, FaultKind::crash);
}

TEST(CausalShrinkTest, ShrinksLengthAndLoadAndFindsTheNecessaryUnits) {
  const Scenario scenario = load_scenario("broadcast", {}, model_registry());
  const FaultSchedule schedule = schedule_of("1s crash n1; 2s restart n1; 3s pause n2 500ms");
  const std::string swarm = "swarm: crash x1.0; timing: net.latency=uniform(1ms, 10ms), clients=8, rate=80";
  size_t calls = 0;
  auto counted = [&](const Scenario& candidate, const FaultSchedule& faults) {
    ++calls;
    return fake_failure(candidate, faults);
  };
  CausalShrinkResult result = causal_shrink(scenario, schedule, swarm, counted, 100);
  EXPECT_EQ(result.runs, calls);
  EXPECT_FALSE(result.exhausted);
  const Duration duration = result.scenario.params.duration("duration");
  EXPECT_GE(duration, Duration::seconds(7));
  EXPECT_LT(duration, Duration::seconds(8));  // 30 s bisected 6 times lands within 0.5 s of 7 s
  EXPECT_EQ(result.scenario.params.integer("clients"), 2);
  const double rate = result.scenario.params.real("rate");
  EXPECT_GE(rate, 10);
  EXPECT_LT(rate, 12);
  ASSERT_EQ(result.load.size(), 2u);
  EXPECT_EQ(result.load[0].key, "clients");
  EXPECT_EQ(result.load[0].from, "8");  // the swarm's draw, not the default
  EXPECT_EQ(result.load[0].to, "2");
  // The crash with its restart is one unit, the pause another.
  ASSERT_EQ(result.units.size(), 2u);
  EXPECT_EQ(result.necessary, (std::vector<bool>{true, false}));
  EXPECT_TRUE(fake_failure(result.scenario, schedule));
  // Every change is a --set the reproduce line carries.
  const std::vector<std::string>& sets = result.scenario.overrides;
  EXPECT_NE(std::find(sets.begin(), sets.end(), "clients=2"), sets.end());
}

TEST(CausalShrinkTest, StaysWithinTheBudget) {
  const Scenario scenario = load_scenario("broadcast", {}, model_registry());
  const FaultSchedule schedule = schedule_of("1s crash n1; 2s restart n1");
  size_t calls = 0;
  auto counted = [&](const Scenario& candidate, const FaultSchedule& faults) {
    ++calls;
    return fake_failure(candidate, faults);
  };
  CausalShrinkResult result = causal_shrink(scenario, schedule, "", counted, 3);
  EXPECT_EQ(calls, 3u);
  EXPECT_EQ(result.runs, 3u);
  EXPECT_TRUE(result.exhausted);
}

TEST(CausalShrinkTest, DrawnValueReadsTheTimingDraw) {
  const std::string swarm = "swarm: crash x1.0, pause off; timing: net.latency=uniform(1ms, 10ms), clients=3, rate=80";
  EXPECT_EQ(drawn_value(swarm, "clients"), "3");
  EXPECT_EQ(drawn_value(swarm, "rate"), "80");
  EXPECT_EQ(drawn_value(swarm, "latency"), "");  // net.latency is another key
  EXPECT_EQ(drawn_value(swarm, "nodes"), "");
  EXPECT_EQ(drawn_value("swarm: crash x1.0", "clients"), "");
}

TEST(FaultProseTest, OneLinePerActionInSecondsWithTheModelsNames) {
  const std::vector<std::string> names = {"s0", "s1", "s2", "s3", "s4", "c0", "c1", "c2", "c3"};
  const FaultSchedule schedule = schedule_of(
      "800ms partition n2|n0,n1,n3,n4,n8; 1.448s partition n0>n1,n2; 2s pause n1 629ms; 3s clock_jump n3 -1.5s; "
      "4s heal; 5s crash n9; 6s clog n1>n2 300ms 2s; 7s pause @leader 1s; 8s partition n0,n6|n1,n7,n8");
  const std::vector<NodeId> clients = {NodeId(5), NodeId(6), NodeId(7), NodeId(8)};
  const std::vector<std::string> lines = schedule_prose(schedule, names, clients);
  ASSERT_EQ(lines.size(), 9u);
  EXPECT_EQ(lines[0], "0.80 s: s2 is cut off from s0, s1, s3, s4 and client c3");
  EXPECT_EQ(lines[1], "1.448 s: s0 can no longer send to s1, s2");
  EXPECT_EQ(lines[2], "2.00 s: s1 pauses for 0.629 s");
  EXPECT_EQ(lines[3], "3.00 s: s3's wall clock jumps back by 1.50 s");
  EXPECT_EQ(lines[4], "4.00 s: the network heals: partitions and clogs end");
  EXPECT_EQ(lines[5], "5.00 s: n9 crashes");  // past the names: as the short form
  EXPECT_EQ(lines[6], "6.00 s: messages from s1 to s2 are delayed by 0.30 s for 2.00 s");
  EXPECT_EQ(lines[7], "7.00 s: the holder of @leader pauses for 1.00 s");
  EXPECT_EQ(lines[8], "8.00 s: s0 and client c1 are cut off from s1 and clients c2, c3");
  EXPECT_EQ(schedule_prose(schedule, names)[0], "0.80 s: s2 is cut off from s0, s1, s3, s4, c3");  // no client list
}

// The real thing: broadcast's no_retry bug on seed 12 shrinks to one
// partition and its heal, at a shorter length and one client, and the
// printed reproduce line fails with the same property.
TEST(CausalShrinkTest, ShrinkCommandPrintsALineThatReproduces) {
  CliRun shrink = real_cli({"shrink", "broadcast", "--seed", "12", "--set", "bug=no_retry"});
  ASSERT_EQ(shrink.code, 1) << shrink.out << shrink.err;
  EXPECT_NE(shrink.out.find("\nlength: duration 30s -> "), std::string::npos) << shrink.out;
  EXPECT_NE(shrink.out.find("\nload: clients 3 -> 1"), std::string::npos) << shrink.out;
  EXPECT_NE(shrink.out.find("necessary faults (without any one of them the seed passes or fails differently): 1 of 1\n"
                            "  9.873s partition n0|n1,n2,n3,n4 + 11.738s heal\n"),
            std::string::npos)
      << shrink.out;
  EXPECT_NE(shrink.out.find("schedule:\n  9.873 s: n0 is cut off from n1, n2, n3, n4\n"), std::string::npos);

  std::smatch match;
  ASSERT_TRUE(std::regex_search(shrink.out, match, std::regex("reproduce: detsim replay broadcast --seed 12 (.*)\n")));
  // The sets, as the shell would split them (only the schedule is quoted).
  std::vector<std::string> args = {"replay", "broadcast", "--seed", "12"};
  std::string rest = match[1];
  const size_t quoted = rest.find("'faults.schedule=");
  ASSERT_NE(quoted, std::string::npos) << rest;
  const std::string schedule = rest.substr(quoted + 1, rest.size() - quoted - 2);
  std::istringstream words(rest.substr(0, quoted));
  for (std::string word; words >> word;) args.push_back(word);
  args.push_back(schedule);
  EXPECT_NE(std::find(args.begin(), args.end(), "clients=1"), args.end());
  CliRun replay = real_cli(args);
  EXPECT_EQ(replay.code, 1);
  EXPECT_NE(replay.out.find("property: acked_value_everywhere:"), std::string::npos) << replay.out;

  // Without its one necessary unit, the shrunk run passes (or fails otherwise).
  args.back() = "faults.schedule=none";
  CliRun without = real_cli(args);
  EXPECT_EQ(without.out.find("property: acked_value_everywhere:"), std::string::npos) << without.out;
}

}  // namespace
}  // namespace detsim
