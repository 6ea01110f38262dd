// The fault schedule as data: every kind's text form, one-line errors on bad
// text, the file form, an exact round trip (RapidCheck), validation, and the
// nemesis's generation per family and under swarm testing.
#include "sim/fault/fault_schedule.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sim/core/duration_dist.h"
#include "sim/fault/nemesis.h"

namespace detsim {
namespace {

using namespace time_literals;

Time at(Duration d) { return Time::zero() + d; }

FaultSchedule parse_or_fail(std::string_view text) {
  std::string error;
  auto schedule = FaultSchedule::parse_short(text, &error);
  EXPECT_TRUE(schedule.has_value()) << text << ": " << error;
  return schedule.value_or(FaultSchedule{});
}

FaultAction parse_one(std::string_view text) {
  FaultSchedule schedule = parse_or_fail(text);
  EXPECT_EQ(schedule.size(), 1u) << text;
  return schedule.actions.empty() ? FaultAction{} : schedule.actions.front();
}

std::string parse_error(std::string_view text) {
  std::string error;
  EXPECT_FALSE(FaultSchedule::parse_short(text, &error).has_value()) << "accepted: " << text;
  return error;
}

// --- Text form -------------------------------------------------------------

TEST(FaultText, EveryKindPrintsAsItIsWritten) {
  const std::vector<std::string> examples = {
      "1.2s crash n2",
      "3.9s restart n2",
      "5s pause n1 200ms",
      "2s partition n0,n1|n2,n3,n4",
      "2s partition n0>n1,n2",
      "2s partition n3>n0|n1,n2",
      "3s heal",
      "4s clog n1>n2 300ms 2s",
      "5s corrupt n2 17",
      "5s misdirect n2",
      "6s disk_full n2 2s",
      "6s disk_slow n2 10x 2s",
      "7s clock_jump n1 -2s",
      "8s clock_drift n1 -200ppm",
  };
  for (const std::string& example : examples) EXPECT_EQ(to_short_string(parse_one(example)), example);
}

TEST(FaultText, FieldsOfEachKind) {
  FaultAction pause = parse_one("5s pause n1 200ms");
  EXPECT_EQ(pause.kind, FaultKind::pause);
  EXPECT_EQ(pause.at, at(5_s));
  EXPECT_EQ(pause.node, NodeId(1));
  EXPECT_EQ(pause.length, 200_ms);

  FaultAction split = parse_one("2s partition n0,n1|n2,n3,n4");
  EXPECT_FALSE(split.one_way);
  ASSERT_EQ(split.groups.size(), 2u);
  EXPECT_EQ(split.groups[0], (std::vector<NodeId>{NodeId(0), NodeId(1)}));
  EXPECT_EQ(split.groups[1], (std::vector<NodeId>{NodeId(2), NodeId(3), NodeId(4)}));

  FaultAction one_way = parse_one("2s partition n0>n1,n2");
  EXPECT_TRUE(one_way.one_way);
  EXPECT_EQ(one_way.groups, (std::vector<std::vector<NodeId>>{{NodeId(0)}, {NodeId(1), NodeId(2)}}));

  FaultAction clog = parse_one("4s clog n1>n2 300ms 2s");
  EXPECT_EQ(clog.node, NodeId(1));
  EXPECT_EQ(clog.peer, NodeId(2));
  EXPECT_EQ(clog.amount, 300_ms);
  EXPECT_EQ(clog.length, 2_s);

  EXPECT_EQ(parse_one("5s corrupt n2 17").value, 17);
  FaultAction slow = parse_one("6s disk_slow n2 10x 2s");
  EXPECT_EQ(slow.value, 10);
  EXPECT_EQ(slow.length, 2_s);
  EXPECT_EQ(parse_one("7s clock_jump n1 -2s").amount, -(2_s));
  EXPECT_EQ(parse_one("7s clock_jump n1 1.5s").amount, 1500_ms);
  EXPECT_EQ(parse_one("8s clock_drift n1 -200ppm").value, -200);
  EXPECT_EQ(parse_one("3s heal").kind, FaultKind::heal);
}

TEST(FaultText, OldShortFormStillReadsAndSortsByTime) {
  FaultSchedule schedule = parse_or_fail("3.900s restart n2; 1.204s crash n2;5.000s pause n1 200ms");
  EXPECT_EQ(schedule.to_short_string(), "1.204s crash n2; 3.9s restart n2; 5s pause n1 200ms");
  EXPECT_EQ(parse_or_fail("none").size(), 0u);
  EXPECT_EQ(parse_or_fail("").size(), 0u);
  EXPECT_EQ(FaultSchedule{}.to_short_string(), "");
}

TEST(FaultText, BadTextIsRejectedWithAOneLineReason) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"1s explode n1", "expected a fault kind (crash, restart, pause, partition, heal, clog"},
      {"1s", "expected 'TIME KIND ...'"},
      {"1s crash", "expected 'TIME crash NODE', e.g. '1.2s crash n2'"},
      {"-1s crash n1", "expected a time like 1.5s, got '-1s'"},
      {"1s crash m1", "expected a node like n2, got 'm1'"},
      {"1s crash n", "expected a node like n2"},
      {"1s pause n1", "expected 'TIME pause NODE LENGTH', e.g. '5s pause n1 200ms'"},
      {"1s pause n1 2x", "expected a length like 200ms, got '2x'"},
      {"1s heal n1", "expected 'TIME heal', e.g. '3s heal'"},
      {"1s partition n0", "a partition needs at least two groups"},
      {"1s partition n0,n1|n1", "n1 is in a partition twice"},
      {"1s partition n0,|n1", "expected groups of nodes like n0,n1|n2 or n0>n1,n2, got 'n0,|n1'"},
      {"1s partition n0||n1", "expected groups of nodes"},
      {"1s clog n1 1ms 1s", "expected a link like n1>n2, got 'n1'"},
      {"1s clog n1>n1 1ms 1s", "a clog needs two different nodes"},
      {"1s clog n1>n2 1ms 0s", "clog needs a length > 0"},
      {"1s corrupt n1 -3", "a corrupt pick must not be negative"},
      {"1s corrupt n1 x", "expected a sector pick like 17, got 'x'"},
      {"1s disk_full n1 0s", "disk_full needs a length > 0"},
      {"1s disk_slow n1 10 1s", "expected a slowdown factor like 10x, got '10'"},
      {"1s disk_slow n1 0x 1s", "a disk_slow factor must be at least 1"},
      {"1s clock_jump n1 --2s", "expected an offset like 2s or -2s, got '--2s'"},
      {"1s clock_drift n1 5", "expected a drift like 200ppm or -200ppm, got '5'"},
      {"1s crash n1\n2s crash n2", "expected 'TIME crash NODE'"},
  };
  for (const auto& [text, expected] : cases) {
    std::string error = parse_error(text);
    EXPECT_NE(error.find(expected), std::string::npos) << "text: " << text << "\nerror: " << error;
    EXPECT_EQ(error.rfind("fault '", 0), 0u) << error;
    EXPECT_EQ(error.find('\n'), std::string::npos) << "not one line: " << error;
  }
}

