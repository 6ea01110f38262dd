// The primary_replica model's invariants as pure functions over what the
// observer recorded (docs/primary_replica.md lists when each is checked),
// so tests can hand each a known-bad state.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "sim/api/model.h"

namespace detsim::primary_replica {

// A MySQL GTID, source_uuid:transaction_id, with the uuid as the index of
// the server that accepted the transaction.
struct Gtid {
  int64_t origin = 0;
  int64_t seq = 0;
  auto operator<=>(const Gtid&) const = default;
};
using GtidList = std::set<Gtid>;

// Servers are declared first (register.cc), so server i is NodeId i:
// the nodes a violation names (CheckResult::on).
inline NodeId server_node(int64_t server) { return NodeId(static_cast<uint32_t>(server)); }

// When each server's binlog got each transaction: (server, gtid) -> time.
using WrittenAt = std::map<std::pair<int64_t, Gtid>, Time>;

// Every acknowledged write is in the final primary's binlog. The
// violation names the write's origin and the final primary (if >= 0).
CheckResult check_no_acked_write_lost(const std::map<Gtid, Time>& acked, const GtidList& final_primary,
                                      int64_t final_primary_node = -1);

// A write accepted at a node and epoch after another node was promoted at
// a higher epoch: two primaries took writes.
struct Accepted {
  int64_t node = 0;
  int64_t epoch = 0;
  Time at;
};
struct Promotion {
  int64_t node = 0;
  int64_t epoch = 0;
  Time at;
};
CheckResult check_single_writable_primary(const std::vector<Promotion>& promotions,
                                          const std::vector<Accepted>& accepted);

// After the heal every replica holds exactly the primary's transactions:
// a gap (a missing transaction below one it has) can never be filled by
// GTID auto-positioning and is a safety failure; a replica merely behind
// is a liveness failure; one with transactions the primary lacks must
// have been reported as errant.
// written_at (if given) times a violation by when the replica wrote the
// transaction past the gap, or the errant one; the rest are at `end`.
CheckResult check_replicas_converge(const GtidList& primary, const std::map<int64_t, GtidList>& replicas,
                                    const std::set<int64_t>& reported_errant, const WrittenAt* written_at = nullptr,
                                    Time end = Time::zero());

// A read returned a write that the final primary does not have.
struct ReadOf {
  Gtid gtid;
  Time at;
  std::optional<NodeId> client = std::nullopt;  // the reader, for CheckResult::on
};
CheckResult check_no_phantom_read(const std::vector<ReadOf>& reads, const GtidList& final_primary);

}  // namespace detsim::primary_replica
