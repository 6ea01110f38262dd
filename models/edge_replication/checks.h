// The invariants of edge replication, as pure functions of what the
// observer saw, so each can be shown a known-bad state in a test.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "models/edge_replication/interval_set.h"
#include "models/edge_replication/observer.h"
#include "models/edge_replication/rows.h"
#include "sim/api/model.h"

namespace detsim::edge {

// A backfilled copy never overwrote a newer streamed version of its key.
CheckResult check_no_time_travel(const std::optional<TimeTravel>& time_travel);
// Saved checkpoints only moved forward (position and every cursor).
CheckResult check_checkpoints_forward(const std::optional<CheckpointRegression>& regression);
// No saved checkpoint passed a binlog row the edge had not made durable.
CheckResult check_checkpoint_durable_on_edge(const std::optional<CheckpointAhead>& ahead);
CheckResult check_chunk_applied_before_cursor(const std::optional<ChunkAhead>& ahead);
// Liveness: after the faults healed, the replicator caught up (lag back to
// zero, backfill complete) before the run ended.
CheckResult check_caught_up(const std::optional<Time>& caught_up_at, Time heal_at, uint64_t rows_committed,
                            uint64_t rows_applied);
// The first difference between the two sides, every key and column, or
// nullopt if the edge equals the source.
std::optional<std::string> first_difference(const std::vector<Table>& source, const std::vector<Table>& edge);
std::optional<std::string> schema_difference(const std::vector<Table>& source, const std::vector<Table>& edge);
// The ground truth: every key whose live rows differ between the two sides
// (present on one only, or another version or column value).
KeySet differing_keys(const std::vector<Table>& source, const std::vector<Table>& edge);
// The final verification said "match" exactly when the edge matched, and
// reported exactly the keys that differ: no miss, no false alarm.
CheckResult check_verifier_truthful(const FinalVerification& verification, const std::vector<Table>& source,
                                    const std::vector<Table>& edge, const KeySet& diverged);
// After quiescence the edge equals the source but for keys the run
// diverged on purpose (inject_divergence), and the verifier is truthful.
// *differing (if given) is the key an edge_equals_source failure names.
CheckResult check_edge_equals_source(const std::vector<Table>* source, const std::vector<Table>* edge,
                                     const std::optional<FinalVerification>& verification, const KeySet& injected = {},
                                     KeyRef* differing = nullptr);
// Aggregate mode: every committed row was applied (and nothing else).
CheckResult check_exactly_once(const IntervalSet& committed, const IntervalSet* applied);

}  // namespace detsim::edge
