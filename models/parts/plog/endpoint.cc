#include "models/parts/plog/endpoint.h"

#include "models/parts/plog/messages.h"

namespace detsim::parts::plog {

Endpoint::Endpoint(Context& ctx) : ctx_(ctx), inbox_(ctx) {
  ctx_.spawn("plog-dispatch", [this] { dispatch(); });
}

uint64_t Endpoint::next_request_id() {
  // The incarnation in the high bits: a reply meant for a previous
  // incarnation (the network may deliver it late) never matches a call.
  return (uint64_t{ctx_.incarnation()} << 40) | ++requests_;
}

std::optional<Message> Endpoint::call_with_id(NodeId to, uint64_t rid, Message request, Duration timeout) {
  Promise<Message> promise(ctx_);
  Future<Message> reply = promise.future();
  waiting_.emplace(rid, promise);
  ctx_.net().send(to, std::move(request));
  // A crash unwinds through get(); the map dies with the incarnation's
  // Endpoint, so the entry needs no cleanup then.
  std::optional<Message> result = reply.get(timeout);
  waiting_.erase(rid);
  return result;
}

void Endpoint::dispatch() {
  while (true) {
    std::optional<Envelope> in = ctx_.net().receive();
    if (!in) continue;
    if (std::optional<uint64_t> rid = reply_id(in->message)) {
      auto it = waiting_.find(*rid);
      if (it != waiting_.end()) it->second.set(in->message);
      continue;
    }
    inbox_.push(std::move(*in));
  }
}

}  // namespace detsim::parts::plog
