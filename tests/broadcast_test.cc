// The broadcast model (Maelstrom's broadcast workload) end to end through
// simulate(): it converges through loss and crashes, its planted bug is
// caught, runs are reproducible, and RapidCheck-generated crash schedules
// never lose an acknowledged value.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "models/registry.h"
#include "replay/scenario.h"
#include "sim/world/simulation.h"
#include "tests/run_helpers.h"

namespace detsim {
namespace {

const ModelInfo& broadcast_model() {
  const ModelInfo* model = model_registry().find("broadcast");
  // Invariant: the registry lists the broadcast model.
  DETSIM_ASSERT(model != nullptr);
  return *model;
}

// The default scenario's faults, shortened so each run takes milliseconds:
// 10s of loss and crashes, then 5s healed for the gossip to converge.
Params short_faulty_params(const std::vector<std::string>& overrides = {}) {
  const ModelInfo& model = broadcast_model();
  const std::vector<ParamSpec> specs = all_param_specs(model);
  Params params = default_params(model);
  const std::vector<std::string> base = {
      "duration=15s",
      "settle=5s",
      "nodes=5",
      "clients=3",
      "rate=20",
      "net.loss=0.05",
      "net.latency=uniform(1ms, 20ms)",
      "faults.crash_interval=2s",
      "faults.down_time=uniform(500ms, 3s)",
  };
  for (const std::string& assignment : base) apply_override(specs, assignment, &params);
  for (const std::string& assignment : overrides) apply_override(specs, assignment, &params);
  return params;
}

RunResult run(const Params& params, uint64_t seed, std::optional<FaultSchedule> faults = std::nullopt) {
  RunRequest request;
  request.model = &broadcast_model();
  request.params = params;
  request.seed = seed;
  request.faults = std::move(faults);
  return simulate(request);
}

using testing::metric;

std::string describe(const RunResult& result) {
  return fmt::format("seed={} verdict={} property={} detail={} faults={}", result.seed, to_string(result.verdict),
                     result.property, result.detail, result.faults.to_short_string());
}

TEST(BroadcastTest, TwentySeedsPassWithLossAndCrashes) {
  const Params params = short_faulty_params();
  int crashes = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const RunResult result = run(params, seed);
    EXPECT_EQ(result.verdict, Verdict::pass) << describe(result);
    EXPECT_GT(metric(result, "values_acked"), 0) << describe(result);
    // Every acknowledged value is on every server, so the union holds them.
    EXPECT_GE(metric(result, "values_total"), metric(result, "values_acked")) << describe(result);
    for (const FaultAction& action : result.faults.actions) crashes += action.kind == FaultKind::crash;
  }
  // The seeds must actually exercise crash-restart, or the test proves little.
  EXPECT_GT(crashes, 20);
}

TEST(BroadcastTest, NoRetryBugIsCaughtWithinFiftySeeds) {
  const Params params = short_faulty_params({"bug=no_retry"});
  RunResult failure;
  const uint64_t first_caught = testing::first_seed_where(
      49, [&params](uint64_t seed) { return run(params, seed); }, testing::fails, &failure);
  ASSERT_NE(first_caught, 0u) << "no_retry survived seeds 1..49";
  EXPECT_EQ(failure.verdict, Verdict::safety) << describe(failure);
  EXPECT_EQ(failure.property, "acked_value_everywhere") << describe(failure);
  EXPECT_LT(first_caught, 50u);
  RecordProperty("no_retry_first_caught_seed", static_cast<int>(first_caught));
}

TEST(BroadcastTest, SameSeedSameFingerprint) {
  const Params params = short_faulty_params();
  const RunResult first = run(params, 7);
  const RunResult second = run(params, 7);
  EXPECT_EQ(first.fingerprint, second.fingerprint);
  EXPECT_EQ(first.events, second.events);
  EXPECT_EQ(metric(first, "gossip_messages"), metric(second, "gossip_messages"));
  EXPECT_EQ(first.faults.to_short_string(), second.faults.to_short_string());
}

TEST(BroadcastTest, DifferentSeedsDifferentFingerprints) {
  const Params params = short_faulty_params();
  std::vector<uint64_t> fingerprints;
  for (uint64_t seed = 1; seed <= 5; ++seed) fingerprints.push_back(run(params, seed).fingerprint);
  std::sort(fingerprints.begin(), fingerprints.end());
  EXPECT_EQ(std::adjacent_find(fingerprints.begin(), fingerprints.end()), fingerprints.end());
}

TEST(BroadcastTest, NoWorkloadBeforeHealIsNotAFailure) {
  // settle == duration: clients never start, so "no progress" is not a bug.
  const RunResult result = run(short_faulty_params({"settle=15s"}), 3);
  EXPECT_EQ(result.verdict, Verdict::pass) << describe(result);
  EXPECT_EQ(metric(result, "values_acked"), 0);
}

TEST(BroadcastTest, DefaultScenarioLoadsAndPasses) {
  // The README's main command runs this file over seeds 1..20.
  const Scenario scenario = load_scenario("broadcast", {}, model_registry());
  ASSERT_EQ(scenario.model, &broadcast_model());
  EXPECT_EQ(scenario.params.duration("duration"), Duration::seconds(30));
  EXPECT_EQ(scenario.params.real("net.loss"), 0.05);
  EXPECT_EQ(scenario.params.duration("faults.crash_interval"), Duration::seconds(3));
  const RunResult result = run(scenario.params, 1);
  EXPECT_EQ(result.verdict, Verdict::pass) << describe(result);
  EXPECT_FALSE(result.faults.actions.empty());
}

// ---- RapidCheck: generated crash-restart schedules ----

struct CrashPlan {
  int node = 0;
  int at_ms = 0;
  int down_ms = 0;
};

// For RapidCheck's counterexample output.
void showValue(const CrashPlan& plan, std::ostream& os) {
  os << "crash n" << plan.node << " at " << plan.at_ms << "ms for " << plan.down_ms << "ms";
}

// Turns raw crash requests into a valid nemesis schedule: a node crashes
// only while up, at most a minority is down at once, and every restart
// lands before the heal.
FaultSchedule build_schedule(std::vector<CrashPlan> plans, int nodes, int heal_ms) {
  std::stable_sort(plans.begin(), plans.end(),
                   [](const CrashPlan& a, const CrashPlan& b) { return a.at_ms < b.at_ms; });
  const int max_down = (nodes - 1) / 2;
  std::vector<std::tuple<int, int, int>> accepted;  // node, crash, restart (ms)
  for (const CrashPlan& plan : plans) {
    int down_now = 0;
    bool node_down = false;
    for (const auto& [node, crash_ms, restart_ms] : accepted) {
      // Inclusive: a restart and a crash never share an instant.
      if (plan.at_ms < crash_ms || plan.at_ms > restart_ms) continue;
      ++down_now;
      node_down |= node == plan.node;
    }
    if (node_down || down_now >= max_down) continue;
    accepted.emplace_back(plan.node, plan.at_ms, std::min(plan.at_ms + plan.down_ms, heal_ms - 1));
  }
  FaultSchedule schedule;
  for (const auto& [node, crash_ms, restart_ms] : accepted) {
    const NodeId id(static_cast<uint32_t>(node));  // servers are declared first: n0 is NodeId 0
    for (auto [at_ms, kind] : {std::pair{crash_ms, FaultKind::crash}, std::pair{restart_ms, FaultKind::restart}}) {
      FaultAction action;
      action.at = Time::zero() + Duration::milliseconds(at_ms);
      action.kind = kind;
      action.node = id;
      schedule.actions.push_back(action);
    }
  }
  std::stable_sort(schedule.actions.begin(), schedule.actions.end(),
                   [](const FaultAction& a, const FaultAction& b) { return a.at < b.at; });
  return schedule;
}

RC_GTEST_PROP(BroadcastProperty, ConvergesUnderCrashRestartSchedules, ()) {
  constexpr int kNodes = 5;
  constexpr int kHealMs = 10'000;  // duration 15s - settle 5s
  const auto count = *rc::gen::inRange(0, 10);
  const auto plan = rc::gen::build<CrashPlan>(rc::gen::set(&CrashPlan::node, rc::gen::inRange(0, kNodes)),
                                              rc::gen::set(&CrashPlan::at_ms, rc::gen::inRange(0, kHealMs)),
                                              rc::gen::set(&CrashPlan::down_ms, rc::gen::inRange(1, 4000)));
  const auto plans = *rc::gen::container<std::vector<CrashPlan>>(static_cast<size_t>(count), plan);
  const auto seed = *rc::gen::inRange<uint64_t>(1, 1'000'000);
  const FaultSchedule schedule = build_schedule(plans, kNodes, kHealMs);
  const RunResult result = run(short_faulty_params(), seed, schedule);
  RC_LOG() << describe(result) << "\n";
  RC_ASSERT(result.verdict == Verdict::pass);
}

}  // namespace
}  // namespace detsim