TEST(FaultText, ABadActionAmongGoodOnesIsNamed) {
  EXPECT_EQ(parse_error("1s crash n1; 2s crash n2 extra; 3s heal"),
            "fault '2s crash n2 extra': expected 'TIME crash NODE', e.g. '1.2s crash n2'");
}

// --- File form -------------------------------------------------------------

TEST(FaultFile, ReadsLinesCommentsBlankLinesAndSeparators) {
  const std::string text =
      "# saved by replay --save-faults\n"
      "\n"
      "1s crash n1   # the leader\n"
      "   2s restart n1; 2s partition n0|n1,n2\r\n"
      "none\n"
      "\t3s heal\n";
  std::string error;
  auto schedule = FaultSchedule::parse_file_text(text, &error);
  ASSERT_TRUE(schedule.has_value()) << error;
  EXPECT_EQ(schedule->to_short_string(), "1s crash n1; 2s restart n1; 2s partition n0|n1,n2; 3s heal");
}

TEST(FaultFile, AnErrorNamesItsLine) {
  std::string error;
  EXPECT_FALSE(FaultSchedule::parse_file_text("# header\n1s crash n1\n2s smash n2\n", &error));
  EXPECT_EQ(error.rfind("line 3: fault '2s smash n2': expected a fault kind", 0), 0u) << error;
  EXPECT_FALSE(FaultSchedule::parse_file_text("1s crash n1\n\n\n4s pause n1 # no length\n", &error));
  EXPECT_EQ(error, "line 4: fault '4s pause n1': expected 'TIME pause NODE LENGTH', e.g. '5s pause n1 200ms'");
  EXPECT_FALSE(FaultSchedule::parse_file_text("1s crash n1; 1s clog n1>n2 5ms", &error));
  EXPECT_EQ(error.rfind("line 1: fault '1s clog n1>n2 5ms'", 0), 0u) << error;
}

TEST(FaultFile, WritesAHeaderThenOneActionPerLine) {
  FaultSchedule schedule = parse_or_fail("1s crash n1; 2s restart n1; 3s clock_drift n0 50ppm");
  const std::string text = schedule.to_file_text();
  EXPECT_EQ(text.substr(text.find('\n') + 1), "1s crash n1\n2s restart n1\n3s clock_drift n0 50ppm\n");
  EXPECT_EQ(text.front(), '#');
  std::string error;
  auto back = FaultSchedule::parse_file_text(text, &error);
  ASSERT_TRUE(back.has_value()) << error;
  EXPECT_EQ(back->actions, schedule.actions);

  const std::string empty = FaultSchedule{}.to_file_text();
  EXPECT_NE(empty.find("\nnone\n"), std::string::npos);
  auto none = FaultSchedule::parse_file_text(empty, &error);
  ASSERT_TRUE(none.has_value()) << error;
  EXPECT_EQ(none->size(), 0u);
}

