// Knobs and planted bugs of the Raft key-value model. The scenario loader
// validates every value against these specs before the model sees it.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "sim/api/model.h"
#include "sim/api/params.h"

namespace detsim::raft_kv {

inline constexpr const char* kBugVoteNotPersisted = "vote_not_persisted";
inline constexpr const char* kBugCommitPreviousTerm = "commit_previous_term";
inline constexpr const char* kBugStaleRead = "stale_read";
inline constexpr const char* kBugNoTruncateOnConflict = "no_truncate_on_conflict";
inline constexpr const char* kBugAckBeforeCommit = "ack_before_commit";

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
};

inline std::vector<ParamSpec> param_specs() {
  using T = ParamType;
  std::vector<ParamSpec> specs = {
      make_param("nodes", T::integer, "5", "number of Raft servers", 1, 15),
      make_param("clients", T::integer, "10", "number of clients, each with one operation in flight", 1, 256),
      swarmed(make_param("rate", T::real, "100", "operations per second per client (exponential think time)", 1e-6,
                         1e6),
              {"20", "100", "250"}),
      make_param("keys", T::integer, "5", "size of the key space (k0, k1, ...)", 1, 1000),
      make_param("mix_get", T::real, "4", "relative weight of get", 0, 1e6),
      make_param("mix_put", T::real, "2", "relative weight of put", 0, 1e6),
      make_param("mix_append", T::real, "2", "relative weight of append", 0, 1e6),
      make_param("mix_cas", T::real, "2", "relative weight of cas", 0, 1e6),
      make_param("election_timeout_min", T::duration, "150ms", "least randomized election timeout", 0.001, 60),
      make_param("election_timeout_max", T::duration, "300ms", "greatest randomized election timeout", 0.001, 60),
      swarmed(make_param("heartbeat_interval", T::duration, "40ms", "leader heartbeat (and retransmission) period",
                         0.001, 60),
              {"15ms", "40ms", "75ms"}),
      swarmed(make_param("entries_per_append_max", T::integer, "64", "most log entries in one AppendEntries", 1,
                         100000),
              {"1", "4", "64"}),
      // A patient client stays with a deposed leader: the window stale
      // reads and lost acknowledgements need.
      swarmed(make_param("attempt_timeout", T::duration, "150ms",
                         "a client's wait for one server before trying another", 0.001, 60),
              {"150ms", "600ms", "2s"}),
      make_param("op_timeout", T::duration, "1s", "a client's wait for an operation before recording it info",
                 0.001, 3600),
      make_param("lease_drift_bound_ppm", T::real, "2000",
                 "clock rate error the lease allows for; lease = election_timeout_min * (1-b)/(1+b)", 0, 100000),
  };
  ParamSpec reads = make_param("reads", T::choice, "read_index",
                               "linearizable reads: read_index (heartbeat round) or lease (leader lease, "
                               "falls back to read_index if clocks may drift past lease_drift_bound_ppm)");
  reads.choices = {"read_index", "lease"};
  reads.swarm = {"read_index", "lease"};
  specs.push_back(reads);
  return specs;
}

inline std::vector<BugSpec> bug_specs() {
  return {
      {kBugVoteNotPersisted,
       "term and vote are not fsynced before a vote is granted: after a crash a node votes again in the "
       "same term, so two leaders can be elected in one term"},
      {kBugCommitPreviousTerm,
       "the leader commits entries of earlier terms by counting replicas (Raft Figure 8, against "
       "§5.4.2): an old entry replicated ahead of the term's no-op commits, and can then be overwritten"},
      {kBugStaleRead, "the leader answers get from its local state, without read-index or lease"},
      {kBugNoTruncateOnConflict,
       "a follower overwrites conflicting entries in place but keeps the entries after them (Raft §5.3 "
       "says delete them)"},
      {kBugAckBeforeCommit,
       "the leader answers put/append once the entry is in its own log, before it commits"},
  };
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
  RaftParams out;
  out.nodes = params.integer("nodes");
  out.clients = params.integer("clients");
  out.rate = params.real("rate");
  out.keys = params.integer("keys");
  out.mix_get = params.real("mix_get");
  out.mix_put = params.real("mix_put");
  out.mix_append = params.real("mix_append");
  out.mix_cas = params.real("mix_cas");
  out.election_timeout_min = params.duration("election_timeout_min");
  out.election_timeout_max = std::max(out.election_timeout_min, params.duration("election_timeout_max"));
  out.heartbeat_interval = params.duration("heartbeat_interval");
  out.entries_per_append_max = params.integer("entries_per_append_max");
  out.attempt_timeout = params.duration("attempt_timeout");
  out.op_timeout = params.duration("op_timeout");
  out.reads = params.text("reads") == "lease" ? ReadMode::lease : ReadMode::read_index;
  out.lease_drift_bound_ppm = params.real("lease_drift_bound_ppm");
  out.lease_fallback = out.reads == ReadMode::lease && scenario_drift_ppm(params) > out.lease_drift_bound_ppm;
  const std::string& bug = params.text("bug");
  out.vote_not_persisted = bug == kBugVoteNotPersisted;
  out.commit_previous_term = bug == kBugCommitPreviousTerm;
  out.stale_read = bug == kBugStaleRead;
  out.no_truncate_on_conflict = bug == kBugNoTruncateOnConflict;
  out.ack_before_commit = bug == kBugAckBeforeCommit;
  // Invariant: the loader enforced the ranges declared above.
  DETSIM_ASSERT(out.nodes >= 1);
  DETSIM_ASSERT(out.mix_get + out.mix_put + out.mix_append + out.mix_cas > 0);
  return out;
}

}  // namespace detsim::raft_kv
