// Knobs and planted bugs of the primary_replica model (docs/primary_replica.md):
// a MySQL-style primary with replicas, GTID binlog replication (async or
// semi-synchronous), an orchestrator-like failover manager that fences
// the old primary, and proxies whose routing the manager updates.
#pragma once

#include <cstdint>

#include "sim/api/bindings.h"

namespace detsim::primary_replica {

enum class Replication { async, semisync };
// MySQL's rpl_semi_sync_master_wait_point: AFTER_SYNC makes a transaction
// visible only once a replica has it; AFTER_COMMIT makes it visible first.
enum class WaitPoint { after_sync, after_commit };

struct PrParams {
  int64_t replicas = 2;
  Replication replication = Replication::semisync;
  WaitPoint wait_point = WaitPoint::after_sync;
  Duration semisync_timeout = Duration::seconds(10);  // rpl_semi_sync_master_timeout: then async
  bool fencing = true;                                // STONITH the old primary before promoting
  int64_t clients = 4;
  int64_t keys = 4;
  double rate = 20;                                      // operations per second per client
  Duration op_timeout = Duration::milliseconds(800);     // the client's
  Duration heartbeat = Duration::milliseconds(100);      // the manager's ping interval
  int64_t missed_heartbeats = 5;                         // silent this many intervals: suspected
  Duration fetch_interval = Duration::milliseconds(10);  // a replica's poll when it got nothing
  Duration apply_delay = Duration::zero();               // per event: replica lag
  // Planted bugs.
  bool promote_least_advanced = false;
  bool no_fencing = false;
  bool relay_log_recovery_off = false;
};

inline const ParamBindings<PrParams>& bindings() {
  using P = PrParams;
  static const auto b =
      ParamBindings<P>()
          .integer("replicas", &P::replicas, "replicas besides the first primary", 2, 6)
          .choice("replication", &P::replication, "async, or semi-synchronous (one replica's relay log first)",
                  {{"semisync", Replication::semisync}, {"async", Replication::async}})
          .choice("wait_point", &P::wait_point,
                  "semisync: after_sync (visible after a replica has it) or after_commit (visible first)",
                  {{"after_sync", WaitPoint::after_sync}, {"after_commit", WaitPoint::after_commit}})
          .duration("semisync_timeout", &P::semisync_timeout,
                    "semisync waits this long for a replica, then falls back to async until one catches up", 0.001, 600)
          .boolean("fencing", &P::fencing, "the manager powers the old primary off (STONITH) before promoting")
          .integer("clients", &P::clients, "clients, each with one operation in flight", 1, 64)
          .integer("keys", &P::keys, "keys of the kv the clients read and write", 1, 1000)
          .swarm({"1", "4"})
          .real("rate", &P::rate, "operations per second per client (exponential think time)", 1e-3, 1e5)
          .swarm({"5", "20", "60"})
          .duration("op_timeout", &P::op_timeout, "a client gives up on an operation after this (info)", 0.001, 600)
          .duration("heartbeat", &P::heartbeat, "the manager's heartbeat interval", 0.001, 60)
          .swarm({"50ms", "100ms", "300ms"})
          .integer("missed_heartbeats", &P::missed_heartbeats, "intervals of silence before a node is suspected", 1,
                   100)
          .duration("fetch_interval", &P::fetch_interval, "a replica polls its source this often when idle", 0.0001, 10)
          .duration("apply_delay", &P::apply_delay, "a replica's applier spends this per event (replica lag)", 0, 10)
          .swarm({"0s", "2ms", "20ms"})
          .bug("promote_least_advanced", &P::promote_least_advanced,
               "the manager promotes the replica with the fewest transactions: acknowledged writes are lost")
          .bug("no_fencing", &P::no_fencing,
               "the manager promotes without powering the old primary off: a cut-off primary keeps accepting "
               "writes from the clients on its side (split brain)")
          .bug("relay_log_recovery_off", &P::relay_log_recovery_off,
               "after a crash a replica's applier resumes at the end of its relay log (a position file that "
               "was not crash-safe), skipping the events it had received but not applied");
  return b;
}

}  // namespace detsim::primary_replica