// --- Round trip --------------------------------------------------------------

Duration ms_duration(int64_t lo_ms, int64_t hi_ms) {
  return Duration::milliseconds(*rc::gen::inRange<int64_t>(lo_ms, hi_ms));
}

// Distinct nodes below node_count, in groups of at least one.
std::vector<std::vector<NodeId>> gen_groups(uint32_t node_count) {
  const auto order = *rc::gen::unique<std::vector<uint32_t>>(node_count, rc::gen::inRange<uint32_t>(0, node_count));
  const auto group_count = *rc::gen::inRange<size_t>(2, order.size() + 1);
  // Nodes past `listed` stay out of every group: connected to all.
  const auto listed = *rc::gen::inRange<size_t>(group_count, order.size() + 1);
  std::vector<std::vector<NodeId>> groups(group_count);
  for (size_t i = 0; i < listed; ++i) {
    const size_t group = i < group_count ? i : *rc::gen::inRange<size_t>(0, group_count);
    groups[group].push_back(NodeId(order[i]));
  }
  return groups;
}

// An action with only its kind's fields set, as parsing leaves it.
FaultAction gen_action(uint32_t node_count) {
  FaultAction action;
  action.kind = static_cast<FaultKind>(*rc::gen::inRange(0, kFaultKindCount));
  // Whole ms mostly, as generated; any nanosecond sometimes.
  action.at = at(*rc::gen::inRange(0, 4) == 0 ? Duration::nanoseconds(*rc::gen::inRange<int64_t>(0, 1'000'000'000'000))
                                              : ms_duration(0, 10'000'000));
  const NodeId node(*rc::gen::inRange<uint32_t>(0, node_count));
  const NodeId peer(*rc::gen::distinctFrom(rc::gen::inRange<uint32_t>(0, node_count), node.index()));
  const Duration length = ms_duration(1, 1'000'000);
  switch (action.kind) {
    case FaultKind::heal: break;
    case FaultKind::partition:
      action.groups = gen_groups(node_count);
      action.one_way = *rc::gen::arbitrary<bool>();
      break;
    case FaultKind::clog:
      action.node = node;
      action.peer = peer;
      action.amount = ms_duration(0, 100'000);
      action.length = length;
      break;
    case FaultKind::ring:
    case FaultKind::power_fsync: {
      const auto order = *rc::gen::unique<std::vector<uint32_t>>(node_count, rc::gen::inRange<uint32_t>(0, node_count));
      action.groups = {{}};
      for (uint32_t index : order) action.groups[0].push_back(NodeId(index));
      if (action.kind == FaultKind::ring && action.groups[0].size() < 4) action.kind = FaultKind::power_fsync;
      if (action.kind == FaultKind::power_fsync) action.length = length;
      if (action.kind == FaultKind::power_fsync) action.amount = ms_duration(0, 10'000);
      break;
    }
    case FaultKind::flap:
      action.node = node;
      action.peer = peer;
      if (*rc::gen::inRange(0, 4) == 0) {
        action.node = NodeId();
        action.role = "leader";
      }
      action.length = length;
      action.amount = ms_duration(1, 10'000);
      break;
    case FaultKind::rolling:
      action.amount = ms_duration(0, 10'000);
      action.length = length;
      break;
    case FaultKind::isolate:
    case FaultKind::figure8:
    case FaultKind::kill:
      action.role = *rc::gen::element<std::string>("leader", "primary", "replicator_2");
      action.length = length;
      if (action.kind == FaultKind::isolate) action.value = *rc::gen::inRange<int64_t>(0, 5);
      if (action.kind == FaultKind::figure8) action.amount = ms_duration(0, 1000);
      if (action.kind == FaultKind::figure8) action.value = *rc::gen::inRange<int64_t>(0, 20);
      break;
    default:
      action.node = node;
      // pause and clock_jump may aim at a role instead.
      if ((action.kind == FaultKind::pause || action.kind == FaultKind::clock_jump) && *rc::gen::inRange(0, 4) == 0) {
        action.node = NodeId();
        action.role = "leader";
      }
      if (action.kind == FaultKind::pause || action.kind == FaultKind::disk_full) action.length = length;
      if (action.kind == FaultKind::disk_slow) action.length = length;
      if (action.kind == FaultKind::disk_slow) action.value = *rc::gen::inRange<int64_t>(1, 1000);
      if (action.kind == FaultKind::corrupt) action.value = *rc::gen::inRange<int64_t>(0, int64_t{1} << 40);
      if (action.kind == FaultKind::clock_drift) action.value = *rc::gen::inRange<int64_t>(-1'000'000, 1'000'000);
      if (action.kind == FaultKind::clock_jump) action.amount = ms_duration(-100'000'000, 100'000'000);
      break;
  }
  return action;
}

RC_GTEST_PROP(FaultTextProperty, SchedulesRoundTripExactlyThroughBothForms, ()) {
  const auto node_count = *rc::gen::inRange<uint32_t>(2, 12);
  const auto count = *rc::gen::inRange<size_t>(0, 12);
  FaultSchedule schedule;
  for (size_t i = 0; i < count; ++i) schedule.actions.push_back(gen_action(node_count));
  schedule.sort();
  std::string error;
  RC_ASSERT(schedule.validate(FaultTargets::servers_only(node_count), &error));

  const std::string line = schedule.to_short_string();
  RC_LOG() << line << "\n";
  auto from_line = FaultSchedule::parse_short(line, &error);
  RC_ASSERT(from_line.has_value());
  RC_ASSERT(from_line->actions == schedule.actions);
  RC_ASSERT(line.find('\n') == std::string::npos);

  auto from_file = FaultSchedule::parse_file_text(schedule.to_file_text(), &error);
  RC_ASSERT(from_file.has_value());
  RC_ASSERT(from_file->actions == schedule.actions);
}

RC_GTEST_PROP(FaultTextProperty, FormatDurationRoundTrips, ()) {
  const auto ms = Duration::milliseconds(*rc::gen::inRange<int64_t>(0, int64_t{1} << 40));
  const auto ns = Duration::nanoseconds(*rc::gen::inRange<int64_t>(0, std::numeric_limits<int64_t>::max()));
  for (Duration d : {ms, ns}) {
    RC_LOG() << format_duration(d) << "\n";
    RC_ASSERT(parse_duration(format_duration(d)) == std::optional<Duration>(d));
  }
}

// --- Validation --------------------------------------------------------------

TEST(FaultValidate, RejectsUnknownNodesAndBadPartitions) {
  std::string error;
  EXPECT_TRUE(parse_or_fail("1s crash n4; 2s partition n0,n1|n2,n3,n4; 3s clog n4>n0 1ms 1s")
                  .validate(FaultTargets::servers_only(5), &error))
      << error;
  EXPECT_FALSE(parse_or_fail("1s crash n5").validate(FaultTargets::servers_only(5), &error));
  EXPECT_EQ(error, "fault '1s crash n5': there is no node n5 (faults may name servers n0..n4)");
  EXPECT_FALSE(parse_or_fail("1s clog n0>n9 1ms 1s").validate(FaultTargets::servers_only(5), &error));
  EXPECT_NE(error.find("no node n9"), std::string::npos) << error;
  EXPECT_FALSE(parse_or_fail("1s partition n0|n1,n7").validate(FaultTargets::servers_only(5), &error));
  EXPECT_NE(error.find("no node n7"), std::string::npos) << error;
  EXPECT_TRUE(parse_or_fail("1s heal").validate(FaultTargets{}, &error));

  // Hand-built schedules skip the parser's checks; validate repeats them.
  FaultSchedule built;
  FaultAction partition;
  partition.kind = FaultKind::partition;
  partition.groups = {{NodeId(0), NodeId(1)}, {}};
  built.actions = {partition};
  EXPECT_FALSE(built.validate(FaultTargets::servers_only(5), &error));
  EXPECT_NE(error.find("must not be empty"), std::string::npos) << error;
  built.actions[0].groups = {{NodeId(0), NodeId(1)}, {NodeId(1)}};
  EXPECT_FALSE(built.validate(FaultTargets::servers_only(5), &error));
  EXPECT_NE(error.find("n1 is in a partition twice"), std::string::npos) << error;
  built.actions[0].groups = {{NodeId(0), NodeId(1)}};
  EXPECT_FALSE(built.validate(FaultTargets::servers_only(5), &error));
  EXPECT_NE(error.find("at least two groups"), std::string::npos) << error;
  FaultAction slow;
  slow.kind = FaultKind::disk_slow;
  slow.node = NodeId(0);
  slow.length = 1_s;
  built.actions = {slow};
  EXPECT_FALSE(built.validate(FaultTargets::servers_only(5), &error));
  EXPECT_NE(error.find("factor must be at least 1"), std::string::npos) << error;
}

// --- Generation --------------------------------------------------------------

std::vector<NodeId> make_servers(uint32_t count) {
  std::vector<NodeId> servers;
  for (uint32_t i = 0; i < count; ++i) servers.push_back(NodeId(i));
  return servers;
}

DurationDist dist(std::string_view text) {
  std::string error;
  auto parsed = DurationDist::parse(text, &error);
  EXPECT_TRUE(parsed.has_value()) << error;
  return parsed.value_or(DurationDist());
}

// Lengths and sizes set for every family, intervals all zero (off).
NemesisOptions quiet_options() {
  NemesisOptions options;
  options.down_time = dist("uniform(500ms, 3s)");
  options.pause_length = dist("uniform(100ms, 1s)");
  options.partition_length = dist("uniform(200ms, 2s)");
  options.clog_length = dist("uniform(100ms, 1s)");
  options.clog_delay = dist("uniform(10ms, 300ms)");
  options.disk_full_length = dist("uniform(100ms, 1s)");
  options.disk_slow_length = dist("uniform(100ms, 1s)");
  options.clock_jump_size = dist("uniform(1ms, 5s)");
  return options;
}

NemesisOptions with_family(NemesisOptions options, FaultFamily family) {
  switch (family) {
    case FaultFamily::crash:
      options.crash_interval = 1_s;
      options.rolling_interval = 4_s;
      options.power_fsync_interval = 2_s;
      break;
    case FaultFamily::pause: options.pause_interval = 1_s; break;
    case FaultFamily::partition: options.partition_interval = 1_s; break;
    case FaultFamily::clog: options.clog_interval = 1_s; break;
    case FaultFamily::disk:
      options.corrupt_interval = 2_s;
      options.misdirect_interval = 2_s;
      options.disk_full_interval = 2_s;
      options.disk_slow_interval = 2_s;
      break;
    case FaultFamily::clock:
      options.clock_jump_interval = 1_s;
      options.clock_drift_interval = 1_s;
      break;
    case FaultFamily::shape:
      options.shape_interval = 1_s;
      options.shape_length = DurationDist::uniform(100_ms, 1_s);
      break;
  }
  return options;
}

NemesisOptions all_families() {
  NemesisOptions options = quiet_options();
  for (size_t f = 0; f < kFaultFamilyCount; ++f) options = with_family(options, static_cast<FaultFamily>(f));
  return options;
}

std::set<FaultKind> kinds_of(FaultFamily family) {
  switch (family) {
    case FaultFamily::crash: return {FaultKind::crash, FaultKind::restart, FaultKind::rolling, FaultKind::power_fsync};
    case FaultFamily::pause: return {FaultKind::pause};
    case FaultFamily::partition: return {FaultKind::partition, FaultKind::heal, FaultKind::ring, FaultKind::flap};
    case FaultFamily::clog: return {FaultKind::clog};
    case FaultFamily::disk:
      return {FaultKind::corrupt, FaultKind::misdirect, FaultKind::disk_full, FaultKind::disk_slow};
    case FaultFamily::clock: return {FaultKind::clock_jump, FaultKind::clock_drift};
    // Shapes also pause the role's holder and jump its clock.
    case FaultFamily::shape:
      return {FaultKind::isolate, FaultKind::figure8,    FaultKind::kill,
              FaultKind::pause,   FaultKind::clock_jump, FaultKind::flap};
  }
  return {};
}

FaultSchedule generate(uint64_t seed, const NemesisOptions& options, uint32_t servers = 5, Time heal_at = at(20_s)) {
  return generate_nemesis(Rng(seed), options, make_servers(servers), heal_at).schedule;
}

TEST(Nemesis, CrashAndPauseSchedulesArePinned) {
  // What generate_fault_schedule gave for broadcast seed 1 with these
  // options before the other families existed (taken from that build).
  NemesisOptions options = quiet_options();
  options.crash_interval = 1_s;
  options.max_down = 2;
  options.pause_interval = 700_ms;
  FaultSchedule schedule = generate_nemesis(Rng(1).fork("nemesis"), options, make_servers(5), at(20_s)).schedule;
  const std::string pinned =
      "363ms pause n1 519ms; 694ms crash n3; 998ms pause n4 210ms; 1.015s pause n0 652ms; 1.507s restart n3; "
      "2.654s pause n3 703ms; 2.712s crash n1; 3.082s pause n0 624ms; 3.274s crash n0; 4.009s pause n4 345ms; "
      "4.049s restart n0; 4.068s restart n1; 4.777s crash n4; 4.937s crash n2; 5.754s restart n2; 5.966s crash n2; "
      "6.084s restart n4; 6.682s crash n4; 7.17s pause n0 777ms; 7.254s pause n1 303ms; 7.505s restart n2; "
      "7.519s restart n4; 8.183s crash n2; 8.285s crash n4; 9.12s restart n4; 9.368s pause n1 898ms; "
      "9.673s pause n1 594ms; 9.727s pause n3 336ms; 10.314s restart n2; 10.444s crash n2; 10.444s pause n3 850ms; "
      "10.824s crash n4; 11.779s pause n4 881ms; 11.831s pause n1 877ms; ";
  EXPECT_EQ(schedule.to_short_string().substr(0, pinned.size()), pinned);
}

TEST(Nemesis, EachFamilyAloneMakesOnlyItsKinds) {
  for (size_t f = 0; f < kFaultFamilyCount; ++f) {
    const auto family = static_cast<FaultFamily>(f);
    const std::set<FaultKind> expected = kinds_of(family);
    std::set<FaultKind> seen;
    for (uint64_t seed = 1; seed <= 20; ++seed) {
      for (const FaultAction& action : generate(seed, with_family(quiet_options(), family)).actions) {
        EXPECT_TRUE(expected.contains(action.kind)) << to_string(family) << ": " << to_short_string(action);
        seen.insert(action.kind);
      }
    }
    EXPECT_EQ(seen, expected) << to_string(family);
  }
  EXPECT_EQ(generate(1, quiet_options()).size(), 0u);
}

// Over 7 servers the sizes tell the shapes apart, except that a minority
// of 1 or 3 looks like isolate or halves; 2|5 is only ever a minority.
std::string shape_of(const FaultAction& partition) {
  if (partition.one_way) return "one_way";
  std::vector<size_t> sizes;
  for (const auto& group : partition.groups) sizes.push_back(group.size());
  std::sort(sizes.begin(), sizes.end());
  return fmt::format("{}", fmt::join(sizes, "|"));
}

TEST(Nemesis, PartitionShapesAllOccur) {
  std::map<std::string, int> shapes;
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    for (const FaultAction& action : generate(seed, with_family(quiet_options(), FaultFamily::partition), 7).actions) {
      if (action.kind == FaultKind::partition) ++shapes[shape_of(action)];
    }
  }
  // halves (3|4), isolate (1|6), minority (2|5), bridge (3|3, one node out), one way.
  for (const char* shape : {"3|4", "1|6", "2|5", "3|3", "one_way"}) EXPECT_GT(shapes[shape], 5) << shape;
}

TEST(Nemesis, EachPartitionShapeHasItsForm) {
  const std::vector<NodeId> servers = make_servers(5);
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    Rng rng(seed);
    FaultAction halves = make_partition(rng, PartitionShape::halves, servers, at(1_s));
    EXPECT_EQ(halves.groups[0].size() + halves.groups[1].size(), 5u);
    EXPECT_EQ(std::min(halves.groups[0].size(), halves.groups[1].size()), 2u);
    FaultAction isolate = make_partition(rng, PartitionShape::isolate, servers, at(1_s));
    EXPECT_EQ(isolate.groups[0].size(), 1u);
    FaultAction bridge = make_partition(rng, PartitionShape::bridge, servers, at(1_s));
    EXPECT_EQ(bridge.groups[0].size() + bridge.groups[1].size(), 4u) << "the bridge node is in no group";
    FaultAction minority = make_partition(rng, PartitionShape::minority, servers, at(1_s));
    EXPECT_LE(minority.groups[0].size(), 2u);
    FaultAction one_way = make_partition(rng, PartitionShape::one_way, servers, at(1_s));
    EXPECT_TRUE(one_way.one_way);
    for (const FaultAction& action : {halves, isolate, bridge, minority}) {
      EXPECT_EQ(check_action(action), "");
      EXPECT_FALSE(action.one_way);
    }
    EXPECT_EQ(check_action(one_way), "");
  }
}

TEST(Nemesis, EachPartitionIsHealedBeforeTheNextOne) {
  const Time heal_at = at(20_s);
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    FaultSchedule schedule = generate(seed, with_family(quiet_options(), FaultFamily::partition), 5, heal_at);
    ASSERT_EQ(schedule.size() % 2, 0u);
    Time last_heal = Time::zero();
    for (size_t i = 0; i < schedule.size(); i += 2) {
      const FaultAction& partition = schedule.actions[i];
      const FaultAction& heal = schedule.actions[i + 1];
      ASSERT_TRUE(partition.kind == FaultKind::partition || partition.kind == FaultKind::ring ||
                  partition.kind == FaultKind::flap)
          << schedule.to_short_string();
      ASSERT_EQ(heal.kind, FaultKind::heal) << schedule.to_short_string();
      EXPECT_GE(partition.at, last_heal);
      EXPECT_GT(heal.at, partition.at);
      EXPECT_LE(heal.at, heal_at);
      last_heal = heal.at;
    }
  }
}

// Start times before heal_at, on whole ms; restarts, heals and lengths end
// by heal_at; and the schedule validates.
void expect_within(const FaultSchedule& schedule, Time heal_at, size_t servers) {
  std::string error;
  EXPECT_TRUE(schedule.validate(FaultTargets::servers_only(static_cast<uint32_t>(servers)), &error)) << error;
  for (const FaultAction& action : schedule.actions) {
    const bool ends_something = action.kind == FaultKind::restart || action.kind == FaultKind::heal;
    if (ends_something) {
      EXPECT_LE(action.at, heal_at) << to_short_string(action);
    } else {
      EXPECT_LT(action.at, heal_at) << to_short_string(action);
    }
    if (action.at != heal_at) {
      EXPECT_EQ(action.at.count_ns() % 1'000'000, 0) << to_short_string(action);
    }
    EXPECT_LE(action.at + action.length, heal_at) << to_short_string(action);
  }
}

TEST(Nemesis, NothingStartsAtOrAfterHealAt) {
  // 7.0005s: heal_at need not be on a whole ms.
  for (Time heal_at : {at(7_s), at(7_s + 500_us), at(300_ms)}) {
    for (uint64_t seed = 1; seed <= 30; ++seed) {
      NemesisOptions options = all_families();
      options.swarm = seed % 2 == 0;
      expect_within(generate(seed, options, 5, heal_at), heal_at, 5);
    }
  }
}

TEST(Nemesis, CrashesRespectMaxDown) {
  for (int max_down : {-1, 1, 3}) {
    NemesisOptions options = quiet_options();
    options.crash_interval = 100_ms;
    options.down_time = dist("uniform(1s, 5s)");
    options.max_down = max_down;
    const int limit = max_down < 0 ? 2 : max_down;  // a minority of 5
    int most_down = 0;
    for (uint64_t seed = 1; seed <= 20; ++seed) {
      std::set<NodeId> down;
      for (const FaultAction& action : generate(seed, options).actions) {
        if (action.kind == FaultKind::crash) {
          EXPECT_FALSE(down.contains(action.node)) << "crashed while down: " << to_short_string(action);
          down.insert(action.node);
        } else {
          ASSERT_EQ(action.kind, FaultKind::restart);
          down.erase(action.node);
        }
        EXPECT_LE(static_cast<int>(down.size()), limit) << "max_down " << max_down << " seed " << seed;
        most_down = std::max(most_down, static_cast<int>(down.size()));
      }
      EXPECT_TRUE(down.empty()) << "every crash has its restart";
    }
    EXPECT_EQ(most_down, limit) << "max_down " << max_down;
  }
}

TEST(Nemesis, SwarmSwitchesFamiliesPerSeed) {
  NemesisOptions options = all_families();
  options.swarm = true;
  std::array<int, kFaultFamilyCount> enabled{};
  std::set<std::string> configs;
  constexpr int kSeeds = 64;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    NemesisPlan plan = generate_nemesis(Rng(seed), options, make_servers(5), at(20_s));
    configs.insert(plan.swarm.to_string());
    // Actions aimed at a role are the shape family's.
    std::set<FaultKind> kinds;
    bool any_role = false;
    for (const FaultAction& action : plan.schedule.actions) {
      if (action.role.empty()) kinds.insert(action.kind);
      any_role = any_role || !action.role.empty();
    }
    for (size_t f = 0; f < kFaultFamilyCount; ++f) {
      const auto family = static_cast<FaultFamily>(f);
      const FamilySwarm& swarm = plan.swarm.family(family);
      EXPECT_TRUE(swarm.configured);
      EXPECT_GE(swarm.multiplier, 0.2499);
      EXPECT_LE(swarm.multiplier, 4.0001);
      enabled[f] += swarm.enabled;
      if (swarm.enabled) continue;
      if (family == FaultFamily::shape) EXPECT_FALSE(any_role) << plan.swarm.to_string();
      if (family == FaultFamily::shape) continue;
      for (FaultKind kind : kinds_of(family)) EXPECT_FALSE(kinds.contains(kind)) << plan.swarm.to_string();
    }
  }
  for (size_t f = 0; f < kFaultFamilyCount; ++f) {
    EXPECT_GT(enabled[f], 10) << to_string(static_cast<FaultFamily>(f)) << " is on in some seeds";
    EXPECT_LT(enabled[f], kSeeds - 10) << to_string(static_cast<FaultFamily>(f)) << " is off in some seeds";
  }
  EXPECT_GT(configs.size(), 60u) << "each seed has its own mix";
}

