#include "sim/core/sched_order.h"

#include <algorithm>

#include "sim/core/assert.h"

namespace detsim {
namespace {

constexpr uint32_t kRankMax = (uint32_t{1} << SchedOrder::kRankBits) - 1;
// Initial PCT priorities are drawn from [kDepthMax, kDepthMax + span):
// above every change-point priority (1..depth-1), and roomy enough that
// redrawing a taken value is rare for any plausible number of nodes.
constexpr uint32_t kInitialPrioritySpan = uint32_t{1} << 20;

// splitmix64's finaliser: a full avalanche of one word.
uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

const char* to_string(SchedPolicy policy) {
  switch (policy) {
    case SchedPolicy::fifo: return "fifo";
    case SchedPolicy::random: return "random";
    case SchedPolicy::pct: return "pct";
  }
  return "?";
}

std::optional<SchedPolicy> parse_sched_policy(std::string_view text) {
  for (SchedPolicy policy : {SchedPolicy::fifo, SchedPolicy::random, SchedPolicy::pct}) {
    if (text == to_string(policy)) return policy;
  }
  return std::nullopt;
}

SchedOrder::SchedOrder(const SchedOptions& options, const Rng& rng)
    : options_(options), priority_rng_(rng.fork("pct")), jitter_rng_(rng.fork("jitter")) {
  // Invariant: the depth is within the spec's range, so change-point
  // priorities stay below every initial one.
  DETSIM_ASSERT(options_.pct_depth >= 1);
  DETSIM_ASSERT(options_.pct_depth <= kDepthMax);
  Rng salt = rng.fork("random");
  random_salt_ = salt.next_u64();
  if (options_.policy != SchedPolicy::pct) return;
  // Invariant: there are enough steps for distinct change points.
  DETSIM_ASSERT(options_.pct_steps >= options_.pct_depth);
  Rng points = rng.fork("change_points");
  while (change_indices_.size() + 1 < options_.pct_depth) {
    const uint64_t index = 1 + points.below(options_.pct_steps);
    if (std::find(change_indices_.begin(), change_indices_.end(), index) == change_indices_.end())
      change_indices_.push_back(index);
  }
  std::sort(change_indices_.begin(), change_indices_.end());
}

uint32_t SchedOrder::rank(uint32_t owner, Time at) {
  if (options_.policy == SchedPolicy::random) return random_rank(owner, at);
  return kRankMax - priority_of(owner);
}

// A keyed hash rather than a draw per event: every event of one owner at one
// instant gets the same rank, so they keep their scheduling order.
uint32_t SchedOrder::random_rank(uint32_t owner, Time at) const {
  const uint64_t key = mix(random_salt_ ^ mix(static_cast<uint64_t>(at.count_ns()))) ^ owner;
  return static_cast<uint32_t>(mix(key) >> (64 - kRankBits));
}

// Lazily, the first time an owner schedules something: the order in which
// owners appear is itself deterministic, so the priorities are too.
uint32_t SchedOrder::priority_of(uint32_t owner) {
  if (owner < dense_priorities_.size() && dense_priorities_[owner] != 0) return dense_priorities_[owner];
  if (owner >= kDenseOwners) {
    auto it = sparse_priorities_.find(owner);
    if (it != sparse_priorities_.end()) return it->second;
  }
  return assign_priority(owner);
}

uint32_t SchedOrder::assign_priority(uint32_t owner) {
  // Invariant: a free initial priority exists, so the redraw loop ends.
  DETSIM_ASSERT(priorities_used_.size() < kInitialPrioritySpan / 2);
  uint32_t priority;
  do {
    priority = kDepthMax + static_cast<uint32_t>(priority_rng_.below(kInitialPrioritySpan));
  } while (!priorities_used_.insert(priority).second);
  if (owner < kDenseOwners) {
    if (owner >= dense_priorities_.size()) dense_priorities_.resize(owner + 1, 0);
    dense_priorities_[owner] = priority;
  } else {
    sparse_priorities_.emplace(owner, priority);
  }
  return priority;
}

// The owner's slot holding `priority`: priorities are distinct, so there
// is one (nullptr if none). O(owners), at d-1 change points per run.
uint32_t* SchedOrder::find_priority(uint32_t priority) {
  for (uint32_t& slot : dense_priorities_) {
    if (slot == priority) return &slot;
  }
  for (auto& entry : sparse_priorities_) {
    if (entry.second == priority) return &entry.second;
  }
  return nullptr;
}

uint64_t SchedOrder::next_change_index() const {
  return changes_done_ < change_indices_.size() ? change_indices_[changes_done_] : UINT64_MAX;
}

uint32_t SchedOrder::demote(uint32_t rank) {
  // Invariant: only PCT has change points, and only d-1 of them.
  DETSIM_ASSERT(options_.policy == SchedPolicy::pct);
  DETSIM_ASSERT(changes_done_ < change_indices_.size());
  const uint32_t old_priority = kRankMax - rank;
  uint32_t* slot = find_priority(old_priority);
  // Invariant: every pending event's rank is some owner's current priority.
  DETSIM_ASSERT(slot != nullptr);
  ++changes_done_;
  const auto new_priority = static_cast<uint32_t>(changes_done_);
  priorities_used_.erase(old_priority);
  priorities_used_.insert(new_priority);
  *slot = new_priority;
  return kRankMax - new_priority;
}

Time SchedOrder::jittered(Time at, Time now, Time limit) {
  if (!jitters() || at <= now || at > limit) return at;
  const Duration delay = jitter_rng_.uniform(Duration::zero(), options_.jitter);
  // Invariant: jitter only ever delays.
  DETSIM_ASSERT(delay >= Duration::zero());
  return at + delay;
}

void SchedOrder::reseed(uint64_t salt) {
  priority_rng_.perturb(salt);
  jitter_rng_.perturb(salt);
}

}  // namespace detsim
