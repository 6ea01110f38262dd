// A broadcast server (Maelstrom's broadcast workload, doc/03-broadcast):
// it accepts client values and spreads them to every peer by gossip with
// retries, so that a value survives datagram loss and crashes.
//
// Per peer it knows the peer's incarnation and which values that
// incarnation is not known to hold ("unconfirmed"). Every gossip_interval it
// sends each peer a batch of its unconfirmed values; a GossipOk removes them.
// A message from a newer incarnation means the peer restarted empty: all
// values become unconfirmed again. A client is acknowledged only once a
// majority of servers (counting this one) hold its value.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "models/broadcast/checks.h"
#include "models/broadcast/durable_log.h"
#include "models/broadcast/messages.h"
#include "models/broadcast/params.h"
#include "sim/api/context.h"

namespace detsim::broadcast {

class Server : public std::enable_shared_from_this<Server> {
 public:
  Server(Context& ctx, const BroadcastParams& params, Observer& observer);

  // A node's main: runs until the node crashes or the run ends.
  static void main(Context& ctx, const BroadcastParams& params, Observer& observer);

 private:
  struct Peer {
    std::optional<uint32_t> incarnation;  // unknown until it first speaks
    // Values this peer incarnation is not known to hold. Keeping the
    // complement of "confirmed" makes a gossip round O(batch), not O(values).
    std::set<int64_t> unconfirmed;
    // A restarted node repeats Hello until the peer names our new
    // incarnation in a Gossip (it then has dropped our old confirmations).
    bool knows_our_incarnation = false;
  };
  struct PendingAck {
    NodeId client;
    uint64_t request_id = 0;
  };

  void run();
  void receive_loop();
  void gossip_loop();
  void gossip_round();

  void on_broadcast(NodeId client, const Broadcast& message);
  void on_gossip(NodeId peer, const Gossip& message);
  void on_gossip_ok(NodeId peer, const GossipOk& message);
  void on_hello(NodeId peer, const Hello& message);

  // Adds a value; returns whether it was new here.
  bool learn(int64_t value);
  // Adds the values not yet held, first making them durable in durable
  // mode (blocks for the fsync); returns the ones that were new.
  std::vector<int64_t> learn_all(const std::vector<int64_t>& values);
  void recover();
  void flush_loop();
  // trust_wall_clock: whether a Gossip is taken for a retransmission.
  bool looks_like_duplicate(NodeId from, const Gossip& message);
  // Records the peer's incarnation; a newer one means it lost its memory.
  // Returns false if the message came from an older, dead incarnation.
  bool observe_incarnation(Peer& peer, uint32_t incarnation);
  // A batch of what the peer has not confirmed (possibly empty).
  void send_gossip(NodeId target, const Peer& peer);
  void send_gossip(NodeId target, const Peer& peer, std::vector<int64_t> values);
  void maybe_ack(int64_t value);
  void confirm(NodeId from, Peer& peer, int64_t value);
  size_t holders(int64_t value) const;

  // The planted bug: Maelstrom's naive broadcast.
  void naive_receive(NodeId from, const Message& message);
  void naive_spread(int64_t value, NodeId except);

  Context& ctx_;
  BroadcastParams params_;
  Observer& observer_;
  std::shared_ptr<ServerStore> store_;
  std::optional<Attachment> attachment_;
  std::map<NodeId, Peer> peers_;
  std::map<int64_t, PendingAck> pending_acks_;
  std::optional<DurableLog> log_;
  std::map<NodeId, int64_t> last_gossip_wall_ns_;  // trust_wall_clock only
};

}  // namespace detsim::broadcast
