// An async worker: takes a job from the store's queue under a lease (TTL,
// renewals) with a fencing token, has the provider make the resource so
// under that token, and records completion at the store. It trusts its
// lease only for lease_safety of the TTL, measured on its own monotonic
// clock from before it asked (so drift and the request's own delay cannot
// stretch it); a pause past that makes it abandon the job, and the fencing
// token stops whatever it already sent. Completion callbacks are resent
// until answered and, now and then, delivered once more, late.
#pragma once

#include "models/resource_fsm/observer.h"
#include "models/resource_fsm/params.h"
#include "sim/api/context.h"

namespace detsim::rfsm {

void worker_main(Context& ctx, const FsmParams& params, Observer& observer, NodeId store, NodeId provider,
                 int64_t index);

}  // namespace detsim::rfsm
