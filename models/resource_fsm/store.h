// The control plane's database node: a parts::RowStore holding resources,
// the job queue and the fencing-token counter, serving the API servers'
// reads and compare-and-set writes and the workers' lease, renewal and
// completion statements. Each statement is one transaction; the lease ones
// judge expiry by the store's own monotonic clock, as `UPDATE jobs SET
// holder = ?, expires = now() + ttl WHERE expires < now()` would.
#pragma once

#include "models/resource_fsm/observer.h"
#include "models/resource_fsm/params.h"
#include "sim/api/context.h"

namespace detsim::rfsm {

void store_main(Context& ctx, const FsmParams& params, Observer& observer);

}  // namespace detsim::rfsm
