// THE SEAM. Everything model code may touch: its node's identity, simulated
// time, its clocks, randomness, fibers, the network, its disk and buggify. One Context per node
// incarnation; a restart gets a fresh one. Every blocking call suspends the
// calling fiber and lets virtual time move; when the node crashes, the
// blocked call throws FiberKilled, which model code must let through.
#pragma once

#include <fmt/format.h>

#include <functional>
#include <optional>
#include <source_location>
#include <string>
#include <string_view>
#include <vector>

#include "sim/api/connection.h"
#include "sim/api/disk.h"
#include "sim/api/message.h"
#include "sim/api/node_id.h"
#include "sim/core/assert.h"
#include "sim/core/fiber_ids.h"
#include "sim/core/rng.h"
#include "sim/core/time.h"

namespace detsim {

class World;

struct Envelope {
  NodeId from;
  NodeId to;
  Time sent_at;
  uint64_t id = 0;  // unique per send in a run; duplicates share it
  Message message;
};

class Context;

// The part of a source file's path that names it in the tree
// ("models/raft_kv/node.cc"), however the checkout's path begins: what
// buggify hashes for a call site, so a seed picks the same sites wherever
// the repository was cloned.
std::string_view source_tree_path(std::string_view file);

// Datagrams: they may be lost, duplicated, reordered or delayed, and on a
// link with a bandwidth they queue for size / bandwidth. And TCP-like
// connections (sim/api/connection.h): FIFO, no loss, limited by
// bandwidth, broken by partitions and crashes.
class Network {
 public:
  Network(World& world, Context& context) : world_(world), context_(context) {}
  // Never blocks.
  void send(NodeId to, Message message);
  // Waits up to timeout for the next datagram to this node. Datagrams are
  // addressed to a node, not an incarnation: one sent before a crash may
  // arrive after the restart, as on a real network.
  std::optional<Envelope> receive(Duration timeout = Duration::max());

  // Opens a connection to the node's port: a round trip, answered by an
  // accept() there. nullopt with *status timeout if no answer came in time
  // (the peer is down, cut off, or never accepted), or refused if the peer's
  // current incarnation never accepted on that port.
  std::optional<Connection> connect(NodeId to, uint32_t port, Duration timeout, NetStatus* status = nullptr);
  // Waits up to timeout for a connection to this node's port. The first
  // accept() on a port starts listening on it, for this incarnation.
  std::optional<Connection> accept(uint32_t port, Duration timeout = Duration::max());

 private:
  World& world_;
  Context& context_;
};

class Context {
 public:
  Context(World& world, NodeId self, uint32_t incarnation, GroupId group, Rng rng);
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  NodeId self() const { return self_; }
  // 0 on first boot, +1 per restart.
  uint32_t incarnation() const { return incarnation_; }
  const std::string& name() const;
  const std::vector<NodeId>& servers() const;
  const std::vector<NodeId>& clients() const;

  // True simulated time: what timers and sleeps use. Protocol logic that a
  // real node would run on its own clock should read one of the next two.
  Time now() const;
  // This node's wall clock (CLOCK_REALTIME): offset, drift, jumps
  // backwards and forwards, NTP steps. Never order events by it.
  WallTime wall_now() const;
  // This node's monotonic clock (CLOCK_MONOTONIC): drifts, never jumps,
  // starts at zero with the run and survives restarts.
  Time monotonic_now() const;
  void sleep_for(Duration d);
  void sleep_until(Time t);
  // This node incarnation's own stream, forked from the run seed by node
  // and incarnation.
  Rng& rng() { return rng_; }
  // Another fiber on this node; it dies with the node.
  void spawn(std::string name, std::function<void()> body);
  Network& net() { return network_; }
  // This node's disk (sim/api/disk.h). It outlives the incarnation: a
  // restarted node finds what was durable when it crashed.
  Disk& disk();

  // FoundationDB's BUGGIFY: each call site is switched on for the whole run
  // with probability 1/4 (decided by the seed and the site), and then fires
  // with the world's buggify probability. Use it to push rare paths.
  bool buggify(std::source_location site = std::source_location::current());

  // Publishes (held) or withdraws a role of this node, such as "leader":
  // the nemesis's shapes aim at a role's most recent claimant (a
  // "figure8 @leader" kills the leader after partial replication). A crash
  // withdraws every role of the node.
  void set_role(std::string_view role, bool held);

  // A coverage probe (docs/coverage.md), after FoundationDB's CODE_PROBE and
  // Antithesis's "sometimes": counts a hit of the named probe when condition
  // holds, and returns condition, so it can wrap an if. Only counts: no
  // event, no random draw, no change to the run or its fingerprint. A name
  // the model did not declare in ModelInfo::probes is a model crash.
  bool sometimes(std::string_view name, bool condition);

  // A line in the trace (only formatted when a trace is being written).
  template <class... Args>
  void log(fmt::format_string<Args...> format, Args&&... args) {
    if (tracing()) log_text(fmt::format(format, std::forward<Args>(args)...));
  }

 private:
  // Engine plumbing, for the world and the blocking primitives of sync.h
  // only: model code blocks through those primitives, never by hand.
  // World::reseed also perturbs rng_ and buggify_rng_ (detsim explore's
  // branches); nothing else reaches them.
  friend class World;
  friend class Connections;
  friend class WaitQueue;
  friend class Mutex;
  GroupId group() const { return group_; }
  FiberId current_fiber() const;
  // True while the calling fiber unwinds after its node crashed.
  bool crashing() const;
  Waiter begin_wait();
  bool park(Time deadline);
  bool wake(Waiter waiter);
  bool tracing() const;
  void log_text(std::string text);

  World& world_;
  NodeId self_;
  uint32_t incarnation_;
  GroupId group_;
  Rng rng_;
  Rng buggify_rng_;
  Network network_;  // last: it refers back to this Context
};

}  // namespace detsim
