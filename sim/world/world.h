// The simulated world: nodes (servers and clients) with their incarnations
// and the node lifecycle (crash, restart, pause). It owns the simulated
// network (sim/world/network.h), every node's disk (disk.h) and clock
// (clock.h). It is the Setup a model declares its nodes
// to, and the target the nemesis applies a fault schedule to.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/api/context.h"
#include "sim/api/model.h"
#include "sim/api/sync.h"
#include "sim/core/duration_dist.h"
#include "sim/core/engine.h"
#include "sim/fault/fault_schedule.h"
#include "sim/trace/trace_event.h"
#include "sim/world/clock.h"
#include "sim/world/disk.h"
#include "sim/world/links.h"
#include "sim/world/network.h"

namespace detsim {

struct WorldOptions {
  Time heal_at = Time::max();
  Time end_at = Time::max();
  NetworkOptions network;
  DiskOptions disk;
  ClockOptions clock;
  bool buggify = true;
  double buggify_fire_probability = 0.05;
};

class World final : public Setup {
 public:
  World(Engine& engine, Rng rng, WorldOptions options);
  ~World() override;

  // ---- Setup ----
  NodeId add_server(std::string name, NodeMain main) override;
  NodeId add_client(std::string name, NodeMain main) override;
  Time heal_time() const override { return options_.heal_at; }
  Time end_time() const override { return options_.end_at; }
  void set_link_latency(NodeId from, NodeId to, DurationDist latency) override;
  void set_link_bandwidth(NodeId from, NodeId to, double bytes_per_s) override;
  std::function<Time()> sim_time() const override;
  // Every node's printed name by index (stable_node_names).
  std::vector<std::string> node_names() const;

  void set_trace(TraceSink* sink);
  // Boots every node at the current time and arms the heal at heal_at.
  void start();
  void apply(const FaultSchedule& schedule);
  // detsim explore's branches: the armed actions at `from` or later are
  // dropped, and schedule's actions from then on armed instead.
  void redraw_faults(const FaultSchedule& schedule, Time from);

  // ---- lifecycle (also what fault actions do) ----
  void crash(NodeId node);
  void restart(NodeId node);
  void pause(NodeId node, Duration length);
  // Ends every fault: restarts what is down, resumes what is paused, heals
  // the network, and turns datagram loss and duplication off.
  void heal();
  bool is_up(NodeId node) const;
  // The incarnation running now, or the last one if the node is down.
  uint32_t current_incarnation(NodeId node) const;

  // ---- the network (also what fault actions do) ----
  // Overrides some options of the link from -> to (one direction).
  void set_link(NodeId from, NodeId to, LinkOptions options);
  // parse_link_overrides()'s result; "*" means every other existing node.
  void apply_link_overrides(const std::vector<LinkOverride>& overrides);
  // Symmetric: every pair of nodes in different groups is cut both ways;
  // nodes in no group stay connected to all. one_way: only links from
  // groups[0] to the other groups are cut. Partitions add up until
  // heal_network().
  void partition(const std::vector<std::vector<NodeId>>& groups, bool one_way = false);
  // Datagrams and connection traffic sent on from -> to during the next
  // length get extra_delay more.
  void clog(NodeId from, NodeId to, Duration extra_delay, Duration length);
  // Removes every partition and clog.
  void heal_network();
  SimulatedNetwork& network() { return *network_; }

  // ---- disks and clocks (also what fault actions do) ----
  DiskFarm& disks() { return *disks_; }
  NodeClock& clock(NodeId node);
  void clock_jump(NodeId node, Duration delta);
  void clock_drift(NodeId node, int64_t ppm);

  // ---- roles (Context::set_role) and the fault shapes aimed at them ----
  void set_role(NodeId node, std::string_view role, bool held);
  // The up node that most recently claimed role and still holds it.
  std::optional<NodeId> role_holder(std::string_view role) const;

  // ---- for Context and Network ----
  Engine& engine() { return engine_; }
  const std::vector<NodeId>& servers() const { return servers_; }
  const std::vector<NodeId>& clients() const { return clients_; }
  const std::string& node_name(NodeId node) const;
  uint32_t node_count() const { return static_cast<uint32_t>(nodes_.size()); }
  void send(NodeId from, NodeId to, Message message);
  std::optional<Envelope> receive(NodeId self, uint32_t incarnation, Duration timeout);
  // The datagram inbox of the node's running incarnation; nullptr if down.
  Mailbox<Envelope>* inbox(NodeId node);
  bool buggify_site_enabled(uint64_t site);
  double buggify_fire_probability() const { return options_.buggify_fire_probability; }
  bool tracing() const { return trace_ != nullptr; }
  void trace(TraceEvent event);
  uint64_t messages_sent() const { return network_->messages_sent(); }
  uint64_t messages_delivered() const { return network_->messages_delivered(); }

