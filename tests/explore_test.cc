// detsim explore (docs/bug-finding.md, "Guided search"): branch paths,
// replaying a branch (the faults after it redrawn), and the search finding a planted bug whose printed
// reproduce line, branch path included, replays it exactly.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "replay/commands.h"
#include "sim/core/engine.h"
#include "tests/real_cli.h"
#include "tests/reproduce_check.h"

namespace detsim {
namespace {

using testing::CliRun;
using testing::fingerprint_of;
using testing::real_cli;

TEST(BranchPath, ReadsEventSaltPairsAndWritesThemBack) {
  const std::vector<BranchPoint> path = parse_branch_path("81234:3,190002:1");
  ASSERT_EQ(path.size(), 2u);
  EXPECT_EQ(path[0], (BranchPoint{81234, 3}));
  EXPECT_EQ(path[1], (BranchPoint{190002, 1}));
  EXPECT_EQ(branch_path_text(path), "81234:3,190002:1");
  EXPECT_TRUE(parse_branch_path("").empty());
}

TEST(BranchPath, RejectsMalformedZeroSaltAndOutOfOrderSteps) {
  for (const char* bad :
       {"x", "10", "10:", ":3", "10:0", "10:-1", "10:3,5:1", "10:3,10:1", "10:3,", ",10:3", "10:3;20:1", "1e3:2"}) {
    EXPECT_THROW(parse_branch_path(bad), UsageError) << bad;
  }
}

TEST(BranchPath, BadBranchTextIsOneLineAndExit64) {
  CliRun run = real_cli({"replay", "broadcast", "--seed", "1", "--branch", "10:0"});
  EXPECT_EQ(run.code, 64);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
  EXPECT_NE(run.err.find("--branch 10:0: expected EVENT:SALT"), std::string::npos) << run.err;
}

std::string events_of(const std::string& out) {
  std::smatch match;
  return std::regex_search(out, match, std::regex(" events=([0-9]+)")) ? match[1].str() : "";
}

TEST(BranchReplay, IsDeterministicAndDiffersFromTheUnbranchedRun) {
  const std::vector<std::string> plain = {"replay", "raft_kv", "--seed", "3"};
  CliRun unbranched = real_cli(plain);
  ASSERT_EQ(unbranched.code, 0) << unbranched.out << unbranched.err;
  const uint64_t events = std::stoull(events_of(unbranched.out));
  ASSERT_GT(events, 100u);
  // Two branch points, both inside the run.
  std::vector<std::string> branched = plain;
  branched.push_back("--branch");
  branched.push_back(std::to_string(events / 3) + ":7," + std::to_string(events / 2) + ":1");
  CliRun first = real_cli(branched);
  CliRun second = real_cli(branched);
  const std::string fingerprint = fingerprint_of(first.out, "3");
  ASSERT_FALSE(fingerprint.empty()) << first.out;
  EXPECT_EQ(fingerprint_of(second.out, "3"), fingerprint);
  EXPECT_EQ(first.code, second.code);
  EXPECT_NE(fingerprint, fingerprint_of(unbranched.out, "3"));
  // The branch redraws the faults after it: the saved schedules share the
  // past and differ in the future, and the branched one replays alike.
  const std::filesystem::path dir = std::filesystem::temp_directory_path();
  auto saved_faults = [&](std::vector<std::string> args, const char* name) {
    const std::filesystem::path file = dir / name;
    args.push_back("--save-faults");
    args.push_back(file.string());
    EXPECT_EQ(real_cli(args).code, 0);
    std::ifstream in(file);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line[0] != '#') lines.push_back(line);
    }
    std::filesystem::remove(file);
    return lines;
  };
  const std::vector<std::string> plain_faults = saved_faults(plain, "detsim_explore_plain_faults.txt");
  const std::vector<std::string> branched_faults = saved_faults(branched, "detsim_explore_branched_faults.txt");
  ASSERT_GT(plain_faults.size(), 2u);
  EXPECT_EQ(plain_faults.front(), branched_faults.front());
  EXPECT_NE(plain_faults, branched_faults);
  EXPECT_EQ(saved_faults(branched, "detsim_explore_branched_again.txt"), branched_faults);
  // A branch point past the run's end changes nothing.
  std::vector<std::string> late = plain;
  late.push_back("--branch");
  late.push_back(std::to_string(events + 1000) + ":5");
  EXPECT_EQ(fingerprint_of(real_cli(late).out, "3"), fingerprint_of(unbranched.out, "3"));
}

TEST(ExploreCli, BadBudgetIsExit64) {
  for (const char* budget : {"soon", "0s", "-5s"}) {
    CliRun run = real_cli({"explore", "broadcast", "--budget", budget});
    EXPECT_EQ(run.code, 64) << budget;
    EXPECT_NE(run.err.find("--budget"), std::string::npos) << run.err;
  }
  EXPECT_EQ(real_cli({"explore", "broadcast", "--budget", "5s", "--fanout", "99"}).code, 64);
  EXPECT_EQ(real_cli({"explore", "broadcast"}).code, 64);
}

// The line of the first failure whose seed line carries a branch, and its
// reproduce arguments.
struct BranchedFailure {
  std::string seed;
  std::string fingerprint;
  std::vector<std::string> reproduce;
};

