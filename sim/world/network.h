// The simulated network the World owns: datagrams, per-link overrides,
// partitions and clogs, and (through Connections) TCP-like connections.
//
// Partitions cut links; a datagram is checked against the cut both when it
// is sent and when it would arrive, so one already in flight when a
// partition starts is lost too (as a switch dropping it). Connections whose
// link is cut in either direction break at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/api/context.h"
#include "sim/core/duration_dist.h"
#include "sim/core/engine.h"
#include "sim/core/rng.h"
#include "sim/world/links.h"

namespace detsim {

class World;
class Connections;

struct NetworkOptions {
  DurationDist latency = DurationDist::uniform(Duration::milliseconds(1), Duration::milliseconds(10));
  double loss = 0;       // probability a datagram is dropped
  double duplicate = 0;  // probability a datagram arrives twice
  Duration jitter;       // extra delay, uniform in [0, jitter], per datagram and connection message
  // Probability a datagram is held back by an extra uniform [0, 5x its
  // latency sample], so that later ones overtake it.
  double reorder = 0;
  // Probability a datagram is delivered once more, replay_delay after its
  // first copy (TigerBeetle's packet simulator replays packets too): a copy
  // stuck in a switch or a retransmission queue that may outlive the
  // incarnation of its sender or receiver.
  double replay = 0;
  DurationDist replay_delay = DurationDist::uniform(Duration::milliseconds(200), Duration::seconds(5));
  double bandwidth = 0;  // bytes/s of every link, connections and datagrams; 0: unlimited
};

// Kinds mixed into the fingerprint for world-level events. The numbers are
// part of every pinned fingerprint: append, never renumber.
enum FingerprintKind : uint64_t {
  kBootKind = 101,
  kCrashKind,
  kPauseKind,
  kResumeKind,
  kSendKind,
  kDeliverKind,
  kDropKind,
  kLinkKind,
  kPartitionKind,
  kClogKind,
  kHealNetworkKind,
  kConnectKind,
  kConnectionOpenKind,
  kConnectionBreakKind,
  kStreamSendKind,
  kStreamDeliverKind,
  kRoleKind,
  kShapeKind,
  kRingKind,
  kFlapKind,
  kRollingKind,
  kPowerFsyncKind,
};

class SimulatedNetwork {
 public:
  SimulatedNetwork(World& world, Engine& engine, Rng rng, NetworkOptions options);
  ~SimulatedNetwork();
  SimulatedNetwork(const SimulatedNetwork&) = delete;
  SimulatedNetwork& operator=(const SimulatedNetwork&) = delete;

  // ---- datagrams ----
  void send(NodeId from, NodeId to, Message message);
  // The end of the fault window: datagram loss and duplication stop.
  void stop_datagram_faults();

  // ---- links, partitions, clogs ----
  void set_link(NodeId from, NodeId to, const LinkOptions& options);
  // Wildcards expand over the node_count nodes that exist now.
  void apply_link_overrides(const std::vector<LinkOverride>& overrides, uint32_t node_count);
  void partition(const std::vector<std::vector<NodeId>>& groups, bool one_way);
  void clog(NodeId from, NodeId to, Duration extra_delay, Duration length);
  // Cuts the pairs ring_cuts (links.h) gives for this ring order, both ways.
  void ring(const std::vector<NodeId>& order);
  // One phase of a flapping link a <-> b: cut (down) or not, both ways.
  void flap(NodeId a, NodeId b, bool down);
  // Removes every partition and clog (link overrides stay). Does nothing,
  // not even a trace line, when there is nothing to heal.
  void heal();
  bool is_cut(NodeId from, NodeId to) const { return links_.is_cut(from, to); }

  // ---- for Connections and World ----
  // A one-way delay on the link: its latency sample, jitter and clog.
  Duration link_delay(NodeId from, NodeId to, Rng& rng);
  double bandwidth(NodeId from, NodeId to) const;
  LinkTable& links() { return links_; }
  Connections& connections() { return *connections_; }
  uint64_t next_message_id() { return next_message_id_++; }
  void on_crash(NodeId node);
  // A branch of `detsim explore`: perturbs the datagram and stream draws
  // (latency, loss, duplication, reordering) from here on.
  void reseed(uint64_t salt);
  uint64_t messages_sent() const { return messages_sent_; }
  uint64_t messages_delivered() const { return messages_delivered_; }

 private:
  struct InFlight;
  class DeliveryTarget;

  const DurationDist& latency(NodeId from, NodeId to) const;
  // On a link with a bandwidth, a datagram waits for the link to be free
  // (its busy_until, shared with connection bytes), then occupies it for
  // size / bandwidth; returns that wait plus occupation, zero without one.
  Duration serialize_datagram(NodeId from, NodeId to, size_t size_bytes);
  void schedule_datagram(const Envelope& envelope, uint64_t digest, Time at);
  void deliver(uint32_t slot);
  void drop(const Envelope& envelope, const char* reason);
  void record_fault(FingerprintKind kind, uint64_t detail, std::string text);

  World& world_;
  Engine& engine_;
  Rng rng_;
  NetworkOptions options_;
  LinkTable links_;
  std::vector<InFlight> in_flight_;
  std::vector<uint32_t> free_in_flight_;
  std::unique_ptr<DeliveryTarget> delivery_target_;
  std::unique_ptr<Connections> connections_;
  uint64_t next_message_id_ = 1;
  uint64_t messages_sent_ = 0;
  uint64_t messages_delivered_ = 0;
};

}  // namespace detsim
