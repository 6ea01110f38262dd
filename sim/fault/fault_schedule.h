// The nemesis's plan as data: a timed list of actions. A schedule is either
// generated from the seed or given (by a test, or later a file), printed in
// short form when a run fails, and applied by the world.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/api/node_id.h"
#include "sim/core/duration_dist.h"
#include "sim/core/rng.h"
#include "sim/core/time.h"

namespace detsim {

enum class FaultKind { crash, restart, pause };
const char* to_string(FaultKind kind);

struct FaultAction {
  Time at;
  FaultKind kind = FaultKind::crash;
  NodeId node;
  Duration length;  // pause only
  auto operator<=>(const FaultAction&) const = default;
};

struct FaultSchedule {
  std::vector<FaultAction> actions;  // sorted by time, stable
  // "1.204s crash n2; 3.900s restart n2; 5.000s pause n1 200ms"
  std::string to_short_string() const;
  // Reads to_short_string()'s form back; nullopt and a reason on bad text.
  static std::optional<FaultSchedule> parse_short(std::string_view text, std::string* error);
  size_t size() const { return actions.size(); }
};

struct CrashFaultOptions {
  Duration crash_interval_mean;  // zero: no crashes
  DurationDist down_time;        // how long a crashed server stays down
  int max_down = -1;             // at most this many down at once; -1: a minority
  Duration pause_interval_mean;  // zero: no pauses
  DurationDist pause_length;
};

// Crashes, restarts and pauses of servers in [start, heal_at). Every crashed
// server has its restart in the schedule no later than heal_at, where the
// world also restarts anything still down.
FaultSchedule generate_fault_schedule(Rng rng, const CrashFaultOptions& options,
                                      const std::vector<NodeId>& servers, Time heal_at);

}  // namespace detsim
