// Knobs and planted bugs of the Raft key-value model. The scenario loader
// validates every value against these specs before the model sees it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "sim/api/bindings.h"

namespace detsim::raft_kv {

enum class ReadMode { read_index, lease };

struct RaftParams {
  int64_t nodes = 5;
  int64_t clients = 10;
  double rate = 100;  // operations per second, per client
  int64_t keys = 5;
  // The operation mix, as relative weights.
  double mix_get = 4, mix_put = 2, mix_append = 2, mix_cas = 2;
  Duration election_timeout_min = Duration::milliseconds(150);
  Duration election_timeout_max = Duration::milliseconds(300);
  Duration heartbeat_interval = Duration::milliseconds(40);
  int64_t entries_per_append_max = 64;
  Duration attempt_timeout = Duration::milliseconds(150);  // one try on one server
  Duration op_timeout = Duration::seconds(1);              // then the op is info
  ReadMode reads = ReadMode::read_index;
  double lease_drift_bound_ppm = 2000;
  // Set by make(): the scenario's clocks may drift more than the bound, so
  // the lease is not trusted and every read takes the read-index path.
  bool lease_fallback = false;
  // The planted bugs.
  bool vote_not_persisted = false;
  bool commit_previous_term = false;
  bool stale_read = false;
  bool no_truncate_on_conflict = false;
  bool ack_before_commit = false;
  friend bool operator==(const RaftParams&, const RaftParams&) = default;
};

// Every knob and planted bug, declared once (sim/api/bindings.h).
inline const ParamBindings<RaftParams>& bindings() {
  using P = RaftParams;
  static const auto b =
      ParamBindings<P>()
          .integer("nodes", &P::nodes, "number of Raft servers", 1, 15)
          .integer("clients", &P::clients, "number of clients, each with one operation in flight", 1, 256)
          .real("rate", &P::rate, "operations per second per client (exponential think time)", 1e-6, 1e6)
          .swarm({"20", "100", "250"})
          .integer("keys", &P::keys, "size of the key space (k0, k1, ...)", 1, 1000)
          .real("mix_get", &P::mix_get, "relative weight of get", 0, 1e6)
          .real("mix_put", &P::mix_put, "relative weight of put", 0, 1e6)
          .real("mix_append", &P::mix_append, "relative weight of append", 0, 1e6)
          .real("mix_cas", &P::mix_cas, "relative weight of cas", 0, 1e6)
          .duration("election_timeout_min", &P::election_timeout_min, "least randomized election timeout", 0.001, 60)
          .duration("election_timeout_max", &P::election_timeout_max, "greatest randomized election timeout", 0.001, 60)
          .duration("heartbeat_interval", &P::heartbeat_interval, "leader heartbeat (and retransmission) period", 0.001,
                    60)
          .swarm({"15ms", "40ms", "75ms"})
          .integer("entries_per_append_max", &P::entries_per_append_max, "most log entries in one AppendEntries", 1,
                   100000)
          .swarm({"1", "4", "64"})
          // A patient client stays with a deposed leader: the window stale
          // reads and lost acknowledgements need.
          .duration("attempt_timeout", &P::attempt_timeout, "a client's wait for one server before trying another",
                    0.001, 60)
          .swarm({"150ms", "600ms", "2s"})
          .duration("op_timeout", &P::op_timeout, "a client's wait for an operation before recording it info", 0.001,
                    3600)
          .real("lease_drift_bound_ppm", &P::lease_drift_bound_ppm,
                "clock rate error the lease allows for; lease = election_timeout_min * (1-b)/(1+b)", 0, 100000)
          .choice("reads", &P::reads,
                  "linearizable reads: read_index (heartbeat round) or lease (leader lease, "
                  "falls back to read_index if clocks may drift past lease_drift_bound_ppm)",
                  {{"read_index", ReadMode::read_index}, {"lease", ReadMode::lease}})
          .swarm({"read_index", "lease"})
          .bug("vote_not_persisted", &P::vote_not_persisted,
               "term and vote are not fsynced before a vote is granted: after a crash a node votes again in the "
               "same term, so two leaders can be elected in one term")
          .bug("commit_previous_term", &P::commit_previous_term,
               "the leader commits entries of earlier terms by counting replicas (Raft Figure 8, against "
               "§5.4.2): an old entry replicated ahead of the term's no-op commits, and can then be overwritten")
          .bug("stale_read", &P::stale_read, "the leader answers get from its local state, without read-index or lease")
          .bug("no_truncate_on_conflict", &P::no_truncate_on_conflict,
               "a follower overwrites conflicting entries in place but keeps the entries after them (Raft §5.3 "
               "says delete them)")
          .bug("ack_before_commit", &P::ack_before_commit,
               "the leader answers put/append once the entry is in its own log, before it commits");
  return b;
}

// The largest clock rate error a scenario can produce, in ppm: the base
// drift, plus drift faults when they are on, plus NTP's slew (up to 500 ppm
// on top, docs/faults.md).
inline double scenario_drift_ppm(const Params& params) {
  double ppm = params.real("clock.drift_max_ppm");
  if (params.duration("faults.clock_drift_interval") > Duration::zero()) {
    ppm += static_cast<double>(params.integer("faults.clock_drift_max_ppm"));
  }
  if (params.boolean("clock.ntp")) ppm += 500;
  return ppm;
}

inline RaftParams read_params(const Params& params) {
  RaftParams out = bindings().read(params);
  out.election_timeout_max = std::max(out.election_timeout_min, out.election_timeout_max);
  out.lease_fallback = out.reads == ReadMode::lease && scenario_drift_ppm(params) > out.lease_drift_bound_ppm;
  // Invariant: the loader enforced the ranges declared above.
  DETSIM_ASSERT(out.nodes >= 1);
  DETSIM_ASSERT(out.mix_get + out.mix_put + out.mix_append + out.mix_cas > 0);
  return out;
}

}  // namespace detsim::raft_kv
