#include "models/resource_fsm/rpc.h"

namespace detsim::rfsm {
namespace {

template <class R>
bool reply_id(const Envelope& in, uint64_t* id) {
  const auto* reply = in.message.get_if<R>();
  if (reply != nullptr) *id = reply->id;
  return reply != nullptr;
}

}  // namespace

bool Rpc::offer(const Envelope& in) {
  uint64_t id = 0;
  const bool is_reply = reply_id<DbRow>(in, &id) || reply_id<DbWriteReply>(in, &id) || reply_id<Grant>(in, &id) ||
                        reply_id<RenewReply>(in, &id) || reply_id<ApplyReply>(in, &id) || reply_id<Response>(in, &id);
  if (!is_reply) return false;
  auto it = waiting_.find(id);
  if (it != waiting_.end()) it->second.set(in);
  return true;
}

}  // namespace detsim::rfsm