TEST(Nemesis, SwarmKeepsAnUnconfiguredKindOfAnActiveFamilyOff) {
  NemesisOptions options = quiet_options();
  options.corrupt_interval = 1_s;  // disk family on, the other disk kinds off
  options.clock_drift_interval = 1_s;
  options.swarm = true;
  int corrupts = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    for (const FaultAction& action : generate(seed, options).actions) {
      const bool configured = action.kind == FaultKind::corrupt || action.kind == FaultKind::clock_drift;
      EXPECT_TRUE(configured) << to_short_string(action);
      corrupts += action.kind == FaultKind::corrupt;
    }
  }
  EXPECT_GT(corrupts, 0);
  SwarmConfig config;
  config.on = true;
  config.families[static_cast<size_t>(FaultFamily::disk)] = {true, true, 3.0};
  EXPECT_EQ(config.scaled(FaultFamily::disk, Duration::zero()), Duration::zero());
}

TEST(Nemesis, SwarmOffRunsEachFamilyExactlyAsConfiguredAlone) {
  const NemesisOptions options = all_families();
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    NemesisPlan plan = generate_nemesis(Rng(seed), options, make_servers(5), at(20_s));
    EXPECT_EQ(plan.swarm.to_string(), "swarm: off");
    for (size_t f = 0; f < kFaultFamilyCount; ++f) {
      const auto family = static_cast<FaultFamily>(f);
      EXPECT_TRUE(plan.swarm.active(family));
      EXPECT_EQ(plan.swarm.family(family).multiplier, 1.0);
      // Each family draws from its own fork: the mix holds exactly what
      // the family would do on its own.
      FaultSchedule alone = generate(seed, with_family(quiet_options(), family));
      FaultSchedule mine;
      for (const FaultAction& action : plan.schedule.actions) {
        // A pause or clock jump aimed at a role is the shape family's.
        const bool ours = action.role.empty() ? family != FaultFamily::shape && kinds_of(family).contains(action.kind)
                                              : family == FaultFamily::shape;
        if (ours) mine.actions.push_back(action);
      }
      EXPECT_EQ(mine.to_short_string(), alone.to_short_string()) << to_string(family);
    }
  }
}

