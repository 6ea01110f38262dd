// Small helpers for tests that run scenarios through simulate(): one seed
// of a loaded scenario, and a metric of the result.
#pragma once

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

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

}  // namespace detsim::testing
