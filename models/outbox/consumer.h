// A consumer service (inventory, email): reads every partition of the
// orders topic in its own consumer group and applies each event's effect
// in its own database, in the same transaction as the record of the
// message id it applied, so a redelivery is recognised and skipped (the
// idempotent consumer). It commits its log offsets after applying, so a
// crash redelivers rather than loses.
#pragma once

#include "models/outbox/observer.h"
#include "models/outbox/params.h"
#include "models/parts/plog/cluster.h"
#include "sim/api/context.h"

namespace detsim::outbox {

void consumer_main(Context& ctx, const OutboxParams& params, const parts::plog::Cluster& log, Observer& observer,
                   size_t index);

}  // namespace detsim::outbox
