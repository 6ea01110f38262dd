// The parameters every scenario has, whatever its model: the run's length,
// the network, disks, clocks, and the nemesis (faults.*). Models add their
// own (ModelInfo::params).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sim/api/params.h"
#include "sim/core/sched_order.h"
#include "sim/fault/fault_schedule.h"
#include "sim/fault/nemesis.h"
#include "sim/world/world.h"

namespace detsim {

template <class S>
class ParamBindings;

// Every parameter a scenario has whatever its model, as one struct: the
// defaults are its initializers (and default_faults() in the .cc for the
// nemesis), and world_bindings() declares each key once.
struct WorldParams {
  WorldParams();
  Duration duration = Duration::seconds(30);
  Duration settle = Duration::seconds(10);
  int64_t events_max = 0;
  int64_t livelock_events = 5'000'000;
  int64_t history_check_budget = 20'000'000;
  bool buggify = true;
  double buggify_probability = 0.05;
  NetworkOptions net;
  std::string links;  // net.links: per-link overrides (links.h)
  DiskOptions disk;
  ClockOptions clock;
  NemesisOptions faults;
  bool timing_swarm = false;  // swarm.timing
  std::string schedule;       // faults.schedule
  SchedOptions sched;
};

const ParamBindings<WorldParams>& world_bindings();
// world_bindings().specs(), made once.
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
