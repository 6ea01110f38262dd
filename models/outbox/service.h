// The order service: takes clients' order requests, changes the order in
// its database and tells the other services, the way `mode` says. In the
// outbox modes it also runs the relay (models/outbox/relay.h) as a second
// fiber of the same node, as a real deployment runs it beside the service
// or as a sidecar that dies with it.
#pragma once

#include "models/outbox/observer.h"
#include "models/outbox/params.h"
#include "models/parts/plog/cluster.h"
#include "sim/api/context.h"

namespace detsim::outbox {

void service_main(Context& ctx, const OutboxParams& params, const parts::plog::Cluster& log, Observer& observer);

}  // namespace detsim::outbox