TEST(Nemesis, SameRngSamePlan) {
  NemesisOptions options = all_families();
  options.swarm = true;
  NemesisPlan first = generate_nemesis(Rng(42), options, make_servers(5), at(20_s));
  NemesisPlan second = generate_nemesis(Rng(42), options, make_servers(5), at(20_s));
  EXPECT_EQ(first.schedule.actions, second.schedule.actions);
  EXPECT_EQ(first.swarm.to_string(), second.swarm.to_string());
  NemesisPlan other = generate_nemesis(Rng(43), options, make_servers(5), at(20_s));
  EXPECT_NE(first.schedule.actions, other.schedule.actions);
}

// Explore's branches: from a redraw point on the schedule is redrawn, and
// before it nothing changes; the redrawn schedule keeps the nemesis's
// rules (every crash restarted, at most a minority down).
TEST(Nemesis, ARedrawKeepsThePastAndRedrawsTheFuture) {
  NemesisOptions options = all_families();
  options.swarm = true;
  auto before = [](const FaultSchedule& schedule, Time from) {
    std::vector<FaultAction> past;
    for (const FaultAction& action : schedule.actions) {
      if (action.at < from) past.push_back(action);
    }
    return past;
  };
  int redrawn = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const FaultSchedule plain = generate(seed, options);
    NemesisOptions branched = options;
    branched.redraws.push_back({at(8_s), 7});
    const FaultSchedule first = generate(seed, branched);
    EXPECT_EQ(first.actions, generate(seed, branched).actions) << "seed " << seed;
    EXPECT_EQ(before(first, at(8_s)), before(plain, at(8_s))) << "seed " << seed;
    redrawn += first.actions != plain.actions;
    expect_within(first, at(20_s), 5);
    // A second point later on keeps the first redraw's past too.
    branched.redraws.push_back({at(12_s), 3});
    const FaultSchedule second = generate(seed, branched);
    EXPECT_EQ(before(second, at(12_s)), before(first, at(12_s))) << "seed " << seed;
    expect_within(second, at(20_s), 5);
  }
  EXPECT_GE(redrawn, 18);
}

