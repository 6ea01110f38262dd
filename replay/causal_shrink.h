// Causal shrink: after `detsim shrink` found a 1-minimal fault schedule,
// make the rest of the run small too, and say what caused the failure.
// The run's length (duration, settle) is halved towards zero while the
// same verdict and property still fail (bisection between the last
// passing and the last failing length), then the client load (the
// model's `clients` and `rate` params, where it declares them) is halved
// towards the param's minimum in the same way. Then each fault unit of the
// final schedule is left out once: a unit is necessary if the seed then
// passes or fails differently. The whole is bounded by a run budget.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "replay/scenario.h"
#include "sim/api/model.h"
#include "sim/fault/fault_schedule.h"
#include "sim/world/simulation.h"

namespace detsim {

// Runs a candidate (scenario, schedule) and says whether it fails as the
// original did. Counted against the budget by CausalShrink.
using SameFailure = std::function<bool(const Scenario&, const FaultSchedule&)>;

struct ParamChange {
  std::string key;
  std::string from;
  std::string to;
};

struct CausalShrinkResult {
  Scenario scenario;  // with --set overrides for every change below
  std::vector<ParamChange> length;
  std::vector<ParamChange> load;
  // Per fault unit (fault_units) of the schedule: its action indexes, and
  // whether leaving it out makes the failure go away.
  std::vector<std::vector<size_t>> units;
  std::vector<bool> necessary;
  size_t runs = 0;
  bool exhausted = false;  // the budget ran out before every step was tried
};

// original_swarm: the failing run's swarm text (SeedOutcome::swarm), for
// the values the timing swarm drew for clients and rate.
CausalShrinkResult causal_shrink(const Scenario& scenario, const FaultSchedule& schedule,
                                 std::string_view original_swarm, const SameFailure& same_failure, size_t max_runs);

// One run of the scenario's seed with this fault schedule instead of its
// own: what every shrink step runs (shrink, report).
RunResult run_with_faults(const Scenario& scenario, uint64_t seed, const FaultSchedule& faults);

// The value the timing swarm drew for key ("timing: ..., rate=80, ..."),
// or "" if it drew none.
std::string drawn_value(std::string_view swarm, std::string_view key);

}  // namespace detsim
