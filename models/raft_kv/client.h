// A key-value client: one operation at a time, at `rate` per second, from
// the configured mix over a small key space. It sends to the last known
// leader (or a random server), follows NotLeader hints, and retries the
// same request (same client id and seq, so sessions apply it once) until
// op_timeout; then the operation is recorded info and the client goes on
// as a new process (Jepsen's rule). Every operation is recorded in the
// observer's History with its simulated invoke and completion times.
#pragma once

#include <cstdint>
#include <memory>

#include "models/raft_kv/checks.h"
#include "models/raft_kv/params.h"
#include "sim/api/context.h"

namespace detsim::raft_kv {

struct ClientConfig {
  int64_t index = 0;  // c0, c1, ...; the session id is index + 1
  Time stop_at;       // the heal time: no new workload operations after it
  Time end_at;        // the end of the run: the final probe gives up here
};

void client_main(Context& ctx, const RaftParams& params, const ClientConfig& config, Observer& observer);

}  // namespace detsim::raft_kv