TEST(Swarm, ToStringListsOnlyConfiguredFamilies) {
  SwarmConfig config;
  EXPECT_EQ(config.to_string(), "swarm: off");
  config.on = true;
  auto set = [&](FaultFamily family, bool enabled, double multiplier) {
    config.families[static_cast<size_t>(family)] = {true, enabled, multiplier};
  };
  set(FaultFamily::crash, true, 1.7);
  set(FaultFamily::pause, false, 3.0);
  set(FaultFamily::partition, true, 0.4);
  set(FaultFamily::clock, true, 2.1);
  EXPECT_EQ(config.to_string(), "swarm: crash x1.7, pause off, partition x0.4, clock x2.1");
  EXPECT_EQ(config.scaled(FaultFamily::clock, 2100_ms), 1_s);
  config.on = false;
  EXPECT_EQ(config.scaled(FaultFamily::clock, 2100_ms), 2100_ms) << "swarm off never rescales";
}

TEST(Swarm, AFamilysChoiceDoesNotDependOnTheOthers) {
  std::array<bool, kFaultFamilyCount> all{};
  all.fill(true);
  std::array<bool, kFaultFamilyCount> crash_only{};
  crash_only[static_cast<size_t>(FaultFamily::crash)] = true;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    SwarmConfig full = choose_swarm(Rng(seed), true, all);
    SwarmConfig lone = choose_swarm(Rng(seed), true, crash_only);
    EXPECT_EQ(full.family(FaultFamily::crash).enabled, lone.family(FaultFamily::crash).enabled);
    EXPECT_EQ(full.family(FaultFamily::crash).multiplier, lone.family(FaultFamily::crash).multiplier);
    EXPECT_FALSE(lone.family(FaultFamily::pause).configured);
  }
}

}  // namespace
}  // namespace detsim
