// Running a scenario from a test of your own (GoogleTest, RapidCheck), as
// `detsim run` would: the same verdict and fingerprint as the command line,
// and the command line that replays the seed.
//
//   RC_GTEST_PROP(MyModel, StockScenarioPasses, ()) {
//     const auto run = detsim::run_scenario_seed("my_model", *rc::gen::inRange<uint64_t>(1, 1'000'000));
//     RC_LOG() << run.reproduce;
//     RC_ASSERT(run.verdict == detsim::Verdict::pass);
//   }
//
// Link the test with detsim::detsim_cli and the model's sources: the
// models its files register (DETSIM_REGISTER_MODEL) and detsim's built-in
// ones are known. A scenario name is looked up as the simulator looks it
// up (scenarios/ next to the test binary, or $DETSIM_SCENARIO_DIR).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/api/model.h"

namespace detsim {

struct ScenarioRun {
  Verdict verdict = Verdict::pass;
  std::string property;  // the invariant that failed, if one did
  std::string detail;
  std::string reproduce;  // "detsim replay SCENARIO --seed N ..."
  uint64_t fingerprint = 0;
};

// sets: "k=v" overrides, as --set takes them. Bad input (an unknown
// scenario, key or value) throws std::invalid_argument with the one-line
// reason the command line would print.
ScenarioRun run_scenario_seed(std::string_view scenario, uint64_t seed, const std::vector<std::string>& sets = {});

}  // namespace detsim
