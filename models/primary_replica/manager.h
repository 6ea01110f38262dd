// The failover manager, after orchestrator (github.com/openark/orchestrator,
// docs/failure-detection.md and docs/topology-recovery.md): heartbeats
// every server, suspects a silent primary, confirms through the replicas
// (a second vantage point), fences the old primary with STONITH, promotes
// the most advanced replica, re-points the others and updates the
// proxies' routing. Its topology is durable, so a manager that crashes
// mid-failover resumes it.
#pragma once

#include <vector>

#include "models/primary_replica/observer.h"
#include "models/primary_replica/params.h"
#include "sim/api/context.h"

namespace detsim::primary_replica {

void manager_main(Context& ctx, const PrParams& params, Observer& observer, PowerSwitch& power,
                  const std::vector<NodeId>& servers, const std::vector<NodeId>& proxies);

}  // namespace detsim::primary_replica
