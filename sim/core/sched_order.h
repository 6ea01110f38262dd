// Scheduling exploration: which of several events due at one instant of
// virtual time fires first, and how late timers fire.
//
// By default (fifo) events at one instant fire in the order they were
// scheduled, as ns-3 does. A real system gives no such promise, so two other
// policies break those ties from the run's seed, to reach interleavings the
// fifo order never shows:
//
// - random: at each instant, the owners of the events due then are put in
//   an order drawn from the seed (a keyed hash of the owner and the instant,
//   salted from the "sched" fork), a fresh order at every instant.
// - pct: Burckhardt, Kothari, Musuvathi, Nagarakatte, "A Randomized
//   Scheduler with Probabilistic Guarantees of Finding Bugs", ASPLOS 2010.
//   Every owner gets a distinct random priority; at an instant, the events
//   of the highest-priority owner fire first. At d-1 change points, event
//   indices drawn uniformly in [1, pct_steps], the owner of the event fired
//   there drops to priority i (the i-th change point), below every owner
//   that still has its initial priority (the paper's d_i = i).
//
// An event's owner is the node whose fiber scheduled it (a timer is owned
// by its fiber's node), or kWorldOwner for events scheduled outside any
// fiber: by event handlers and by the world's setup. World code may name
// the owner itself (Engine::schedule_for), e.g. a message's receiver.
//
// Both policies keep one owner's events at one instant in scheduling order.
// That is what keeps a connection's messages in order: they are all
// scheduled by the sending node, and may be due at the same instant
// (connections.cc asserts they arrive in the order they were sent).
//
// Jitter delays timers (park deadlines: sleeps, timeouts, disk latencies)
// by uniform [0, jitter], so that near-simultaneous events swap order. It
// never makes anything earlier, and it leaves alone what must keep its
// time: events due now, events past the time limit, and everything that is
// not a timer. The world's timetable (fault actions, the heal at duration -
// settle, pause ends) stays as scheduled, so a fault schedule replays as
// written; connection streams keep their order; datagrams have net.jitter.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "sim/core/rng.h"
#include "sim/core/time.h"

namespace detsim {

enum class SchedPolicy : uint8_t { fifo, random, pct };
const char* to_string(SchedPolicy policy);
std::optional<SchedPolicy> parse_sched_policy(std::string_view text);

struct SchedOptions {
  SchedPolicy policy = SchedPolicy::fifo;
  // PCT's bug depth d: d-1 priority change points.
  uint32_t pct_depth = 3;
  // PCT draws its change points among the first pct_steps events (the
  // paper's k, the expected length of a run).
  uint64_t pct_steps = 20'000;
  Duration jitter = Duration::zero();
};

// The owner of events scheduled outside any fiber.
inline constexpr uint32_t kWorldOwner = UINT32_MAX;

class SchedOrder {
 public:
  // Ranks are kRankBits wide; lower ranks fire first at one instant.
  static constexpr int kRankBits = 24;
  static constexpr uint32_t kDepthMax = 64;

  // rng is the run's "sched" fork.
  SchedOrder(const SchedOptions& options, const Rng& rng);

  bool ranked() const { return options_.policy != SchedPolicy::fifo; }
  bool jitters() const { return options_.jitter > Duration::zero(); }

  // The rank of an event of `owner` due `at`, under random or pct.
  uint32_t rank(uint32_t owner, Time at);
  // PCT: the index (1-based, in events fired) of the next change point;
  // UINT64_MAX when there is none left (always, under fifo and random).
  uint64_t next_change_index() const;
  // PCT: at the next change point, demotes the owner of the event of rank
  // `rank`, the one firing. Returns its new rank: pending events of the old
  // rank must take it.
  uint32_t demote(uint32_t rank);

  // A timer's time with jitter: never before `at`, unchanged when `at` is
  // now or past the time limit.
  Time jittered(Time at, Time now, Time limit);

  // A branch of `detsim explore`: perturbs the draws still to come (PCT
  // priorities of owners not yet ranked, timer jitter). The random
  // policy's salt stays: events of one owner already pending at an
  // instant must keep ranking equal with the ones still to come.
  void reseed(uint64_t salt);

 private:
  uint32_t priority_of(uint32_t owner);
  uint32_t assign_priority(uint32_t owner);
  uint32_t* find_priority(uint32_t priority);
  uint32_t random_rank(uint32_t owner, Time at) const;

  SchedOptions options_;
  uint64_t random_salt_ = 0;
  Rng priority_rng_;
  Rng jitter_rng_;
  // By owner, 0 for none yet: a vector for the usual small, dense node
  // ids (a map per event cost W1 a third of its speed), a map for the
  // rest (the world's pseudo-node).
  static constexpr uint32_t kDenseOwners = 1 << 16;
  std::vector<uint32_t> dense_priorities_;
  std::map<uint32_t, uint32_t> sparse_priorities_;
  std::set<uint32_t> priorities_used_;
  std::vector<uint64_t> change_indices_;  // ascending
  size_t changes_done_ = 0;
};

}  // namespace detsim
