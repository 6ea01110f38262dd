// RapidCheck generators of fault schedules for property tests: crashes
// (with their restarts), power losses (every server), partitions (with their heals), pauses and clock
// jumps over a model's servers. A schedule is generated as a list of
// independent fault specs, so RapidCheck's shrinking removes whole faults
// and moves the rest earlier and shorter; the result is always a valid
// schedule (sorted, restarts and heals before heal_ms).
#pragma once

#include <rapidcheck.h>

#include <algorithm>
#include <cstdint>
#include <ostream>
#include <vector>

#include "sim/fault/fault_schedule.h"

namespace detsim::testing {

enum class SpecKind : int { crash = 0, partition, pause, clock_jump, power };

struct FaultSpec {
  int kind = 0;  // SpecKind
  int node = 0;  // crash, pause, clock_jump
  int at_ms = 0;
  int length_ms = 1;  // crash, power: down time; partition: until the heal; pause: length
  int extra = 0;      // partition: bitmask of one side; clock_jump: signed ms
};

inline void showValue(const FaultSpec& spec, std::ostream& os) {
  os << "{kind " << spec.kind << " node " << spec.node << " at " << spec.at_ms << "ms len " << spec.length_ms
     << "ms extra " << spec.extra << "}";
}

// kinds: which SpecKinds to draw from.
inline rc::Gen<FaultSpec> gen_fault_spec(int servers, int heal_ms, std::vector<SpecKind> kinds) {
  return rc::gen::build<FaultSpec>(
      rc::gen::set(&FaultSpec::kind, rc::gen::map(rc::gen::elementOf(kinds), [](SpecKind k) { return int(k); })),
      rc::gen::set(&FaultSpec::node, rc::gen::inRange(0, servers)),
      rc::gen::set(&FaultSpec::at_ms, rc::gen::inRange(0, heal_ms - 1)),
      rc::gen::set(&FaultSpec::length_ms, rc::gen::inRange(1, 5000)),
      rc::gen::set(&FaultSpec::extra, rc::gen::inRange(-5000, 5000)));
}

inline FaultAction fault_action(int at_ms, FaultKind kind, int node) {
  FaultAction action;
  action.at = Time::zero() + Duration::milliseconds(at_ms);
  action.kind = kind;
  action.node = NodeId(static_cast<uint32_t>(node));
  return action;
}

// Servers are n0..n(servers-1): models declare their servers first.
inline FaultSchedule build_fault_schedule(const std::vector<FaultSpec>& specs, int servers, int heal_ms) {
  FaultSchedule schedule;
  for (const FaultSpec& spec : specs) {
    const int end_ms = std::min(spec.at_ms + spec.length_ms, heal_ms - 1);
    switch (static_cast<SpecKind>(spec.kind)) {
      case SpecKind::crash:
        schedule.actions.push_back(fault_action(spec.at_ms, FaultKind::crash, spec.node));
        schedule.actions.push_back(fault_action(end_ms, FaultKind::restart, spec.node));
        break;
      case SpecKind::power:  // every server at once
        for (int n = 0; n < servers; ++n) schedule.actions.push_back(fault_action(spec.at_ms, FaultKind::crash, n));
        for (int n = 0; n < servers; ++n) schedule.actions.push_back(fault_action(end_ms, FaultKind::restart, n));
        break;
      case SpecKind::partition: {
        FaultAction cut = fault_action(spec.at_ms, FaultKind::partition, 0);
        std::vector<NodeId> side, rest;
        for (int n = 0; n < servers; ++n) (((spec.extra >> n) & 1) ? side : rest).push_back(NodeId(uint32_t(n)));
        if (side.empty() || rest.empty()) break;
        cut.groups = {side, rest};
        schedule.actions.push_back(cut);
        schedule.actions.push_back(fault_action(end_ms, FaultKind::heal, 0));
        break;
      }
      case SpecKind::pause: {
        FaultAction pause = fault_action(spec.at_ms, FaultKind::pause, spec.node);
        pause.length = Duration::milliseconds(spec.length_ms);
        schedule.actions.push_back(pause);
        break;
      }
      case SpecKind::clock_jump: {
        FaultAction jump = fault_action(spec.at_ms, FaultKind::clock_jump, spec.node);
        jump.amount = Duration::milliseconds(spec.extra == 0 ? 1 : spec.extra);
        schedule.actions.push_back(jump);
        break;
      }
    }
  }
  // A heal carries no node; clear the one fault_action gave it.
  for (FaultAction& action : schedule.actions) {
    if (action.kind == FaultKind::heal || action.kind == FaultKind::partition) action.node = NodeId();
  }
  schedule.sort();
  return schedule;
}

}  // namespace detsim::testing
