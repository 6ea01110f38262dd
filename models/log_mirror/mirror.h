// A MirrorMaker 2 source task (docs/log_mirror.md, "The mirror"): consumes
// its source partitions of `orders` in its region, produces each fetch as
// one batch to `<region>.orders` on the aggregate cluster across the WAN,
// at most `inflight` batches per partition in flight, commits the source
// offset once the target acknowledged, and writes offset-syncs and the
// `app` group's translated checkpoints (KIP-382, KIP-545).
#pragma once

#include "models/log_mirror/observer.h"
#include "models/log_mirror/params.h"
#include "models/parts/plog/cluster.h"

namespace detsim::mirror {

// Mirror task `task` of `region`: partitions p with p % mirror_tasks == task.
void mirror_main(Context& ctx, const MirrorParams& params, int region, int64_t task, const parts::plog::Cluster& source,
                 const parts::plog::Cluster& target, Observer& observer);

}  // namespace detsim::mirror
