#include "models/resource_fsm/provider.h"

#include "models/resource_fsm/messages.h"
#include "models/resource_fsm/schema.h"

namespace detsim::rfsm {
namespace {

ApplyStatus write(const FsmParams& params, Observer& observer, ProviderState& state, const Apply& call, int64_t worker,
                  Time at) {
  ProviderEntry& entry = state[call.resource];
  if (!params.lease_without_fencing && call.token < entry.max_token) {
    observer.on_fenced();
    return ApplyStatus::fenced;
  }
  observer.ledger().on_provider_write(call.resource, call.token, worker, at);
  entry.max_token = std::max(entry.max_token, call.token);
  entry.exists = static_cast<Kind>(call.kind) != Kind::erase;
  entry.spec = call.spec;
  return ApplyStatus::applied;
}

}  // namespace

void provider_main(Context& ctx, const FsmParams& params, Observer& observer, ProviderState& state) {
  while (true) {
    std::optional<Envelope> in = ctx.net().receive();
    if (!in) continue;
    const auto* call = in->message.get_if<Apply>();
    if (call == nullptr) continue;
    // Drawn here, in arrival order, never in one call's arguments.
    const Duration latency = ctx.rng().exponential(params.provider_latency);
    const bool refuse = static_cast<Kind>(call->kind) != Kind::erase && ctx.rng().bernoulli(params.provider_fail_ratio);
    ctx.spawn("call", [&ctx, &params, &observer, &state, from = in->from, copy = *call, latency, refuse] {
      ctx.sleep_for(latency);
      const ApplyStatus status =
          refuse ? ApplyStatus::refused
                 : write(params, observer, state, copy, static_cast<int64_t>(from.index()), ctx.now());
      ctx.net().send(from, ApplyReply{copy.id, status});
    });
  }
}

}  // namespace detsim::rfsm
