// The fault shapes of Jepsen's nemesis package that need more than a
// partition or a crash at a fixed time (sim/fault/fault_schedule.h): the
// majorities ring, a flapping link, rolling restarts and power loss while
// an fsync is in flight. Each resolves whatever it aims at when applied,
// and none acts at or after heal_at, where the world has healed everything
// and the model is owed a quiet settle.
#include <fmt/format.h>

#include <algorithm>

#include "sim/core/assert.h"
#include "sim/world/world.h"

namespace detsim {

bool World::in_fault_window() const { return engine_.now() < options_.heal_at; }

void World::apply_jepsen_shape(const FaultAction& action) {
  switch (action.kind) {
    case FaultKind::ring: network_->ring(action.groups[0]); break;
    case FaultKind::flap: flap(action.node, action.peer, engine_.now() + action.length, action.amount); break;
    case FaultKind::rolling: rolling_restart(0, action.amount, action.length); break;
    case FaultKind::power_fsync: arm_power_loss(action); break;
    default: DETSIM_ASSERT(false && "not a Jepsen shape");
  }
}

// flap @ROLE PEER: the holder and PEER; the server after PEER stands in
// when PEER holds the role itself.
void World::flap_role(NodeId holder, const FaultAction& action) {
  NodeId peer = action.peer;
  if (peer == holder) {
    auto it = std::find(servers_.begin(), servers_.end(), peer);
    const size_t at = it == servers_.end() ? 0 : static_cast<size_t>(it - servers_.begin());
    peer = servers_[(at + 1) % servers_.size()];
  }
  if (peer == holder) return;  // a single server: there is no link to flap
  flap(holder, peer, engine_.now() + action.length, action.amount);
}

// Down for a period, up for a period, ... until `until`; up at the end.
// Each phase is a link state of its own (LinkTable's flapped), so the up
// phase does not undo a partition that cut the same link.
void World::flap(NodeId a, NodeId b, Time until, Duration period) {
  // Invariant: a flap alternates, so a zero period would never advance.
  DETSIM_ASSERT(period > Duration::zero());
  if (tracing()) trace_fault(a, fmt::format("shape: flap {}<>{} every {}", a, b, format_duration(period)));
  flap_phase(a, b, until, period, true);
}

void World::flap_phase(NodeId a, NodeId b, Time until, Duration period, bool down) {
  const bool going_on = engine_.now() < until && in_fault_window();
  network_->flap(a, b, going_on && down);
  if (!going_on) return;
  const Time next = std::min(engine_.now() + period, until);
  engine_.schedule_callback(next, [this, a, b, until, period, down] { flap_phase(a, b, until, period, !down); });
}

// Crash servers_[index], restart it down later, and go on to the next
// server gap after that restart.
void World::rolling_restart(size_t index, Duration gap, Duration down) {
  if (index >= servers_.size() || !in_fault_window()) return;
  const NodeId server = servers_[index];
  engine_.mix_fingerprint(kRollingKind, server.index(), index);
  if (tracing()) trace_fault(server, fmt::format("rolling: restart {} ({} of {})", server, index + 1, servers_.size()));
  crash(server);
  const Time restart_at = engine_.now() + down;
  engine_.schedule_callback(restart_at, [this, server] { restart(server); });
  engine_.schedule_callback(restart_at + gap, [this, index, gap, down] { rolling_restart(index + 1, gap, down); });
}

// Each node loses power when its next fsync starts (power_loss_at_fsync),
// or after the wait if it never syncs in that time. A node already armed
// keeps its first arming.
void World::arm_power_loss(const FaultAction& action) {
  for (NodeId node : action.groups[0]) {
    if (power_armed_.contains(node.index())) continue;
    const Engine::CallbackId timeout =
        engine_.schedule_callback(engine_.now() + action.amount, [this, node] { power_loss(node, false); });
    power_armed_.emplace(node.index(), PowerArm{action.length, timeout});
  }
}

void World::power_loss_at_fsync(NodeId node) {
  if (!power_armed_.contains(node.index())) return;
  // The crash runs as its own event at this instant, after the syncing
  // fiber has parked in its fsync: the fsync is in flight, not done.
  engine_.schedule_callback(engine_.now(), [this, node] { power_loss(node, true); });
}

void World::power_loss(NodeId node, bool during_fsync) {
  auto it = power_armed_.find(node.index());
  if (it == power_armed_.end()) return;  // already struck (fsync and timeout at one instant)
  const PowerArm arm = it->second;
  power_armed_.erase(it);
  engine_.cancel(arm.timeout);
  if (!in_fault_window()) return;
  engine_.mix_fingerprint(kPowerFsyncKind, node.index(), during_fsync ? 1 : 0);
  if (tracing()) {
    trace_fault(node, during_fsync ? "power: lost during an fsync" : "power: lost (no fsync started in the wait)");
  }
  crash(node);
  engine_.schedule_callback(engine_.now() + arm.down, [this, node] { restart(node); });
}

void World::disarm_power_losses() {
  for (const auto& [node, arm] : power_armed_) engine_.cancel(arm.timeout);
  power_armed_.clear();
}

}  // namespace detsim
