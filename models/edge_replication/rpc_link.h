// A request/reply connection to one port of a peer, reopened on demand: the
// replicator's SQL sessions to the source and its links to the edge. One
// fiber owns a link and has one request in flight on it, so the next
// message on the connection is the reply. After a timeout the connection is
// closed, so a late reply can never be taken for the next request's.
#pragma once

#include <cstdint>
#include <optional>

#include "sim/api/context.h"

namespace detsim::edge {

// The replicator's timing for requests: how long to wait for a connection
// or a reply, and how long to pause before trying again.
inline constexpr Duration kConnectTimeout = Duration::milliseconds(500);
inline constexpr Duration kQueryTimeout = Duration::seconds(5);
inline constexpr Duration kRetryPause = Duration::milliseconds(50);

class RpcLink {
 public:
  RpcLink(Context& ctx, NodeId peer, uint32_t port) : ctx_(ctx), peer_(peer), port_(port) {}
  // The reply, or nullopt if the connection could not be opened, broke,
  // or gave no reply within timeout (then the link is closed).
  std::optional<Message> call(Message request, Duration timeout);
  // Retries call() with a pause between attempts until a reply comes; a
  // crash of this node ends it (FiberKilled).
  Message call_until_reply(const Message& request, Duration timeout);
  // The id of the open connection, 0 if none: a caller that must know
  // whether two calls shared one session (and its locks) compares them.
  uint64_t session() const { return connection_ ? connection_->id() : 0; }
  void close();

 private:
  bool connect();

  Context& ctx_;
  NodeId peer_;
  uint32_t port_;
  std::optional<Connection> connection_;
};

}  // namespace detsim::edge
