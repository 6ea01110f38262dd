// Small helpers for tests that run scenarios through simulate(): one seed
// of a loaded scenario, and a metric of the result.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "replay/scenario.h"
#include "sim/world/simulation.h"

namespace detsim::testing {

inline RunResult run_scenario_seed(const Scenario& scenario, uint64_t seed) {
  RunRequest request;
  request.model = scenario.model;
  request.params = scenario.params;
  request.seed = seed;
  return simulate(request);
}

// The named metric of a run; a missing one fails the test.
inline double metric(const RunResult& result, const std::string& name) {
  for (const Metric& m : result.metrics) {
    if (m.name == name) return m.value;
  }
  ADD_FAILURE() << "no metric " << name;
  return -1;
}

// The first seed in 1..max_seed whose run breaks safety, with that run in
// *failure; 0 if none does. A liveness verdict is not a catch: a planted
// bug may also stall a run, but a test wants the bug's own signature.
inline uint64_t first_safety_seed(const Scenario& scenario, uint64_t max_seed, RunResult* failure) {
  for (uint64_t seed = 1; seed <= max_seed; ++seed) {
    *failure = run_scenario_seed(scenario, seed);
    if (failure->verdict == Verdict::safety) return seed;
  }
  return 0;
}

}  // namespace detsim::testing
