// The model's clients (never faulted): a region's source producers and its
// failover consumer (docs/log_mirror.md, "Clients").
#pragma once

#include "models/log_mirror/observer.h"
#include "models/log_mirror/params.h"
#include "models/parts/plog/cluster.h"

namespace detsim::mirror {

// Writes `rate` records per second to each partition of `orders` until
// stop_at, in one batch per linger, and tells the observer what was
// acknowledged. acks=all (acks=1 with the bug acks_one), idempotent.
void producer_main(Context& ctx, const MirrorParams& params, int region, const parts::plog::Cluster& source,
                   Observer& observer, Time stop_at);

// Consumes `orders` in its region as group `app`, committing every
// app_commit_interval, until a time drawn from the seed; then fails over:
// reads the latest checkpoint of each partition from `<region>.checkpoints`
// on the aggregate cluster and consumes `<region>.orders` from the
// translated offset on, telling the observer what it reads.
void app_main(Context& ctx, const MirrorParams& params, int region, const parts::plog::Cluster& source,
              const parts::plog::Cluster& target, Observer& observer, Time heal_at);

}  // namespace detsim::mirror
