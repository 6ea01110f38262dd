// Request/reply over datagrams for the control plane's nodes: a call sends
// its request with a fresh id every `resend` until the reply with that id
// comes or `timeout` passes. The node's receive loop hands every datagram
// to offer(), which keeps the replies some call waits for.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "models/resource_fsm/messages.h"
#include "sim/api/context.h"
#include "sim/api/sync.h"

namespace detsim::rfsm {

class Rpc {
 public:
  // Ids start from the incarnation, so a reply to an earlier incarnation
  // is never taken for this one's.
  explicit Rpc(Context& ctx) : ctx_(ctx), next_id_(static_cast<uint64_t>(ctx.incarnation() + 1) << 40) {}
  Rpc(const Rpc&) = delete;
  Rpc& operator=(const Rpc&) = delete;

  // True if `in` was a reply (kept if a call waits for it).
  bool offer(const Envelope& in);

  // `id` 0 takes a fresh one; a caller that waits for one answer over
  // several calls (a slow provider) passes the same id to each.
  template <class Reply, class Req>
  std::optional<Reply> call(NodeId to, Req request, Duration resend, Duration timeout, uint64_t id = 0) {
    if (id == 0) id = next_id_++;
    request.id = id;
    Promise<Envelope> promise(ctx_);
    Future<Envelope> future = promise.future();
    waiting_.emplace(id, promise);
    const Time deadline = ctx_.now() + timeout;
    std::optional<Reply> out;
    while (ctx_.now() < deadline) {
      ctx_.net().send(to, request);
      const Duration wait = std::min(resend, deadline - ctx_.now());
      if (std::optional<Envelope> got = future.get(wait)) {
        out = *got->message.get_if<Reply>();
        break;
      }
    }
    waiting_.erase(id);
    return out;
  }
  uint64_t fresh_id() { return next_id_++; }

 private:
  Context& ctx_;
  uint64_t next_id_;
  std::map<uint64_t, Promise<Envelope>> waiting_;
};

}  // namespace detsim::rfsm
