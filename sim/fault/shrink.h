// Shrinking a failing fault schedule: the same seed, fewer faults, same
// failure. Delta debugging (Zeller and Hildebrandt, "Simplifying and
// Isolating Failure-Inducing Input", TSE 2002) over fault units, then one
// more pass that tries each remaining unit alone, so the result is
// 1-minimal: removing any single unit makes the failure go away.
//
// A unit is what must go together for the rest to stay meaningful: a crash
// and the node's next restart, a partition and the next heal. Other faults
// are units on their own.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "sim/fault/fault_schedule.h"

namespace detsim {

// Indexes into schedule.actions, one vector per unit, in schedule order.
std::vector<std::vector<size_t>> fault_units(const FaultSchedule& schedule);

struct ShrinkResult {
  FaultSchedule schedule;  // the smallest failing schedule found
  size_t runs = 0;         // how often still_fails was called
  bool exhausted = false;  // stopped at max_runs, so maybe not 1-minimal
};

// still_fails(candidate) runs the candidate and says whether it fails in
// the same way as the original. `failing` must fail. Deterministic: the
// candidates are tried in a fixed order.
ShrinkResult shrink_schedule(const FaultSchedule& failing, const std::function<bool(const FaultSchedule&)>& still_fails,
                             size_t max_runs);

}  // namespace detsim