  // ---- detsim explore's branches ----
  // Perturbs every stream that draws the future: the network's, the
  // disks', the shapes', each running node's Context::rng() and buggify
  // stream, and the world's own (future incarnations, buggify sites first
  // reached). The fault schedule already armed stays as it was.
  void reseed(uint64_t salt);
  // Called at each probe's 1st, 2nd, 4th, 8th... hit in this run, with the
  // probe's index in declaration order and its hits so far.
  using ProbeObserver = std::function<void(size_t probe, uint64_t hits)>;
  void set_probe_observer(ProbeObserver observer) { probe_observer_ = std::move(observer); }

  // ---- coverage probes (Context::sometimes) ----
  // The model's declared probes, all at zero hits.
  void declare_probes(const std::vector<ProbeSpec>& probes);
  // Adds a hit to the named probe if hit; false if no probe has that name.
  // Touches nothing else: a hit must not change the run.
  bool count_probe(std::string_view name, bool hit);
  // In declaration order, zero hits included.
  const std::vector<ProbeCount>& probe_counts() const { return probe_counts_; }

 private:
  struct Incarnation;
  struct Node;

  NodeId add_node(std::string name, NodeMain main, bool is_server);
  void boot(NodeId node);
  void arm_fault(const FaultAction& action);
  void apply_action(const FaultAction& action);
  void apply_disk_action(const FaultAction& action);
  // shapes.cc: the role-aimed actions, resolved when applied.
  void apply_role_action(const FaultAction& action);
  void isolate(NodeId holder, const FaultAction& action);
  void figure8(NodeId holder, const FaultAction& action);
  // jepsen_shapes.cc: ring, flap, rolling, power_fsync.
  bool in_fault_window() const;
  void apply_jepsen_shape(const FaultAction& action);
  void flap_role(NodeId holder, const FaultAction& action);
  void flap(NodeId a, NodeId b, Time until, Duration period);
  void flap_phase(NodeId a, NodeId b, Time until, Duration period, bool down);
  void rolling_restart(size_t index, Duration gap, Duration down);
  void arm_power_loss(const FaultAction& action);
  void power_loss_at_fsync(NodeId node);
  void power_loss(NodeId node, bool during_fsync);
  void disarm_power_losses();
  // One NTP poll of every clock, then the next one an interval later.
  void discipline_clocks();
  void trace_fault(NodeId node, std::string text);

  Engine& engine_;
  Rng rng_;
  WorldOptions options_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<NodeId> servers_;
  std::vector<NodeId> clients_;
  // Crashed incarnations stay until the run ends: their fibers may still be
  // unwinding and hold references into them.
  std::vector<std::unique_ptr<Incarnation>> retired_;
  std::unique_ptr<SimulatedNetwork> network_;
  std::unique_ptr<DiskFarm> disks_;
  std::vector<NodeClock> clocks_;                         // by node index; they outlive incarnations
  std::vector<std::pair<uint64_t, bool>> buggify_sites_;  // sorted by site
  // role -> its holders' node indexes, in claim order (the last claimed last).
  std::map<std::string, std::vector<uint32_t>, std::less<>> roles_;
  Rng shape_rng_;  // which clients and which server a shape takes along
  // figure8's second strike: the next node to claim the role is crashed
  // this long after its claim, and restarted `down` later.
  struct ArmedKill {
    std::string role;
    Duration after_claim;
    Duration down;
  };
  std::optional<ArmedKill> armed_kill_;
  // power_fsync: node index -> its down time and the wait's fallback event.
  struct PowerArm {
    Duration down;
    Engine::CallbackId timeout;
  };
  std::map<uint32_t, PowerArm> power_armed_;
  std::vector<std::string> trace_names_;  // node_names(), taken when a trace is set
  TraceSink* trace_ = nullptr;
  std::vector<ProbeCount> probe_counts_;
  ProbeObserver probe_observer_;
  struct ArmedFault {
    Time at;
    Engine::CallbackId id;
  };
  std::vector<ArmedFault> armed_faults_;  // fault actions not yet redrawn, in arming order
};

}  // namespace detsim
