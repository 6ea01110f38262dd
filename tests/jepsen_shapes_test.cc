// Jepsen's nemesis shapes (sim/world/jepsen_shapes.cc): the majorities
// ring, a flapping link, rolling restarts, power loss during fsync, and
// clients placed on the sides of generated partitions. They parse and
// print back, do what they say on a running model, and a run with them
// (saved and read back) replays to the same fingerprint.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "models/registry.h"
#include "replay/scenario.h"
#include "sim/fault/fault_schedule.h"
#include "sim/fault/nemesis.h"
#include "sim/world/links.h"
#include "sim/world/simulation.h"
#include "tests/network_harness.h"

namespace detsim {
namespace {

TEST(JepsenShapes, BadTextSaysWhatWasExpected) {
  const std::map<std::string, std::string> bad = {
      {"1s ring n0,n1,n2", "ring needs at least 4 nodes"},
      {"1s ring n0,n1,n1,n2", "ring names n1 twice"},
      {"1s ring n0,n1|n2,n3", "nodes like n0,n2,n4"},
      {"1s flap n1 n1 1s 100ms", "a flap needs two different nodes"},
      {"1s flap n1 n2 1s 0s", "a flap needs a period > 0"},
      {"1s flap n1 n2 1s", "expected 'TIME flap NODE|@ROLE PEER LENGTH PERIOD'"},
      {"1s flap @Leader n2 1s 100ms", "a role like @leader"},
      {"1s rolling 1s", "expected 'TIME rolling GAP DOWN'"},
      {"1s rolling soon 1s", "a gap like 500ms"},
      {"1s power_fsync n0,n0 1s 1s", "power_fsync names n0 twice"},
      {"1s power_fsync n0 1s 0s", "power_fsync needs a length > 0"},
  };
  for (const auto& [text, expected] : bad) {
    std::string error;
    EXPECT_FALSE(FaultSchedule::parse_short(text, &error).has_value()) << text;
    EXPECT_NE(error.find(expected), std::string::npos) << text << " -> " << error;
  }
  std::string error;
  const auto out_of_range = FaultSchedule::parse_short("1s ring n0,n1,n2,n7", &error);
  ASSERT_TRUE(out_of_range.has_value()) << error;
  EXPECT_FALSE(out_of_range->validate(FaultTargets::servers_only(5), &error));
  EXPECT_NE(error.find("there is no node n7"), std::string::npos) << error;
}

// Who each node still reaches (itself included) after the ring's cuts.
std::map<NodeId, std::set<NodeId>> views_of(const std::vector<NodeId>& ring) {
  std::set<std::pair<NodeId, NodeId>> cut;
  for (const auto& [a, b] : ring_cuts(ring)) {
    cut.insert({a, b});
    cut.insert({b, a});
  }
  std::map<NodeId, std::set<NodeId>> views;
  for (NodeId a : ring) {
    for (NodeId b : ring) {
      if (!cut.contains({a, b})) views[a].insert(b);
    }
  }
  return views;
}

TEST(JepsenShapes, RingGivesEveryNodeAMajorityThatItsNeighboursDoNotShare) {
  for (size_t n : {4u, 5u, 6u, 7u, 9u}) {
    // Any order is a ring; not the index order here.
    std::vector<NodeId> ring;
    for (uint32_t i = 0; i < n; ++i) ring.push_back(NodeId(static_cast<uint32_t>(n) - 1 - i));
    const auto views = views_of(ring);
    for (size_t i = 0; i < n; ++i) {
      const std::set<NodeId>& mine = views.at(ring[i]);
      const std::set<NodeId>& next = views.at(ring[(i + 1) % n]);
      const std::string where = fmt::format("{} nodes, at {}", n, ring[i]);
      EXPECT_GE(mine.size(), n / 2 + 1) << where << ": sees a majority";
      EXPECT_LT(mine.size(), n) << where << ": does not see everyone";
      EXPECT_NE(mine, next) << where << ": differs from the next node";
    }
  }
  const std::vector<NodeId> five = {NodeId(0), NodeId(1), NodeId(2), NodeId(3), NodeId(4)};
  const std::vector<std::pair<NodeId, NodeId>> expected = {{NodeId(0), NodeId(2)},
                                                           {NodeId(0), NodeId(3)},
                                                           {NodeId(1), NodeId(3)},
                                                           {NodeId(1), NodeId(4)},
                                                           {NodeId(2), NodeId(4)}};
  EXPECT_EQ(ring_cuts(five), expected) << "over 5, each node loses the two across the ring";
  EXPECT_TRUE(ring_cuts({NodeId(0), NodeId(1), NodeId(2)}).empty()) << "a ring of 3 cuts nothing";
}

RunResult run_raft(const std::string& faults, uint64_t seed, TraceSink* trace) {
  const Scenario scenario = load_scenario("raft_kv_partitions", {}, model_registry());
  RunRequest request;
  request.model = scenario.model;
  request.params = scenario.params;
  request.seed = seed;
  std::string error;
  request.faults = FaultSchedule::parse_short(faults, &error);
  EXPECT_TRUE(request.faults.has_value()) << error;
  request.trace = trace;
  return simulate(request);
}

std::vector<std::pair<Time, std::string>> fault_lines(const testing::TraceCollector& trace, std::string_view prefix) {
  std::vector<std::pair<Time, std::string>> lines;
  for (const TraceEvent& event : trace.events) {
    if (event.kind == TraceKind::fault && event.text.starts_with(prefix)) lines.emplace_back(event.at, event.text);
  }
  return lines;
}

// Runs raft_kv_partitions (seed 3) under faults alone; the model must pass.
testing::TraceCollector passing_run(const std::string& faults) {
  testing::TraceCollector trace;
  const RunResult result = run_raft(faults, 3, &trace);
  EXPECT_EQ(result.verdict, Verdict::pass) << faults << ": " << result.property << ": " << result.detail;
  return trace;
}

TEST(JepsenShapes, FlapAlternatesDownAndUpEveryPeriodAndEndsUp) {
  const testing::TraceCollector trace = passing_run("1s flap n1 n3 1s 100ms");
  const auto lines = fault_lines(trace, "flap n1<>n3");
  ASSERT_EQ(lines.size(), 10u);
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i].first, Time::zero() + Duration::milliseconds(1000 + 100 * static_cast<int64_t>(i)));
    EXPECT_EQ(lines[i].second, i % 2 == 0 ? "flap n1<>n3 down" : "flap n1<>n3 up");
  }
}

