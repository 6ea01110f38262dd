// A source database node (docs/cdc_fanin.md): a row store with orders and
// line items, a workload of multi-row transactions on zipf keys, and a
// receive loop that serves its connector (logical decoding, snapshot
// scans, DBLog watermark writes).
#pragma once

#include <cstdint>

#include "models/cdc_fanin/observer.h"
#include "models/cdc_fanin/params.h"
#include "sim/api/context.h"

namespace detsim::cdc {

// Runs until the node crashes. Writes until stop_at.
void source_main(Context& ctx, const CdcParams& params, Observer& observer, int64_t index, Time stop_at);

}  // namespace detsim::cdc
