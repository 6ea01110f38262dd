// A MySQL-style server (docs/primary_replica.md): a binlog with GTIDs in a
// row store; as the primary it accepts writes (async or semi-sync), as a
// replica a receiver thread copies its source's binlog into a relay log
// and an applier thread applies it into its own binlog
// (log_replica_updates), positioned by GTID set ("auto-positioning").
#pragma once

#include <cstdint>
#include <vector>

#include "models/primary_replica/observer.h"
#include "models/primary_replica/params.h"
#include "sim/api/context.h"

namespace detsim::primary_replica {

void server_main(Context& ctx, const PrParams& params, Observer& observer, PowerSwitch& power, int64_t index,
                 const std::vector<NodeId>& servers);

}  // namespace detsim::primary_replica