TEST(JepsenShapes, RollingRestartsEachServerOnceInTurn) {
  const testing::TraceCollector trace = passing_run("1s rolling 200ms 300ms");
  std::vector<std::pair<Time, NodeId>> crashes;
  for (const TraceEvent& event : trace.events) {
    if (event.kind == TraceKind::crash) crashes.emplace_back(event.at, event.node);
  }
  ASSERT_EQ(crashes.size(), 5u);
  for (size_t i = 0; i < crashes.size(); ++i) {
    EXPECT_EQ(crashes[i].second, NodeId(static_cast<uint32_t>(i)));
    // Down 300ms, then 200ms before the next one goes down.
    EXPECT_EQ(crashes[i].first, Time::zero() + Duration::milliseconds(1000 + 500 * static_cast<int64_t>(i)));
  }
}

TEST(JepsenShapes, PowerLossStrikesWhileAnFsyncIsInFlight) {
  const testing::TraceCollector trace = passing_run("2s power_fsync n0,n1,n2 1s 500ms");
  std::map<NodeId, Time> struck;
  for (const TraceEvent& event : trace.events) {
    if (event.kind != TraceKind::fault || !event.text.starts_with("power: lost")) continue;
    EXPECT_EQ(event.text, "power: lost during an fsync") << "raft_kv fsyncs every append under load";
    EXPECT_GE(event.at, Time::zero() + Duration::seconds(2));
    EXPECT_LT(event.at, Time::zero() + Duration::seconds(3));
    struck[event.node] = event.at;
  }
  ASSERT_EQ(struck.size(), 3u);
  EXPECT_TRUE(struck.contains(NodeId(0)) && struck.contains(NodeId(1)) && struck.contains(NodeId(2)));
  // Each node crashes at the instant of its loss, and the disk resolves
  // writes the fsync in flight had not yet made durable.
  std::set<NodeId> crashed;
  std::set<NodeId> lost_unsynced;
  for (const TraceEvent& event : trace.events) {
    const auto it = struck.find(event.node);
    if (it == struck.end() || event.at != it->second) continue;
    if (event.kind == TraceKind::crash) crashed.insert(event.node);
    if (event.text.starts_with("disk: crash")) lost_unsynced.insert(event.node);
  }
  EXPECT_EQ(crashed.size(), 3u);
  EXPECT_EQ(lost_unsynced.size(), 3u) << "an fsync in flight leaves its writes unsynced";
}

