// Roles and the fault shapes aimed at them (sim/fault/fault_schedule.h):
// Jepsen's nemesis targets "the primary", not a node picked in advance, so
// a fault lands where a protocol is most fragile. A model publishes its
// roles with Context::set_role; a shape resolves its role when applied and
// draws whatever else it takes along (clients, a follower) from the
// world's "shapes" stream, so a saved schedule replays the same run.
#include <fmt/format.h>

#include <algorithm>

#include "sim/core/assert.h"
#include "sim/world/world.h"

namespace detsim {

void World::set_role(NodeId node, std::string_view role, bool held) {
  // Invariant: roles belong to nodes the world knows.
  DETSIM_ASSERT(node.index() < nodes_.size());
  DETSIM_ASSERT(!role.empty());
  auto it = roles_.find(role);
  if (it == roles_.end()) it = roles_.emplace(std::string(role), std::vector<uint32_t>()).first;
  std::vector<uint32_t>& holders = it->second;
  const bool was_held = std::find(holders.begin(), holders.end(), node.index()) != holders.end();
  if (was_held == held) return;
  std::erase(holders, node.index());
  if (held) holders.push_back(node.index());
  engine_.mix_fingerprint(kRoleKind, node.index(), held ? 1 : 0);
  if (tracing()) trace_fault(node, fmt::format("role: {} {}", held ? "claims" : "drops", role));
  if (held && armed_kill_ && armed_kill_->role == role) {
    const ArmedKill kill = *armed_kill_;
    armed_kill_.reset();
    if (tracing()) trace_fault(node, fmt::format("shape: figure8 strikes the next @{} = {}", role, node));
    const Time crash_at = engine_.now() + kill.after_claim;
    engine_.schedule_callback(crash_at, [this, node] { crash(node); });
    engine_.schedule_callback(crash_at + kill.down, [this, node] { restart(node); });
  }
}

std::optional<NodeId> World::role_holder(std::string_view role) const {
  auto it = roles_.find(role);
  if (it == roles_.end()) return std::nullopt;
  for (auto holder = it->second.rbegin(); holder != it->second.rend(); ++holder) {
    if (is_up(NodeId(*holder))) return NodeId(*holder);
  }
  return std::nullopt;
}

void World::apply_role_action(const FaultAction& action) {
  const std::optional<NodeId> holder = role_holder(action.role);
  engine_.mix_fingerprint(kShapeKind, static_cast<uint64_t>(action.kind), holder ? holder->index() + 1 : 0);
  if (!holder) {
    if (tracing())
      trace_fault(NodeId(), fmt::format("shape: {} finds no holder of @{}", to_string(action.kind), action.role));
    return;
  }
  if (tracing())
    trace_fault(*holder, fmt::format("shape: {} aims at @{} = {}", to_string(action.kind), action.role, *holder));
  switch (action.kind) {
    case FaultKind::pause: pause(*holder, action.length); break;
    case FaultKind::clock_jump: clock_jump(*holder, action.amount); break;
    case FaultKind::isolate: isolate(*holder, action); break;
    case FaultKind::figure8: figure8(*holder, action); break;
    case FaultKind::flap: flap_role(*holder, action); break;
    case FaultKind::kill: {
      crash(*holder);
      const NodeId node = *holder;
      engine_.schedule_callback(engine_.now() + action.length, [this, node] { restart(node); });
      break;
    }
    default: DETSIM_ASSERT(false && "this kind takes no role");
  }
}

// The holder and up to `value` random clients on one side, every other
// server on the other; the other clients reach both. Healed after length.
void World::isolate(NodeId holder, const FaultAction& action) {
  std::vector<NodeId> side = {holder};
  std::vector<NodeId> clients = clients_;
  shape_rng_.shuffle(clients.begin(), clients.end());
  const auto taken = std::min<size_t>(clients.size(), static_cast<size_t>(std::max<int64_t>(action.value, 0)));
  side.insert(side.end(), clients.begin(), clients.begin() + static_cast<std::ptrdiff_t>(taken));
  std::vector<NodeId> rest;
  for (NodeId server : servers_) {
    if (server != holder) rest.push_back(server);
  }
  if (rest.empty()) return;
  partition({side, rest});
  engine_.schedule_callback(engine_.now() + action.length, [this] { heal_network(); });
}

// Raft's Figure 8 (Ongaro & Ousterhout 2014): the holder replicates to one
// follower only and dies before it can finish; the next holder (elected on
// the other side) dies value ms after its claim, before its own entries
// spread; the first comes back later and may win again.
void World::figure8(NodeId holder, const FaultAction& action) {
  std::vector<NodeId> others;
  for (NodeId server : servers_) {
    if (server != holder && is_up(server)) others.push_back(server);
  }
  if (others.empty()) return;
  const NodeId follower = others[shape_rng_.below(others.size())];
  std::vector<NodeId> rest;
  for (NodeId server : servers_) {
    if (server != holder && server != follower) rest.push_back(server);
  }
  if (!rest.empty()) partition({{holder, follower}, rest});
  const Time crash_at = engine_.now() + action.amount;
  engine_.schedule_callback(crash_at, [this, holder] { crash(holder); });
  if (action.value > 0) armed_kill_ = ArmedKill{action.role, Duration::milliseconds(action.value), action.length};
  engine_.schedule_callback(crash_at + action.length, [this, holder] {
    heal_network();
    restart(holder);
  });
}

}  // namespace detsim
