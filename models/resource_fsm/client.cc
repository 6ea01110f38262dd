#include "models/resource_fsm/client.h"

#include <memory>

#include "models/resource_fsm/rpc.h"
#include "models/resource_fsm/schema.h"

namespace detsim::rfsm {
namespace {

constexpr int kMaxRetries = 3;

Kind draw_kind(Rng& rng) {
  const double p = rng.uniform01();
  return p < 0.35 ? Kind::create : p < 0.85 ? Kind::update : Kind::erase;
}

}  // namespace

void client_main(Context& ctx, const FsmParams& params, Observer& observer, const std::vector<NodeId>& apis,
                 Time stop_at) {
  // Shared with the receive fiber, which outlives this function.
  auto rpc = std::make_shared<Rpc>(ctx);
  ctx.spawn("receive", [&ctx, rpc] {
    while (true) {
      std::optional<Envelope> in = ctx.net().receive();
      if (in) rpc->offer(*in);
    }
  });
  while (ctx.now() < stop_at) {
    const Duration gap = Duration::from_seconds(ctx.rng().exponential(1.0 / params.rate));
    ctx.sleep_for(gap);
    if (ctx.now() >= stop_at) return;
    const int64_t generation = static_cast<int64_t>(ctx.now().to_seconds() / 5.0);
    const auto slot = static_cast<int64_t>(ctx.rng().below(static_cast<uint64_t>(params.resources)));
    const Kind kind = draw_kind(ctx.rng());
    const auto spec = static_cast<int64_t>(ctx.rng().below(1'000'000));
    const Request request{0, static_cast<int64_t>(kind), generation * params.resources + slot, spec};
    uint64_t retries = 0;
    for (int attempt = 0; attempt <= kMaxRetries; ++attempt) {
      const auto api = apis[ctx.rng().below(apis.size())];
      const auto reply = rpc->call<Response>(api, request, params.rpc_timeout * 3, params.rpc_timeout * 3);
      if (!reply || reply->outcome != Outcome::conflict || attempt == kMaxRetries) break;
      ++retries;
      ctx.sleep_for(Duration::milliseconds(50) * (attempt + 1));
    }
    observer.on_client_op(retries);
  }
}

}  // namespace detsim::rfsm
