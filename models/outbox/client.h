// A client of the order service: one request at a time, exponential think
// time at `rate`, until the heal. It only drives load; the promises are
// about what the service tells the consumers, which the observer checks.
#pragma once

#include "models/outbox/params.h"
#include "sim/api/context.h"

namespace detsim::outbox {

void client_main(Context& ctx, const OutboxParams& params, NodeId service, Time stop_at);

}  // namespace detsim::outbox
