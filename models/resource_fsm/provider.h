// The external provider (the cloud API that really creates the database or
// the VM): a node that makes a resource so when a worker asks, after its
// own latency, and checks the fencing token at the moment of the write: a
// token below the highest it accepted for that resource is refused
// (Kleppmann, "How to do distributed locking", 2016). Its state is what the
// final check compares the store with; it lives in the model, as the
// provider's own durable storage outside the system under test.
#pragma once

#include "models/resource_fsm/checks.h"
#include "models/resource_fsm/observer.h"
#include "models/resource_fsm/params.h"
#include "sim/api/context.h"

namespace detsim::rfsm {

void provider_main(Context& ctx, const FsmParams& params, Observer& observer, ProviderState& state);

}  // namespace detsim::rfsm