std::optional<BranchedFailure> first_branched_failure(const std::string& out) {
  std::smatch match;
  std::regex failure(
      "seed=([0-9]+) branch=[0-9:,]+ verdict=(?!pass)[^\n]* fingerprint=([0-9a-f]{16})[^\n]*\n"
      "(  [^\n]*\n)*?  reproduce: detsim ([^\n]*)\n");
  if (!std::regex_search(out, match, failure)) return std::nullopt;
  BranchedFailure found{match[1].str(), match[2].str(), {}};
  std::istringstream words(match[4].str());
  for (std::string word; words >> word;) found.reproduce.push_back(word);
  return found;
}

TEST(ExploreCli, FindsAPlantedBugAndItsBranchedReproduceLineReplaysIt) {
  CliRun run = real_cli(
      {"explore", "broadcast", "--set", "bug=ack_before_fsync", "--seeds", "1..2", "--budget", "15s", "--jobs", "2"});
  EXPECT_EQ(run.code, 1) << run.out << run.err;
  EXPECT_NE(run.out.find("summary: runs="), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("properties=ack_durable_on_majority"), std::string::npos) << run.out;
  std::optional<BranchedFailure> failure = first_branched_failure(run.out);
  ASSERT_TRUE(failure.has_value()) << run.out;
  ASSERT_GE(failure->reproduce.size(), 6u);
  EXPECT_EQ(failure->reproduce[0], "replay");
  CliRun replay = real_cli(failure->reproduce);
  EXPECT_EQ(replay.code, 1) << replay.out;
  EXPECT_EQ(fingerprint_of(replay.out, failure->seed), failure->fingerprint) << replay.out;
  // A seed's own run, the parent of its branches, is the plain run.
  CliRun plain = real_cli({"run", "broadcast", "--seed", "1", "--set", "bug=ack_before_fsync"});
  std::smatch own;
  ASSERT_TRUE(std::regex_search(run.out, own, std::regex("(^|\n)seed=1 verdict=[^\n]* fingerprint=([0-9a-f]{16})")))
      << run.out;
  EXPECT_EQ(own[2].str(), fingerprint_of(plain.out, "1")) << plain.out;
}

// One process at a time explores depth first, in an order the seeds
// alone decide: the same failures, branch paths and fingerprints twice.
TEST(ExploreCli, OneJobExploresTheSameWayTwice) {
  auto explore = [] {
    CliRun run = real_cli({"explore", "broadcast", "--set", "bug=no_retry", "--seeds", "1..4", "--budget", "60s",
                           "--jobs", "1", "--rare", "20"});
    EXPECT_EQ(run.code, 1) << run.out << run.err;
    // The only fields real time decides.
    return std::regex_replace(run.out, std::regex(" (wall|cpu|first_fail)_s=[0-9.]+"), "");
  };
  const std::string first = explore();
  EXPECT_NE(first.find(" branch="), std::string::npos) << first;
  EXPECT_EQ(explore(), first);
}

TEST(ExploreCli, WithNoFanoutItRunsThePlainSeedsAndPasses) {
  CliRun run = real_cli({"explore", "broadcast", "--seeds", "1..3", "--budget", "60s", "--fanout", "0", "--json"});
  EXPECT_EQ(run.code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("\"runs\":3,\"seeds\":3,\"branches\":0,\"fail\":0"), std::string::npos) << run.out;
}

}  // namespace
}  // namespace detsim

namespace detsim {
namespace {

using namespace time_literals;

// Ten events, one per millisecond, after arm(engine, fired) has added its
// hooks (fired counts the events fired so far); returns the fingerprint.
uint64_t run_ten_events(const std::function<void(Engine&, const uint64_t& fired)>& arm) {
  struct Counter final : EventTarget {
    void fire(uint64_t, uint64_t) override { ++fired; }
    uint64_t fired = 0;
  };
  EngineOptions options;
  options.seed = 7;
  options.time_limit = Time::zero() + 1_s;
  Engine engine(options);
  Counter counter;
  for (int64_t i = 1; i <= 10; ++i) engine.schedule(Time::zero() + Duration::milliseconds(i), &counter, 0, 0);
  arm(engine, counter.fired);
  engine.run();
  EXPECT_EQ(counter.fired, 10u);
  return engine.fingerprint();
}

TEST(EventBoundary, HooksRunBetweenEventsInOrderAndOnlyOnce) {
  std::vector<std::string> seen;
  run_ten_events([&seen](Engine& engine, const uint64_t& fired) {
    auto note = [&seen, &fired](std::string name) {
      return [&seen, &fired, name] { seen.push_back(name + "@" + std::to_string(fired)); };
    };
    engine.at_event_boundary(4, note("b"));
    engine.at_event_boundary(2, note("a"));
    engine.at_event_boundary(4, [&engine, note] {
      note("c")();
      engine.at_event_boundary(6, note("d"));  // a hook may add hooks
    });
    engine.at_event_boundary(50, note("never"));  // past the run's end
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"a@2", "b@4", "c@4", "d@6"}));
}

TEST(EventBoundary, ReseedChangesTheFingerprintAndHooksAloneDoNot) {
  auto fingerprint = [](bool hook, bool reseed) {
    return run_ten_events([hook, reseed](Engine& engine, const uint64_t&) {
      if (!hook) return;
      engine.at_event_boundary(5, [&engine, reseed] {
        if (reseed) engine.reseed(3);
      });
    });
  };
  EXPECT_EQ(fingerprint(false, false), fingerprint(true, false));
  EXPECT_NE(fingerprint(false, false), fingerprint(true, true));
  EXPECT_EQ(fingerprint(true, true), fingerprint(true, true));
}

}  // namespace
}  // namespace detsim
