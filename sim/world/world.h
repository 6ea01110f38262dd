// The simulated world: nodes (servers and clients) with their incarnations,
// the datagram network, and the node lifecycle (crash, restart, pause). It
// is the Setup a model declares its nodes to, and the target the nemesis
// applies a fault schedule to.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "sim/api/context.h"
#include "sim/api/model.h"
#include "sim/api/sync.h"
#include "sim/core/duration_dist.h"
#include "sim/core/engine.h"
#include "sim/fault/fault_schedule.h"
#include "sim/trace/trace_event.h"

namespace detsim {

struct NetworkOptions {
  DurationDist latency = DurationDist::uniform(Duration::milliseconds(1), Duration::milliseconds(10));
  double loss = 0;       // probability a datagram is dropped
  double duplicate = 0;  // probability a datagram arrives twice
};

struct WorldOptions {
  Time heal_at = Time::max();
  Time end_at = Time::max();
  NetworkOptions network;
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

  void set_trace(TraceSink* sink);
  // Boots every node at the current time and arms the heal at heal_at.
  void start();
  void apply(const FaultSchedule& schedule);

  // ---- lifecycle (also what fault actions do) ----
  void crash(NodeId node);
  void restart(NodeId node);
  void pause(NodeId node, Duration length);
  // Ends every fault: restarts what is down, resumes what is paused, and
  // turns datagram loss and duplication off.
  void heal();
  bool is_up(NodeId node) const;

  // ---- for Context and Network ----
  Engine& engine() { return engine_; }
  const std::vector<NodeId>& servers() const { return servers_; }
  const std::vector<NodeId>& clients() const { return clients_; }
  const std::string& node_name(NodeId node) const;
  void send(NodeId from, NodeId to, Message message);
  std::optional<Envelope> receive(NodeId self, uint32_t incarnation, Duration timeout);
  bool buggify_site_enabled(uint64_t site);
  double buggify_fire_probability() const { return options_.buggify_fire_probability; }
  bool tracing() const { return trace_ != nullptr; }
  void trace(TraceEvent event);
  uint64_t messages_sent() const { return messages_sent_; }
  uint64_t messages_delivered() const { return messages_delivered_; }

 private:
  struct Incarnation;
  struct Node;
  class DeliveryTarget;
  struct InFlight;

  NodeId add_node(std::string name, NodeMain main, bool is_server);
  void boot(NodeId node);
  void deliver(uint32_t slot);

  Engine& engine_;
  Rng rng_;
  Rng network_rng_;
  WorldOptions options_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<NodeId> servers_;
  std::vector<NodeId> clients_;
  // Crashed incarnations stay until the run ends: their fibers may still be
  // unwinding and hold references into them.
  std::vector<std::unique_ptr<Incarnation>> retired_;
  std::vector<InFlight> in_flight_;
  std::vector<uint32_t> free_in_flight_;
  std::unique_ptr<DeliveryTarget> delivery_target_;
  std::vector<std::pair<uint64_t, bool>> buggify_sites_;  // sorted by site
  TraceSink* trace_ = nullptr;
  uint64_t next_message_id_ = 1;
  uint64_t messages_sent_ = 0;
  uint64_t messages_delivered_ = 0;
};

}  // namespace detsim
