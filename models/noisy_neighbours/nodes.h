// The noisy-neighbours nodes. Each `main` runs one incarnation; a restart
// runs it again with empty state (a cold cache, an empty database queue).
//
//  generator (client) --Batch--> cache (front tier) --MissBatch--> db
//        ^------------------ Answer (front part) ----|              |
//        ^------------------------------------------ Answer (db part)
#pragma once

#include <cstdint>

#include "models/noisy_neighbours/observer.h"
#include "sim/api/context.h"

namespace detsim::noisy {

// A load generator: every tick, for each of its tenants, one Batch with a
// Poisson count of requests; it matches the answers to its batches and
// fails what is unanswered after request_timeout. Never faulted.
void generator_main(Context& ctx, Observer& observer, const Topology& topology, int64_t index);

// The front tier and cache of one pod (or of the pool): the isolation
// policy (token buckets in quota mode), hits answered at once, misses sent
// on to the pod's database.
void cache_main(Context& ctx, Observer& observer, const Topology& topology, int64_t pod);

// A database of c workers, FIFO, exponential service scaled by the
// slowness its disk probe sees; hot-key misses queue on one worker (their
// shard). It sheds requests it could not start within half the timeout.
void db_main(Context& ctx, Observer& observer, const Topology& topology, int64_t pod);

}  // namespace detsim::noisy
