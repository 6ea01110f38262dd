#include "models/broadcast/client.h"

#include <optional>
#include <vector>

#include "models/broadcast/messages.h"

namespace detsim::broadcast {
namespace {

constexpr int64_t kValuesPerClient = 1'000'000'000;

// A random server index, other than `previous` when there is another: a
// retry goes elsewhere, since the first server may be down.
size_t pick_server(Context& ctx, std::optional<size_t> previous) {
  const size_t count = ctx.servers().size();
  // Invariant: a model with clients has at least one server.
  DETSIM_ASSERT(count > 0);
  if (!previous || count == 1) return ctx.rng().below(count);
  size_t pick = ctx.rng().below(count - 1);
  return pick >= *previous ? pick + 1 : pick;
}

// Waits for the broadcast_ok of this operation; late acks of earlier
// operations are dropped.
bool await_ok(Context& ctx, uint64_t request_id, Duration timeout) {
  const Time deadline = ctx.now() + timeout;
  while (ctx.now() < deadline) {
    std::optional<Envelope> envelope = ctx.net().receive(deadline - ctx.now());
    if (!envelope) return false;
    const auto* ok = envelope->message.get_if<BroadcastOk>();
    if (ok != nullptr && ok->request_id == request_id) return true;
  }
  return false;
}

// The same value, on server after server, until one acknowledges it or the
// world heals (then the operation stays indeterminate and is not checked).
bool broadcast_until_acked(Context& ctx, const BroadcastParams& params, const ClientConfig& config, Observer& observer,
                           int64_t value, uint64_t request_id) {
  std::optional<size_t> previous;
  while (true) {
    const size_t server = pick_server(ctx, previous);
    ctx.net().send(ctx.servers()[server], Broadcast{value, request_id});
    if (await_ok(ctx, request_id, params.client_timeout)) return true;
    ctx.sometimes("client_gave_up_unacked", ctx.now() >= config.stop_at);
    if (ctx.now() >= config.stop_at) return false;
    observer.count_client_retry();
    ctx.sometimes("client_retried_elsewhere", true);
    previous = server;
  }
}

}  // namespace

void client_main(Context& ctx, const BroadcastParams& params, const ClientConfig& config, Observer& observer) {
  const Duration think_mean = Duration::from_seconds(1.0 / params.rate);
  int64_t counter = 0;
  while (ctx.now() < config.stop_at) {
    ++counter;
    // Invariant: values stay unique across clients.
    DETSIM_ASSERT(counter < kValuesPerClient);
    const int64_t value = config.index * kValuesPerClient + counter;
    observer.record_sent(value);
    const Time started = ctx.now();
    if (broadcast_until_acked(ctx, params, config, observer, value, static_cast<uint64_t>(counter))) {
      observer.record_ack(value, ctx.now());
      observer.record_ack_latency(ctx.now() - started);
    }
    ctx.sleep_for(ctx.rng().exponential(think_mean));
  }
}

}  // namespace detsim::broadcast
