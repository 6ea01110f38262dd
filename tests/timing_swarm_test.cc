// The timing swarm (sim/world/timing_swarm.h): per-seed draws of the
// swarmed knobs, pinned keys left alone, every declared value valid.
#include "sim/world/timing_swarm.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "models/registry.h"
#include "replay/scenario.h"
#include "sim/world/simulation.h"
#include "sim/world/world_params.h"
#include "tests/run_helpers.h"

namespace detsim {
namespace {

TEST(TimingSwarm, EveryDeclaredSwarmValueParsesUnderItsSpec) {
  size_t swarmed = 0;
  for (const ModelInfo& model : model_registry().all()) {
    for (const ParamSpec& spec : all_param_specs(model)) {
      for (const std::string& value : spec.swarm) {
        std::string error;
        EXPECT_TRUE(parse_param(spec, value, &error).has_value()) << model.name << " " << spec.key << ": " << error;
        ++swarmed;
      }
    }
  }
  EXPECT_GT(swarmed, 10u);
}

TEST(TimingSwarm, OffByDefaultAndDrawsNothing) {
  const ModelInfo* model = model_registry().find("raft_kv");
  ASSERT_NE(model, nullptr);
  Params params = default_params(*model);
  const Params before = params;
  const TimingDraw draw = draw_timing(all_param_specs(*model), Rng(7), params);
  EXPECT_TRUE(draw.assignments.empty());
  EXPECT_EQ(draw.to_string(), "");
  EXPECT_EQ(params.distribution("net.latency").to_string(), before.distribution("net.latency").to_string());
}

TEST(TimingSwarm, DrawsDeclaredValuesPerSeedAndLeavesPinnedKeysAlone) {
  const ModelInfo* model = model_registry().find("raft_kv");
  ASSERT_NE(model, nullptr);
  const std::vector<ParamSpec> specs = all_param_specs(*model);
  std::set<std::string> latencies;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    Params params = default_params(*model);
    params.set("swarm.timing", true);
    params.set("rate", 7.0);  // pinned, as a scenario file or --set would
    const TimingDraw draw = draw_timing(specs, Rng(seed), params);
    EXPECT_EQ(params.real("rate"), 7.0);
    for (const std::string& assignment : draw.assignments) EXPECT_NE(assignment.rfind("rate=", 0), 0u);
    latencies.insert(params.distribution("net.latency").to_string());
    Params again = default_params(*model);
    again.set("swarm.timing", true);
    again.set("rate", 7.0);
    EXPECT_EQ(draw_timing(specs, Rng(seed), again).to_string(), draw.to_string()) << "same seed, same draw";
  }
  EXPECT_GE(latencies.size(), 4u) << "the latency is drawn per seed";
}

TEST(TimingSwarm, TheStockScenarioPrintsItsDrawAndReplaysIt) {
  const Scenario scenario = load_scenario("raft_kv", {}, model_registry());
  const RunResult first = testing::run_scenario_seed(scenario, 3);
  const RunResult second = testing::run_scenario_seed(scenario, 3);
  EXPECT_NE(first.swarm.find("timing: "), std::string::npos) << first.swarm;
  EXPECT_EQ(first.swarm, second.swarm);
  EXPECT_EQ(first.fingerprint, second.fingerprint);
  // --set pins a swarmed key: the draw no longer names it.
  const Scenario pinned = load_scenario("raft_kv", {"net.latency=uniform(1ms, 2ms)"}, model_registry());
  const RunResult third = testing::run_scenario_seed(pinned, 3);
  EXPECT_EQ(third.swarm.find("net.latency="), std::string::npos) << third.swarm;
}

}  // namespace
}  // namespace detsim
