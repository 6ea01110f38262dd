// The parameters every scenario has, whatever its model: the run's length,
// the network, disks, clocks, and the nemesis (faults.*). Models add their
// own (ModelInfo::params).
#pragma once

#include <optional>
#include <vector>

#include "sim/api/params.h"
#include "sim/core/sched_order.h"
#include "sim/fault/fault_schedule.h"
#include "sim/fault/nemesis.h"
#include "sim/world/world.h"

namespace detsim {

const std::vector<ParamSpec>& world_param_specs();

// Validated params (they include world_param_specs()) onto options.
WorldOptions world_options(const Params& params, Time heal_at, Time end_at);
std::vector<LinkOverride> link_overrides(const Params& params);
NemesisOptions nemesis_options(const Params& params);
// sched.*: the engine's same-instant order and timer jitter.
SchedOptions sched_options(const Params& params);
// faults.schedule parsed; nullopt when it is empty (generate from the seed).
std::optional<FaultSchedule> given_schedule(const Params& params);

}  // namespace detsim
