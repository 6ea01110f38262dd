// The warehouse node: loader workers that consume the events topic in
// micro-batches and merge whole source transactions into the warehouse
// (a row store on this node's disk), one warehouse transaction per batch
// with the per-source loaded watermark, then commit their consumer
// offsets.
#pragma once

#include "models/cdc_fanin/observer.h"
#include "models/cdc_fanin/params.h"
#include "models/parts/plog/cluster.h"
#include "sim/api/context.h"

namespace detsim::cdc {

// Runs until the node crashes.
void loader_main(Context& ctx, const CdcParams& params, const parts::plog::Cluster& log, Observer& observer);

}  // namespace detsim::cdc
