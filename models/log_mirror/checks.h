// The geo-mirroring model's invariants as pure functions over what the logs
// hold (docs/log_mirror.md, "Invariants"), so that tests can feed them
// known-bad states. Records are named by their source sequence number,
// which grows along a source partition's log; a partition's log is the list
// of those numbers in offset order.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace detsim::mirror {

// A target (or a failed-over reader) holds the source "in order with
// duplicates" when its records form runs, each run a contiguous stretch of
// the source log, and each run starts no later than the first source record
// not yet covered by the runs before it (covered: the highest source index
// any earlier record had). A restart re-delivers a suffix from an earlier
// point: a new run starting at or before the covered end. A run starting
// after it skipped a record; a record the source does not hold is foreign.
// `covered` is the source index already covered before the first record
// (-1: none; a failed-over reader that processed offsets [0, c) has c - 1).
// nullopt if it holds, else one line naming the first violation, and in
// *record (if given) the target record where it broke.
std::optional<std::string> first_disorder(const std::vector<uint64_t>& source, const std::vector<uint64_t>& target,
                                          int64_t covered = -1, uint64_t* record = nullptr);

// The highest source index the target covers in runs from the start
// (-1 if none), assuming first_disorder holds.
int64_t covered_end(const std::vector<uint64_t>& source, const std::vector<uint64_t>& target);

// Records of the target that repeat a source record it already held.
uint64_t duplicates(const std::vector<uint64_t>& target);

// KIP-545's offset translation, made conservative as MM2's is since
// KAFKA-12468: with the latest offset-sync (upstream u -> downstream d,
// the record at source offset u is at target offset d) whose u <= the
// group's committed source offset c: c == u translates to d, c > u to d + 1
// (records u+1 .. c-1 sit somewhere after d; re-reading them is allowed,
// skipping is not). nullopt when no sync is at or below c. off_by_one is the
// planted bug: one record further.
std::optional<int64_t> translate(const std::map<int64_t, int64_t>& syncs, int64_t committed, bool off_by_one = false);

// What became of an acknowledged source record at the end of a run.
enum class AckedFate {
  mirrored,          // in the target
  lost_at_source,    // the source log no longer holds it (safety)
  skipped,           // the mirror committed past it, yet the target lacks it (safety)
  not_yet_mirrored,  // the mirror has not passed it (liveness, after the heal)
};
// source_offset: where the source log holds it (-1: nowhere);
// mirror_committed: the mirror's highest committed source offset (next to read).
AckedFate acked_fate(bool in_target, int64_t source_offset, int64_t mirror_committed);

}  // namespace detsim::mirror
