// A broadcast client: one operation in flight at a time, as in Maelstrom's
// broadcast workload. It broadcasts fresh unique values to random servers,
// retries a value on another server when no broadcast_ok comes in time,
// and records each acknowledged value for the end-of-run check.
#pragma once

#include <cstdint>
#include <memory>

#include "models/broadcast/checks.h"
#include "models/broadcast/params.h"
#include "sim/api/context.h"

namespace detsim::broadcast {

struct ClientConfig {
  int64_t index = 0;  // values are index * 1e9 + counter: unique per run
  Time stop_at;       // the heal time: no new attempts after it
};

void client_main(Context& ctx, const BroadcastParams& params, const ClientConfig& config, Observer& observer);

}  // namespace detsim::broadcast
