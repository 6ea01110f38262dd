// `detsim explore`'s processes (docs/bug-finding.md, "Guided search").
//
// The engine is one thread, so a run can be cut at an event boundary with
// fork(): the child is the same run at the same point, and reseeding its
// future (World::reseed, Engine::reseed) makes it a branch. A branch is
// named by its path of (event index, salt) pairs, so `detsim replay
// --seed N --branch PATH` reproduces it from scratch.
//
// The driver (explore_command.cc) forks one worker per seed. A run forks
// branches when it reaches a feature (a probe's 1st, 2nd, 4th... hit)
// that no process of this exploration reached before, or that fewer than
// rare_percent of the runs so far reached; a branch that reaches another
// such feature branches again, up to a depth. Every
// process sends its start and its result to the driver as one record on a
// shared SOCK_SEQPACKET socket, then _exits.
//
// At most `jobs` processes run at once. A slot is a counter in shared
// memory: a process that forks a branch takes a free slot for it, or,
// with none free, lends the branch its own and waits for it (depth
// first). So --jobs 1 explores too, one process at a time.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "replay/scenario.h"

namespace detsim {

// One anonymous shared mapping, made before the first fork.
struct ExploreShared {
  static constexpr size_t kProbesMax = 64;
  static constexpr size_t kBucketsMax = 64;  // log2 of the hit count
  std::atomic<int32_t> live{0};              // processes holding a slot
  std::atomic<int32_t> stop{0};              // the budget is spent: branch no more
  std::atomic<uint32_t> runs{0};             // seeds and branches started
  // By feature (probe * kBucketsMax + bucket): the runs that reached it.
  std::atomic<uint32_t> reached[kProbesMax * kBucketsMax];
  // Branches forked so far in one seed's family, by seed % kFamilies (the
  // driver zeroes a seed's counter as it launches it). Rare features at
  // every depth would otherwise grow a tree of fanout^depth runs.
  static constexpr size_t kFamilies = 1024;
  std::atomic<uint32_t> family_branches[kFamilies];
};
static_assert(std::atomic<int32_t>::is_always_lock_free, "shared across processes");

ExploreShared* map_explore_shared();
void unmap_explore_shared(ExploreShared* shared);

struct ExploreLimits {
  int jobs = 1;
  int fanout = 2;        // branches forked at one branch point
  size_t depth_max = 4;  // branch points on one path
  // A feature reached by fewer than this percentage of the runs started
  // so far is rare, and branches like a new one.
  double rare_percent = 1;
  uint32_t branches_per_seed = 64;  // at most, over the seed's whole tree
};

// The seed worker's whole life, in the child the driver just forked: runs
// the seed, forking branches, and each process of its family reports on
// `socket` and _exits.
[[noreturn]] void explore_seed_worker(const Scenario& scenario, uint64_t seed, ExploreShared* shared,
                                      ExploreLimits limits, int socket);

// Records on the socket, one JSON object each:
//   {"start": {"pid", "seed", "branch", "owns_slot"}}   a branch began
//   {"result": {"pid", "owns_slot", "outcome"}}          to_wire(outcome)
//   {"crashed": {"pid", "why"}}   a lent branch died; its waiting parent says so
bool send_record(int socket, const nlohmann::json& record);

}  // namespace detsim
