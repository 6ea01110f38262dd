// One node's plog endpoint: the receive loop shared by every plog object on
// the node (a broker, the controller, any number of Producers and
// Consumers) and the model's own code.
//
// Datagrams, not connections: the log's requests are small and idempotent
// (producer sequences, leader epochs, fetch offsets), so a lost or
// duplicated datagram costs one resend and nothing else, and the network's
// loss, duplication and reordering all reach the protocol. A connection
// would hide them behind FIFO delivery and add a handshake per failover.
//
// The composition: the first Cluster::endpoint(ctx) call of a node
// incarnation creates its Endpoint, which spawns ONE dispatcher fiber that
// owns ctx.net().receive(). A reply (a message with a request id, see
// reply_id()) goes to the call() that waits for that id; a late reply,
// whose call gave up, is dropped. Every other message (requests, pushes
// and the model's own messages) goes to inbox(): a node that uses plog
// clients reads its own messages with endpoint.receive(), never with
// ctx.net().receive(), which would steal replies. Request ids carry the
// incarnation, so a reply to a previous incarnation never matches.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "sim/api/context.h"
#include "sim/api/sync.h"

namespace detsim::parts::plog {

class Endpoint {
 public:
  // Spawns the dispatcher fiber; lives as long as the Cluster that made it.
  explicit Endpoint(Context& ctx);
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  Context& context() const { return ctx_; }
  // Sends request (its rid set to a fresh id) and waits up to timeout for
  // the reply; nullopt if none came. One send: callers resend.
  template <class Request>
  std::optional<Message> call(NodeId to, Request request, Duration timeout) {
    request.rid = next_request_id();
    return call_with_id(to, request.rid, Message(std::move(request)), timeout);
  }
  void send(NodeId to, Message message) { ctx_.net().send(to, std::move(message)); }
  // The next message that is not a reply: the node's own traffic.
  std::optional<Envelope> receive(Duration timeout = Duration::max()) { return inbox_.pop(timeout); }
  // Numbers this node incarnation's producers (their producer ids).
  uint32_t next_producer_index() { return producers_++; }

 private:
  uint64_t next_request_id();
  std::optional<Message> call_with_id(NodeId to, uint64_t rid, Message request, Duration timeout);
  void dispatch();

  Context& ctx_;
  uint64_t requests_ = 0;
  uint32_t producers_ = 0;
  std::map<uint64_t, Promise<Message>> waiting_;
  Mailbox<Envelope> inbox_;
};

}  // namespace detsim::parts::plog
