#include "models/edge_replication/rpc_link.h"

namespace detsim::edge {

bool RpcLink::connect() {
  if (connection_ && connection_->is_open()) return true;
  connection_ = ctx_.net().connect(peer_, port_, kConnectTimeout);
  return connection_.has_value();
}

void RpcLink::close() {
  if (connection_) connection_->close();
  connection_.reset();
}

std::optional<Message> RpcLink::call(Message request, Duration timeout) {
  if (!connect()) return std::nullopt;
  if (connection_->send(std::move(request)) != NetStatus::ok) {
    close();
    return std::nullopt;
  }
  Message reply;
  if (connection_->receive(&reply, timeout) != NetStatus::ok) {
    close();
    return std::nullopt;
  }
  return reply;
}

Message RpcLink::call_until_reply(const Message& request, Duration timeout) {
  while (true) {
    if (std::optional<Message> reply = call(request, timeout)) return std::move(*reply);
    ctx_.sleep_for(kRetryPause);
  }
}

}  // namespace detsim::edge
