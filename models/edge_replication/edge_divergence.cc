// inject_divergence (scenarios/edge_replication_verify.toml): real
// divergence at the edge, so the final verification is tested against a
// target that truly differs, not only against one that agrees. Two kinds,
// the two ways a target drifts in production:
// - a rogue write: a row changed, inserted or deleted at the edge by
//   someone other than the replicator (a manual fix, a stray application);
// - a lost target write: the edge acknowledges a batch but one of its rows
//   is silently not stored (a buggy storage engine or trigger).
// Every injected key is told to the observer, so edge_equals_source can
// tell injected differences from real ones; which of them survive to the
// end (a later streamed write may repair one) is for the checks to find.
#include "models/edge_replication/edge.h"

namespace detsim::edge {
namespace {

// A rogue write every 300 ms on average until the heal, and one streamed
// row in 200 lost: a few dozen injections per run, some of which a later
// write repairs.
constexpr double kRogueWriteMean_s = 0.3;
constexpr double kLostWriteProbability = 0.005;
constexpr int64_t kRogueValueMax = 1'000'000;

}  // namespace

void Edge::run_rogue_writes() {
  while (true) {
    ctx_.sleep_for(Duration::from_seconds(divergence_rng_.exponential(kRogueWriteMean_s)));
    // The rogue writer stops at the heal, so the edge is still once the
    // replicator has caught up: what the verifier reads is what the checks see.
    if (ctx_.now() >= config_.heal_at) return;
    RogueWrite rogue;
    rogue.table = static_cast<uint32_t>(divergence_rng_.below(static_cast<uint64_t>(params_.tables)));
    rogue.key = static_cast<int64_t>(divergence_rng_.below(static_cast<uint64_t>(params_.keys)));
    rogue.value = static_cast<int64_t>(divergence_rng_.below(kRogueValueMax));
    submit(rogue);
  }
}

// A live row is deleted (one time in three) or has a column changed; an
// absent one is inserted. The version is left alone: a rogue writer knows
// nothing of the replication's versions.
void Edge::apply_rogue(const RogueWrite& rogue, GroupEffects& effects) {
  Table& table = tables_.at(rogue.table);
  Table::Slot slot;
  if (const Table::Slot* current = table.find(rogue.key)) slot = *current;
  if (slot.live && rogue.value % 3 == 0) {
    slot.live = false;
    slot.row.columns.clear();
  } else {
    if (!slot.live) slot.row = normalize(initial_row(table.schema(), rogue.key), table.schema());
    slot.live = true;
    if (!slot.row.columns.empty()) slot.row.columns.front().value = kRogueValueMax + rogue.value;
  }
  observer_.on_injected_divergence(rogue.table, rogue.key);
  log_put(rogue.table, rogue.key, slot, effects);
}

// Draws only when injecting, so every other run keeps its random streams.
bool Edge::lose_write(const RowChange& change) {
  if (!params_.inject_divergence || change.backfill) return false;
  if (!divergence_rng_.bernoulli(kLostWriteProbability)) return false;
  observer_.on_injected_divergence(change.table, change.key);
  return true;
}

}  // namespace detsim::edge
