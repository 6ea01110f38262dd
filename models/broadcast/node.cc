#include "models/broadcast/node.h"

#include <utility>

namespace detsim::broadcast {

Server::Server(Context& ctx, const BroadcastParams& params, Observer& observer)
    : ctx_(ctx), params_(params), observer_(observer), store_(std::make_shared<ServerStore>()) {
  for (NodeId node : ctx_.servers()) {
    if (node == ctx_.self()) continue;
    Peer& peer = peers_[node];
    // Incarnation 0 has no past: no peer can hold stale confirmations for it.
    peer.knows_our_incarnation = ctx_.incarnation() == 0;
  }
  // Invariant: this node is one of the servers, and the only one missing
  // from its peers.
  DETSIM_ASSERT(peers_.size() + 1 == ctx_.servers().size());
  DETSIM_ASSERT(peers_.find(ctx_.self()) == peers_.end());
}

void Server::main(Context& ctx, const BroadcastParams& params, Observer& observer) {
  // Shared with the gossip fiber: the state lives until both fibers unwind.
  auto server = std::make_shared<Server>(ctx, params, observer);
  server->run();
}

void Server::run() {
  if (params_.durable) recover();
  attachment_.emplace(observer_, ctx_.self(), ctx_.incarnation(), ctx_.now(), store_);
  for (const auto& [node, peer] : peers_) ctx_.net().send(node, Hello{ctx_.incarnation()});
  if (!params_.no_retry) {
    ctx_.spawn("gossip", [self = shared_from_this()] { self->gossip_loop(); });
  }
  if (params_.ack_before_fsync) {
    ctx_.spawn("flush", [self = shared_from_this()] { self->flush_loop(); });
  }
  receive_loop();
}

// Before the node speaks: what the log holds is what this incarnation
// holds. Peers learn of the restart from Hello and re-send the rest.
void Server::recover() {
  log_.emplace(ctx_, [&observer = observer_, self = ctx_.self()](const std::vector<int64_t>& values) {
    observer.on_durable(self, values);
  });
  Recovered recovered = log_->recover();
  for (int64_t value : recovered.values) learn(value);
  observer_.count_bad_records(recovered.bad_records);
  ctx_.log("recovered {} values, {} bad records", recovered.values.size(), recovered.bad_records);
}

// The planted bug ack_before_fsync: fsync in the background, on a timer.
void Server::flush_loop() {
  while (true) {
    ctx_.sleep_for(params_.flush_interval);
    log_->sync();
  }
}

void Server::receive_loop() {
  while (true) {
    std::optional<Envelope> envelope = ctx_.net().receive();
    if (!envelope) continue;
    const NodeId from = envelope->from;
    const Message& message = envelope->message;
    observer_.on_delivered(ctx_.self(), from, envelope->sent_at);
    if (params_.no_retry) {
      naive_receive(from, message);
    } else if (const auto* broadcast = message.get_if<Broadcast>()) {
      on_broadcast(from, *broadcast);
    } else if (const auto* gossip = message.get_if<Gossip>()) {
      on_gossip(from, *gossip);
    } else if (const auto* gossip_ok = message.get_if<GossipOk>()) {
      on_gossip_ok(from, *gossip_ok);
    } else if (const auto* hello = message.get_if<Hello>()) {
      on_hello(from, *hello);
    }
  }
}

void Server::gossip_loop() {
  // A random phase keeps the servers' rounds from landing at one instant.
  ctx_.sleep_for(ctx_.rng().uniform(Duration::zero(), params_.gossip_interval));
  while (true) {
    gossip_round();
    ctx_.sleep_for(params_.gossip_interval);
  }
}

// Anti-entropy: whatever a peer has not confirmed is re-sent every round
// until it is. A datagram may simply be gone, so only retrying survives loss
// (Fly.io Gossip Glomers 3c, "fault-tolerant broadcast", on Maelstrom).
void Server::gossip_round() {
  for (auto& [node, peer] : peers_) {
    if (!peer.knows_our_incarnation) ctx_.net().send(node, Hello{ctx_.incarnation()});
    if (!peer.unconfirmed.empty()) send_gossip(node, peer);
  }
}

void Server::send_gossip(NodeId target, const Peer& peer) {
  const auto batch = static_cast<size_t>(params_.gossip_batch);
  std::vector<int64_t> values;
  for (int64_t value : peer.unconfirmed) {
    if (values.size() >= batch) break;
    values.push_back(value);
  }
  send_gossip(target, peer, std::move(values));
}

void Server::send_gossip(NodeId target, const Peer& peer, std::vector<int64_t> values) {
  // Invariant: a batch never exceeds its limit.
  DETSIM_ASSERT(values.size() <= static_cast<size_t>(params_.gossip_batch));
  Gossip gossip;
  gossip.sender_incarnation = ctx_.incarnation();
  gossip.target_incarnation = peer.incarnation ? static_cast<int64_t>(*peer.incarnation) : -1;
  gossip.values = std::move(values);
  if (params_.trust_wall_clock) gossip.sent_wall_ns = ctx_.wall_now().unix_ns();
  observer_.count_gossip();
  ctx_.net().send(target, std::move(gossip));
}

void Server::on_broadcast(NodeId client, const Broadcast& message) {
  // Push a new client value at once rather than at the next round: the
  // client's ack waits on a majority, so this cuts its latency from about
  // gossip_interval to a round trip. Rounds still retry what is lost.
  ctx_.sometimes("client_retry_already_held", store_->values.count(message.value) > 0);
  if (!learn_all({message.value}).empty()) {
    for (auto& [node, peer] : peers_) send_gossip(node, peer, {message.value});
  }
  // A retry of a value already held may already have its majority.
  pending_acks_[message.value] = PendingAck{client, message.request_id};
  maybe_ack(message.value);
}

void Server::on_gossip(NodeId from, const Gossip& message) {
  auto it = peers_.find(from);
  if (it == peers_.end()) return;
  Peer& peer = it->second;
  const bool current = observe_incarnation(peer, message.sender_incarnation);
  if (!looks_like_duplicate(from, message)) learn_all(message.values);
  if (message.target_incarnation == static_cast<int64_t>(ctx_.incarnation())) peer.knows_our_incarnation = true;
  // A dead incarnation's gossip still carries real values, but there is
  // no one left to confirm them to, and it holds nothing now.
  if (!current || message.values.empty()) return;
  // The sender holds what it sent: no need to send it back.
  for (int64_t value : message.values) {
    confirm(from, peer, value);
    maybe_ack(value);
  }
  ctx_.net().send(from, GossipOk{ctx_.incarnation(), message.values});
}

void Server::on_gossip_ok(NodeId from, const GossipOk& message) {
  auto it = peers_.find(from);
  if (it == peers_.end()) return;
  Peer& peer = it->second;
  if (!observe_incarnation(peer, message.sender_incarnation)) return;
  for (int64_t value : message.values) {
    // A datagram outlives the incarnation it was sent to: this may confirm
    // our previous incarnation's gossip, of values we no longer hold. The
    // peer holds them all the same, so erasing is still right.
    confirm(from, peer, value);
    maybe_ack(value);
  }
}

void Server::on_hello(NodeId from, const Hello& message) {
  auto it = peers_.find(from);
  if (it == peers_.end()) return;
  Peer& peer = it->second;
  observe_incarnation(peer, message.incarnation);
  // Answer at once, even with nothing to send: the Gossip names the peer's
  // incarnation, which ends its Hellos. A first boot needs no such proof.
  ctx_.sometimes("restarted_peer_resent", message.incarnation > 0);
  if (message.incarnation > 0 || !peer.unconfirmed.empty()) send_gossip(from, peer);
}

bool Server::learn(int64_t value) {
  if (!store_->values.insert(value).second) return false;
  for (auto& [node, peer] : peers_) peer.unconfirmed.insert(value);
  return true;
}

std::vector<int64_t> Server::learn_all(const std::vector<int64_t>& values) {
  std::vector<int64_t> fresh;
  for (int64_t value : values) {
    if (store_->values.count(value) == 0) fresh.push_back(value);
  }
  if (fresh.empty()) return fresh;
  if (log_) {
    log_->append(fresh);
    // Durable before it counts: the value may be acknowledged as soon as
    // it is held by a majority, and a power loss must not take it back.
    if (!params_.ack_before_fsync) log_->sync();
  }
  // The fsync blocked: a value may have arrived meanwhile by another path.
  std::erase_if(fresh, [&](int64_t value) { return !learn(value); });
  return fresh;
}

// The planted bug trust_wall_clock: retransmissions are told apart by the
// sender's wall clock, as if it never went back. A Gossip not newer than
// the last one applied from that sender is "already applied", and the
// GossipOk that follows confirms values this node never stored.
bool Server::looks_like_duplicate(NodeId from, const Gossip& message) {
  if (!params_.trust_wall_clock || message.sent_wall_ns == 0) return false;
  int64_t& last = last_gossip_wall_ns_[from];
  if (message.sent_wall_ns <= last) return true;
  last = message.sent_wall_ns;
  return false;
}

bool Server::observe_incarnation(Peer& peer, uint32_t incarnation) {
  if (peer.incarnation && incarnation < *peer.incarnation) return false;
  if (!peer.incarnation || incarnation > *peer.incarnation) {
    // It restarted with empty memory: what its old self confirmed is gone.
    peer.incarnation = incarnation;
    peer.unconfirmed = store_->values;
  }
  return true;
}

// The peer, as the incarnation we know, holds the value: it stops being
// sent there and counts towards the ack.
void Server::confirm(NodeId from, Peer& peer, int64_t value) {
  // Invariant: a peer that confirms something has told us its incarnation.
  DETSIM_ASSERT(peer.incarnation.has_value());
  observer_.on_confirmed(ctx_.self(), from, *peer.incarnation, value);
  peer.unconfirmed.erase(value);
}

size_t Server::holders(int64_t value) const {
  size_t count = store_->values.count(value);
  for (const auto& [node, peer] : peers_) {
    if (peer.incarnation && peer.unconfirmed.count(value) == 0) ++count;
  }
  return count;
}

// Acknowledge only what a majority holds: a value on a majority survives
// any minority of crashes long enough to be gossiped on. (Maelstrom's
// workload accepts an ack at once; with crashes that loses values, which is
// what the planted bug shows.)
void Server::maybe_ack(int64_t value) {
  auto it = pending_acks_.find(value);
  if (it == pending_acks_.end()) return;
  const size_t majority = ctx_.servers().size() / 2 + 1;
  if (holders(value) < majority) return;
  if (params_.durable) {
    observer_.on_ack_sent(ctx_.self(), value);
  } else {
    observer_.on_ack_in_memory(ctx_.self(), value);
  }
  ctx_.net().send(it->second.client, BroadcastOk{it->second.request_id});
  pending_acks_.erase(it);
}

// ---- the planted bug `no_retry`: Maelstrom's naive broadcast ----
// Maelstrom doc/03-broadcast/01-broadcast.md: gossip a value to the
// neighbours only when it is new, and reply broadcast_ok at once.

void Server::naive_receive(NodeId from, const Message& message) {
  if (const auto* broadcast = message.get_if<Broadcast>()) {
    if (learn(broadcast->value)) naive_spread(broadcast->value, from);
    ctx_.net().send(from, BroadcastOk{broadcast->request_id});
  } else if (const auto* gossip = message.get_if<Gossip>()) {
    for (int64_t value : gossip->values) {
      if (learn(value)) naive_spread(value, from);
    }
  }
}

// Once per value and peer, fire and forget: a lost datagram or a peer that
// is down (or restarts later, empty) never gets the value.
void Server::naive_spread(int64_t value, NodeId except) {
  for (const auto& [node, peer] : peers_) {
    if (node == except) continue;
    observer_.count_gossip();
    ctx_.net().send(node, Gossip{ctx_.incarnation(), -1, {value}});
  }
}

}  // namespace detsim::broadcast
