// A client of the control plane: one request at a time to a random API
// server, exponential think time at `rate`, until the heal. A conflict (the
// resource is busy) is retried a few times with backoff. Resource ids come
// in generations of `resources` every 5 s, so deletes (terminal) never
// starve the workload.
#pragma once

#include "models/resource_fsm/observer.h"
#include "models/resource_fsm/params.h"
#include "sim/api/context.h"

namespace detsim::rfsm {

void client_main(Context& ctx, const FsmParams& params, Observer& observer, const std::vector<NodeId>& apis,
                 Time stop_at);

}  // namespace detsim::rfsm
