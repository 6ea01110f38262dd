// The proxies (ProxySQL-like: they forward each operation to the primary
// their routing table names, which the manager updates) and the clients,
// which record a Jepsen history on a kv.
#pragma once

#include <cstdint>
#include <vector>

#include "models/primary_replica/observer.h"
#include "models/primary_replica/params.h"
#include "sim/api/context.h"
#include "sim/api/history.h"

namespace detsim::primary_replica {

void proxy_main(Context& ctx, const std::vector<NodeId>& servers);
void client_main(Context& ctx, const PrParams& params, Observer& observer, History& history, int64_t index,
                 NodeId proxy, Time stop_at);

}  // namespace detsim::primary_replica
