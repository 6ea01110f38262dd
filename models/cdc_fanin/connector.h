// A Debezium-like connector node: streams its source's WAL through a
// replication slot into the source's partition of the events topic, with a
// DBLog incremental snapshot interleaved (Andreakis and Papapanagiotou,
// "DBLog: A Watermark Based Change-Data-Capture Framework", 2020). Offsets
// live in the log (the connect-offsets topic, as Kafka Connect keeps
// them); the slot is confirmed only after the log acknowledged the events
// and the offsets.
#pragma once

#include <cstdint>

#include "models/cdc_fanin/observer.h"
#include "models/cdc_fanin/params.h"
#include "models/parts/plog/cluster.h"
#include "sim/api/context.h"

namespace detsim::cdc {

// Runs until the node crashes.
void connector_main(Context& ctx, const CdcParams& params, const parts::plog::Cluster& log, Observer& observer,
                    int64_t index, NodeId source);

}  // namespace detsim::cdc
