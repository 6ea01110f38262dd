// TCP-like connections on the simulated network (the Connection handle is in
// sim/api/connection.h).
//
// - connect() sends a SYN over the link. On arrival, if the peer's current
//   incarnation has ever accepted on that port, the SYN waits in the port's
//   backlog for an accept(); if not, a refusal travels back. A SYN lost to a
//   partition or a down peer, or never accepted, ends in a timeout. accept()
//   answers with a SYN-ACK, and connect() returns when it arrives.
// - A message is serialized onto the link after what is already queued there
//   (size / bandwidth, the direction busy meanwhile), then takes the link's
//   latency, jitter and clog delay, and never arrives before the previous
//   message of its connection and direction: FIFO, no loss, no duplicates.
// - A crash of either end, a cut of either direction between the ends, or a
//   close() reaching the peer breaks the connection: messages in flight are
//   dropped, fibers blocked on either end wake up with broken. What already
//   arrived can still be read first, except at a crashed end: its memory is
//   gone, so a restarted node's old handles see broken at once.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>

#include "sim/api/connection.h"
#include "sim/api/sync.h"
#include "sim/core/engine.h"
#include "sim/core/ring_queue.h"
#include "sim/core/rng.h"

namespace detsim {

class SimulatedNetwork;
class World;
class Connections;

struct ConnectionState {
  struct InFlight {
    Message message;
    uint64_t id = 0;
    uint64_t digest = 0;
    Time sent_at;
    bool fin = false;  // the close of the other end, after its last message
  };
  // One end, with what travels toward it.
  struct End {
    End(Context& context, NodeId node_id) : node(node_id), incarnation(context.incarnation()), waiters(context) {}
    NodeId node;
    uint32_t incarnation;
    RingQueue<Message> arrived;     // not read yet
    RingQueue<InFlight> in_flight;  // toward this end, in send order
    Time last_arrival;              // the next message arrives no earlier (FIFO)
    WaitQueue waiters;              // fibers in receive() on this end
    bool closed = false;            // this end called close()
  };

  ConnectionState(uint64_t id_number, Connections* owner_table, Context& connector, Context& acceptor)
      : id(id_number), owner(owner_table), ends{End(connector, connector.self()), End(acceptor, acceptor.self())} {}
  End& end(int side) { return ends[side]; }

  uint64_t id;
  Connections* owner;
  bool broken = false;
  End ends[2];  // 0: the end that connected, 1: the end that accepted
};

class Connections {
 public:
  Connections(SimulatedNetwork& network, World& world, Engine& engine, Rng rng);
  ~Connections();

  std::optional<Connection> connect(Context& context, NodeId to, uint32_t port, Duration timeout, NetStatus* status);
  std::optional<Connection> accept(Context& context, uint32_t port, Duration timeout);
  NetStatus send(ConnectionState& state, int side, Message message);
  NetStatus receive(ConnectionState& state, int side, Message* out, Duration timeout);
  void close(ConnectionState& state, int side);

  // Breaks every connection of the node and forgets its listening ports.
  void on_crash(NodeId node);
  // Breaks every connection whose link is cut in either direction.
  void break_cut();
  size_t open_count() const { return open_.size(); }
  // A branch of `detsim explore`: perturbs the stream latency draws. A
  // stream stays FIFO: arrival times never go backwards (arrival_time).
  void reseed(uint64_t salt) { rng_.perturb(salt); }

 private:
  struct Attempt;
  struct Listener;
  class ArrivalTarget;

  bool alive(NodeId node, uint32_t incarnation) const;
  // A SYN, SYN-ACK or refusal: small, not subject to bandwidth, lost on a cut.
  void send_control(NodeId from, NodeId to, std::function<void()> on_arrival);
  void syn_arrived(const std::shared_ptr<Attempt>& attempt);
  void finish_connect(const std::shared_ptr<Attempt>& attempt, NetStatus status,
                      std::shared_ptr<ConnectionState> state);
  Connection establish(Context& context, const std::shared_ptr<Attempt>& attempt);
  Time arrival_time(NodeId from, NodeId to, size_t size_bytes, ConnectionState::End& target);
  void enqueue(ConnectionState& state, int side, ConnectionState::InFlight item);
  void arrive(uint64_t key, uint64_t id);
  void break_connection(ConnectionState& state, const std::string& reason);

  SimulatedNetwork& network_;
  World& world_;
  Engine& engine_;
  Rng rng_;
  std::unique_ptr<ArrivalTarget> arrival_target_;
  // By id: ordered, so breaking "every connection of n2" goes in id order.
  std::map<uint64_t, std::shared_ptr<ConnectionState>> open_;
  std::map<uint64_t, std::unique_ptr<Listener>> listeners_;  // by node << 32 | port
  uint64_t next_connection_id_ = 1;
};

}  // namespace detsim
