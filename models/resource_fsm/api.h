// An API server: answers create, update and delete at once, after one
// compare-and-set on the resource row that also enqueues the job the
// workers carry out (UPDATE resources SET state = ?, version = version + 1
// WHERE version = ?). A request the state machine does not allow now (the
// resource is busy in an intermediate state) is a conflict the client may
// retry; one it never allows (a deleted resource) is rejected.
#pragma once

#include "models/resource_fsm/observer.h"
#include "models/resource_fsm/params.h"
#include "sim/api/context.h"

namespace detsim::rfsm {

void api_main(Context& ctx, const FsmParams& params, Observer& observer, NodeId store, int64_t index);

}  // namespace detsim::rfsm