// The stock scenario's nemesis with only the new shapes, the same seed
// twice, then its schedule saved and read back: three equal fingerprints.
TEST(JepsenShapes, GeneratedShapesReplayFromASavedSchedule) {
  const std::vector<std::string> overrides = {"faults.partition_interval=1s",
                                              "faults.partition_clients=1",
                                              "faults.rolling_interval=5s",
                                              "faults.power_fsync_interval=1s",
                                              "faults.crash_interval=0s",
                                              "faults.power_interval=0s",
                                              "faults.swarm=false"};
  const Scenario scenario = load_scenario("raft_kv", overrides, model_registry());
  RunRequest request;
  request.model = scenario.model;
  request.params = scenario.params;
  request.seed = 7;
  const RunResult first = simulate(request);
  const RunResult second = simulate(request);
  EXPECT_EQ(first.fingerprint, second.fingerprint);
  std::set<FaultKind> kinds;
  bool client_placed = false;
  for (const FaultAction& action : first.faults.actions) {
    kinds.insert(action.kind);
    for (const auto& group : action.groups) {
      client_placed = client_placed || (action.kind == FaultKind::partition && group.back().index() >= 5);
    }
  }
  EXPECT_TRUE(kinds.contains(FaultKind::power_fsync)) << first.faults.to_short_string();
  EXPECT_TRUE(client_placed) << "partition_clients = 1 puts clients on sides: " << first.faults.to_short_string();
  EXPECT_NE(first.swarm.find("partition_clients on"), std::string::npos) << first.swarm;
  std::string error;
  request.faults = FaultSchedule::parse_file_text(first.faults.to_file_text(), &error);
  ASSERT_TRUE(request.faults.has_value()) << error;
  const RunResult replayed = simulate(request);
  EXPECT_EQ(replayed.fingerprint, first.fingerprint);
}

TEST(JepsenShapes, NemesisGeneratesEveryNewShape) {
  NemesisOptions options;
  options.partition_interval = Duration::seconds(1);
  options.partition_length = DurationDist::uniform(Duration::milliseconds(100), Duration::seconds(1));
  options.rolling_interval = Duration::seconds(4);
  options.power_fsync_interval = Duration::seconds(2);
  options.down_time = DurationDist::uniform(Duration::milliseconds(100), Duration::seconds(1));
  std::map<FaultKind, int> seen;
  std::vector<NodeId> servers;
  for (uint32_t i = 0; i < 5; ++i) servers.push_back(NodeId(i));
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    const NemesisPlan plan = generate_nemesis(Rng(seed), options, servers, Time::zero() + Duration::seconds(20));
    for (const FaultAction& action : plan.schedule.actions) {
      ++seen[action.kind];
      EXPECT_EQ(check_action(action), "") << to_short_string(action);
    }
  }
  for (FaultKind kind : {FaultKind::ring, FaultKind::flap, FaultKind::rolling, FaultKind::power_fsync}) {
    EXPECT_GT(seen[kind], 3) << to_string(kind);
  }
}

// With max_down 1 and rejoin_time 1s, no server crashes while another is
// down or came back less than 1s ago.
TEST(JepsenShapes, RejoinTimeCountsARestartedServerAsDown) {
  NemesisOptions options;
  options.crash_interval = Duration::milliseconds(200);
  options.down_time = DurationDist::uniform(Duration::milliseconds(100), Duration::milliseconds(500));
  options.max_down = 1;
  options.rejoin_time = Duration::seconds(1);
  std::vector<NodeId> servers;
  for (uint32_t i = 0; i < 5; ++i) servers.push_back(NodeId(i));
  size_t crashes = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const NemesisPlan plan = generate_nemesis(Rng(seed), options, servers, Time::zero() + Duration::seconds(20));
    std::map<NodeId, std::optional<Time>> back_at;  // nullopt: down now
    for (const FaultAction& action : plan.schedule.actions) {
      if (action.kind == FaultKind::restart) back_at[action.node] = action.at;
      if (action.kind != FaultKind::crash) continue;
      ++crashes;
      for (const auto& [node, back] : back_at) {
        EXPECT_TRUE(back.has_value() && *back + Duration::seconds(1) <= action.at)
            << "seed " << seed << ": " << to_short_string(action) << " while " << fmt::format("{}", node)
            << " is down or rejoining";
      }
      back_at[action.node] = std::nullopt;
    }
  }
  EXPECT_GT(crashes, 100u);
}

}  // namespace
}  // namespace detsim
