#include "models/outbox/client.h"

#include "models/outbox/messages.h"

namespace detsim::outbox {

void client_main(Context& ctx, const OutboxParams& params, NodeId service, Time stop_at) {
  uint64_t request = 0;
  while (ctx.now() < stop_at) {
    const Duration gap = Duration::from_seconds(ctx.rng().exponential(1.0 / params.rate));
    ctx.sleep_for(gap);
    if (ctx.now() >= stop_at) return;
    // Separate draws, in a fixed order (never two draws in one call's arguments).
    const auto order = static_cast<int64_t>(ctx.rng().below(static_cast<uint64_t>(params.orders)));
    const auto status = static_cast<int64_t>(ctx.rng().below(4));
    const auto amount = static_cast<int64_t>(ctx.rng().below(10'000));
    ++request;
    ctx.net().send(service, OrderRequest{request, order, status, amount});
    const Time deadline = ctx.now() + params.request_timeout;
    while (ctx.now() < deadline) {
      std::optional<Envelope> in = ctx.net().receive(deadline - ctx.now());
      if (!in) break;
      const auto* reply = in->message.get_if<OrderReply>();
      if (reply != nullptr && reply->request == request) break;
    }
  }
}

}  // namespace detsim::outbox
