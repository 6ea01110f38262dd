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

// The loop of every "planted bug is caught within N seeds" test: the first
// seed in 1..max_seed whose run (run_seed(seed)) `caught` accepts, with that
// run in *failure; 0 if none does.
template <typename RunSeed, typename Caught>
uint64_t first_seed_where(uint64_t max_seed, RunSeed run_seed, Caught caught, RunResult* failure) {
  for (uint64_t seed = 1; seed <= max_seed; ++seed) {
    *failure = run_seed(seed);
    if (caught(*failure)) return seed;
  }
  return 0;
}

inline bool breaks_safety(const RunResult& result) { return result.verdict == Verdict::safety; }
inline bool fails(const RunResult& result) { return result.verdict != Verdict::pass; }

// The first seed of the scenario whose run breaks safety. A liveness
// verdict is not a catch: a planted bug may also stall a run, but a test
// wants the bug's own signature.
inline uint64_t first_safety_seed(const Scenario& scenario, uint64_t max_seed, RunResult* failure) {
  return first_seed_where(
      max_seed, [&scenario](uint64_t seed) { return run_scenario_seed(scenario, seed); }, breaks_safety, failure);
}

// The first seed of the scenario whose run fails in any way (the test then
// asserts which way).
inline uint64_t first_failing_seed(const Scenario& scenario, uint64_t max_seed, RunResult* failure) {
  return first_seed_where(
      max_seed, [&scenario](uint64_t seed) { return run_scenario_seed(scenario, seed); }, fails, failure);
}

}  // namespace detsim::testing
