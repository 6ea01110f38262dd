#include "models/primary_replica/edge.h"

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "models/primary_replica/messages.h"

namespace detsim::primary_replica {

void proxy_main(Context& ctx, const std::vector<NodeId>& servers) {
  int64_t epoch = 0;
  NodeId primary = servers.front();  // the static first configuration
  uint64_t next = 0;
  std::map<uint64_t, NodeId> pending;  // forwarded request -> client
  while (true) {
    std::optional<Envelope> in = ctx.net().receive();
    if (!in) continue;
    if (const auto* route = in->message.get_if<Route>()) {
      if (route->epoch >= epoch) {
        epoch = route->epoch;
        primary = servers[static_cast<size_t>(route->primary)];
      }
    } else if (const auto* op = in->message.get_if<ClientOp>()) {
      pending[++next] = in->from;
      ctx.net().send(primary, DbOp{next, *op});
    } else if (const auto* reply = in->message.get_if<DbReply>()) {
      auto it = pending.find(reply->req);
      if (it == pending.end()) continue;
      ctx.net().send(it->second, reply->reply);
      pending.erase(it);
    }
  }
}

namespace {

// One operation: sent once (a put is not idempotent), so a lost datagram
// makes it indeterminate.
std::optional<ClientReply> call(Context& ctx, NodeId proxy, const ClientOp& op, Duration timeout) {
  ctx.net().send(proxy, op);
  const Time deadline = ctx.now() + timeout;
  while (ctx.now() < deadline) {
    std::optional<Envelope> in = ctx.net().receive(deadline - ctx.now());
    if (!in) break;
    const auto* reply = in->message.get_if<ClientReply>();
    if (reply != nullptr && reply->req == op.req) return *reply;
  }
  return std::nullopt;
}

}  // namespace

void client_main(Context& ctx, const PrParams& params, Observer& observer, History& history, int64_t index,
                 NodeId proxy, Time stop_at) {
  int64_t process = index;
  uint64_t req = 0;
  while (ctx.now() < stop_at) {
    ctx.sleep_for(Duration::from_seconds(ctx.rng().exponential(1.0 / params.rate)));
    if (ctx.now() >= stop_at) return;
    const auto key = static_cast<int64_t>(ctx.rng().below(static_cast<uint64_t>(params.keys)));
    const bool put = ctx.rng().bernoulli(0.5);
    ++req;
    // Values are unique per write, so a read names the write it saw.
    const int64_t value = index * 1'000'000'000 + static_cast<int64_t>(req);
    const ClientOp op{req, put ? OpKind::put : OpKind::get, key, value};
    const OpValue argument = put ? OpValue::of(value) : OpValue::nil();
    history.bind_process(process, ctx.self());
    const size_t invoked = history.invoke(process, put ? "put" : "get", std::to_string(key), argument, ctx.now());
    const Time start = ctx.now();
    std::optional<ClientReply> reply = call(ctx, proxy, op, params.op_timeout);
    if (!reply) {
      history.complete(invoked, OpType::info, argument, ctx.now());
      process = history.next_process();
      continue;
    }
    if (put) {
      observer.on_write_latency(ctx.now() - start);
      history.complete(invoked, OpType::ok, argument, ctx.now());
    } else {
      if (reply->found) observer.on_read(reply->gtid, ctx.now(), ctx.self());
      history.complete(invoked, OpType::ok, reply->found ? OpValue::of(reply->value) : OpValue::nil(), ctx.now());
    }
  }
}

}  // namespace detsim::primary_replica
