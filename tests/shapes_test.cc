// Roles and the fault shapes aimed at them (sim/world/shapes.cc): they
// parse and print back, resolve the role's holder when applied, and a run
// with them replays to the same fingerprint.
#include <gtest/gtest.h>

#include <string>

#include "models/registry.h"
#include "replay/scenario.h"
#include "sim/fault/fault_schedule.h"
#include "sim/world/simulation.h"
#include "tests/network_harness.h"

namespace detsim {
namespace {

constexpr const char* kShapes =
    "2s isolate @leader 1s 2; 3s figure8 @leader 80ms 1s 3; 4s kill @leader 500ms; 5s pause @leader 300ms; "
    "6s clock_jump @leader -2s";

// Jepsen's nemesis shapes (sim/world/jepsen_shapes.cc; more in
// tests/jepsen_shapes_test.cc).
constexpr const char* kJepsenShapes =
    "1s ring n0,n2,n4,n1,n3; 2s flap n1 n3 2s 200ms; 3s flap @leader n2 1s 50ms; 4s rolling 300ms 400ms; "
    "5s power_fsync n0,n2 1s 800ms";

TEST(Shapes, ParseAndPrintBackExactly) {
  std::string error;
  for (const char* text : {kShapes, kJepsenShapes}) {
    const auto schedule = FaultSchedule::parse_short(text, &error);
    ASSERT_TRUE(schedule.has_value()) << error;
    EXPECT_EQ(schedule->to_short_string(), text);
    const auto reread = FaultSchedule::parse_file_text(schedule->to_file_text(), &error);
    ASSERT_TRUE(reread.has_value()) << error;
    EXPECT_EQ(reread->actions, schedule->actions);
  }
  EXPECT_TRUE(FaultSchedule::parse_short(kShapes, &error)->validate(FaultTargets::servers_only(1), &error))
      << "a role names no node: " << error;
  for (const char* bad : {"2s isolate n1 1s 2", "2s kill @Leader 1s", "2s figure8 @leader 80ms 1s -1",
                          "2s kill @leader 0s", "2s pause @ 1s"}) {
    EXPECT_FALSE(FaultSchedule::parse_short(bad, &error).has_value()) << bad;
    EXPECT_FALSE(error.empty());
  }
}

RunResult run_with_shapes(TraceSink* trace) {
  const Scenario scenario = load_scenario("raft_kv_partitions", {}, model_registry());
  RunRequest request;
  request.model = scenario.model;
  request.params = scenario.params;
  request.seed = 5;
  std::string error;
  request.faults = FaultSchedule::parse_short(kShapes, &error);
  request.trace = trace;
  return simulate(request);
}

TEST(Shapes, AimAtTheCurrentLeaderAndReplay) {
  testing::TraceCollector trace;
  const RunResult first = run_with_shapes(&trace);
  EXPECT_EQ(first.verdict, Verdict::pass) << first.property << ": " << first.detail;
  std::string last_claim;
  int aimed = 0;
  for (const TraceEvent& event : trace.events) {
    if (event.text == "role: claims leader") last_claim = fmt::format("{}", event.node);
    const size_t at = event.text.find("aims at @leader = ");
    if (at == std::string::npos) continue;
    ++aimed;
    // The holder is the node that claimed the role last.
    EXPECT_EQ(event.text.substr(at + 18), last_claim) << event.text;
  }
  EXPECT_EQ(aimed, 5) << "every shape found a leader";
  const RunResult second = run_with_shapes(nullptr);
  EXPECT_EQ(first.fingerprint, second.fingerprint);
}

}  // namespace
}  // namespace detsim
