// The timing swarm: per seed, draw the knobs whose ratios decide which races
// a run can reach (latency against timeouts, client patience, load, the
// same-instant scheduling policy). Fault swarming (sim/fault/swarm.h) picks
// which fault families run; this picks the timing they meet. A bug that
// needs a message delay comparable to an election timeout, or a client
// that waits on a deposed leader, is invisible when every seed runs the
// same fixed timing: FoundationDB randomizes its knobs per simulation run
// for the same reason.
//
// A key is swarmed when its ParamSpec lists swarm values, the scenario sets
// swarm.timing = true, and neither the scenario file nor --set pinned it.
// Each key draws from rng.fork(key), so adding a swarmed key moves no
// other key's draw.
#pragma once

#include <string>
#include <vector>

#include "sim/api/params.h"
#include "sim/core/rng.h"

namespace detsim {

struct TimingDraw {
  // "key=value" for every swarmed key, in spec order.
  std::vector<std::string> assignments;
  // "timing: net.latency=uniform(1ms, 10ms), rate=50"; "" if nothing drawn.
  std::string to_string() const;
};

// With swarm.timing on: sets each swarmed key of params to one of its
// spec's swarm values and returns what it drew. Otherwise changes nothing.
TimingDraw draw_timing(const std::vector<ParamSpec>& specs, const Rng& rng, Params& params);

}  // namespace detsim
