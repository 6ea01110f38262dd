// Verification, as Ghostferry's verifiers do it: an inline check of each
// chunk right after it is copied (backfill.cc), and once the stream has
// caught up after the faults, a full comparison of every range. Both sides
// hash the same way (Table::digest), so equal digests and schemas mean
// equal rows, up to hash collisions.
#include "models/edge_replication/replicator.h"

namespace detsim::edge {

bool Replicator::verify_range(RpcLink& sql, RpcLink& edge, uint32_t table, int64_t lo, int64_t hi,
                              std::string* detail) {
  const ChecksumRange request{table, lo, hi};
  const Message source = sql.call_until_reply(request, kQueryTimeout);
  const Message target = edge.call_until_reply(request, kQueryTimeout);
  const auto* s = source.get_if<ChecksumReply>();
  const auto* t = target.get_if<ChecksumReply>();
  // Invariant: both ends answer a checksum with a checksum.
  DETSIM_ASSERT(s != nullptr);
  DETSIM_ASSERT(t != nullptr);
  if (s->digest == t->digest && s->schema.columns == t->schema.columns) return true;
  *detail = fmt::format("table {} keys [{}, {}]: source {} rows {:016x} schema v{}, edge {} rows {:016x} schema v{}",
                        table, lo, hi, s->digest.rows, s->digest.sum, s->schema.version, t->digest.rows, t->digest.sum,
                        t->schema.version);
  return false;
}

// Caught up: the source stopped writing (heal time), the stream has every
// row the source's binlog holds as heard after that, all of it is applied,
// and the backfill is complete.
bool Replicator::caught_up() const {
  if (ctx_.now() < config_.heal_at || source_end_heard_at_ < config_.heal_at) return false;
  if (routing_ || processed_end_ < source_end_ || !drained() || window_) return false;
  return std::all_of(backfilled_.begin(), backfilled_.end(), [](bool done) { return done; });
}

void Replicator::run_final_verification() {
  while (!caught_up()) progress_.wait_until(ctx_.now() + Duration::milliseconds(100));
  observer_->on_caught_up(ctx_.now());
  if (!params_.explicit_rows()) return;  // no rows to compare: the observer counts positions
  std::string first_mismatch;
  for (uint32_t table = 0; table < static_cast<uint32_t>(params_.tables); ++table) {
    for (int64_t lo = 0; lo < params_.keys; lo += params_.chunk_rows) {
      const int64_t hi = std::min(params_.keys, lo + params_.chunk_rows) - 1;
      std::string detail;
      if (!verify_range(verify_sql_, verify_edge_, table, lo, hi, &detail) && first_mismatch.empty()) {
        first_mismatch = detail;
      }
    }
  }
  observer_->on_final_verification(first_mismatch.empty(), first_mismatch, ctx_.now());
}

}  // namespace detsim::edge
