// Backfill: copying the rows that existed before the stream started, chunk
// by chunk in primary-key order, while the stream runs.
#include <algorithm>

#include "models/edge_replication/replicator.h"

namespace detsim::edge {

void Replicator::run_backfill() {
  RpcLink sql(ctx_, config_.source, kQueryPort);
  RpcLink edge(ctx_, config_.edge, kEdgePort);
  for (uint32_t table = 0; table < backfilled_.size(); ++table) {
    while (!backfilled_[table]) {
      const bool done =
          params_.backfill == Backfill::dblog ? dblog_chunk(table, sql, edge) : rowlock_chunk(table, sql, edge);
      if (!done) ctx_.sleep_for(kRetryPause);
    }
  }
  // Durable: chunk_done() ran after each chunk's rows were acknowledged.
  observer_.on_backfill_done(ctx_.now());
}

// One DBLog window. The window is registered before the low watermark is
// written, so the stream cannot pass the low watermark unseen.
bool Replicator::dblog_chunk(uint32_t table, RpcLink& sql, RpcLink& edge) {
  const uint64_t id = (uint64_t{ctx_.incarnation()} + 1) << 32 | ++windows_opened_;
  // Assigned, not emplace()d: clang 16 decides Window is not default
  // constructible while Replicator is incomplete, and keeps that answer.
  window_ = Window();
  window_->id = id;
  window_->table = table;
  std::optional<Message> low = sql.call(WriteWatermark{id * 2}, kQueryTimeout);
  std::optional<Message> selected;
  if (low && low->is<WatermarkWritten>()) {
    selected = sql.call(SelectChunk{table, cursors_[table], params_.chunk_rows, false}, kQueryTimeout);
  }
  if (!selected || !selected->is<ChunkRows>()) {
    window_.reset();
    return false;
  }
  const ChunkRows& chunk = *selected->get_if<ChunkRows>();
  if (params_.emit_chunk_at_select) {
    // At the stream's current position: behind what is routed, not behind
    // what the source committed while the select ran.
    const uint64_t at = processed_end_;
    window_.reset();
    emit_chunk(chunk, at, nullptr);
    while (!chunk_rows_applied(at)) progress_.wait_until(ctx_.now() + Duration::milliseconds(50));
    chunk_done(table, chunk, sql, edge);
    return true;
  }
  window_->chunk = chunk;
  std::optional<Message> high = sql.call(WriteWatermark{id * 2 + 1}, kQueryTimeout);
  if (!high || !high->is<WatermarkWritten>()) {
    window_.reset();
    return false;
  }
  while (!window_->emitted_at) progress_.wait_until(ctx_.now() + Duration::milliseconds(50));
  const uint64_t at = *window_->emitted_at;
  window_.reset();
  wait_applied_through(at);
  chunk_done(table, chunk, sql, edge);
  return true;
}

// Ghostferry's copy: SELECT ... FOR SHARE, INSERT IGNORE on the edge while
// the lock is held, then commit (release). A writer that changes one of the
// rows waits for the lock, so its binlog event comes after the copy landed.
// If the session broke before the release, the locks may have lapsed before
// the copy landed: the chunk is copied again, overwriting (under a new lock,
// the rows read are at least as new as anything streamed for them).
bool Replicator::rowlock_chunk(uint32_t table, RpcLink& sql, RpcLink& edge) {
  bool overwrite = false;
  while (true) {
    std::optional<Message> selected =
        sql.call(SelectChunk{table, cursors_[table], params_.chunk_rows, !params_.no_row_lock}, kQueryTimeout);
    if (!selected || !selected->is<ChunkRows>()) return false;
    const uint64_t session = sql.session();
    const ChunkRows chunk = *selected->get_if<ChunkRows>();
    // BUGGIFY: a slow copier (a GC pause, a slow edge) between read and write.
    if (ctx_.buggify()) ctx_.sleep_for(Duration::milliseconds(static_cast<int64_t>(ctx_.rng().uniform_int(10, 300))));
    bool schema_behind = false;
    if (!chunk.rows.empty()) {
      const CopyRows copy{table, chunk.rows, chunk.schema_version, overwrite, params_.row_bytes};
      while (true) {
        std::optional<Message> reply = edge.call(copy, kQueryTimeout);
        if (reply && reply->is<Applied>()) {
          schema_behind = !reply->get_if<Applied>()->ok;
          break;
        }
        ctx_.sleep_for(kRetryPause);
      }
    }
    std::optional<Message> released = sql.call(ReleaseLocks{}, kQueryTimeout);
    const bool held_throughout = released && sql.session() == session;
    if (schema_behind) {
      // The edge has not applied a schema change these rows have: let it stream.
      ctx_.sleep_for(Duration::milliseconds(20));
      continue;
    }
    if (!held_throughout && !params_.no_row_lock) {
      overwrite = true;
      continue;
    }
    chunk_done(table, chunk, sql, edge);
    return true;
  }
}

bool Replicator::chunk_rows_applied(uint64_t seq) const {
  return std::none_of(partitions_.begin(), partitions_.end(),
                      [seq](const auto& p) { return !p->items.empty() && p->items.front().seq <= seq; });
}

void Replicator::wait_applied_through(uint64_t seq) {
  while (applied_position() <= seq) progress_.wait_until(ctx_.now() + Duration::milliseconds(50));
}

// The chunk is durable on the edge: move the cursor (saved with the next
// checkpoint) and check the chunk's range inline.
void Replicator::chunk_done(uint32_t table, const ChunkRows& chunk, RpcLink& sql, RpcLink& edge) {
  const int64_t lo = cursors_[table] + 1;
  const int64_t hi = chunk.done ? params_.keys - 1 : chunk.rows.back().first;
  observer_.on_chunk_done(table, ctx_.now());
  if (!chunk.rows.empty()) cursors_[table] = chunk.rows.back().first;
  if (chunk.done) backfilled_[table] = true;
  std::string detail;
  observer_.on_inline_verification(verify_range(sql, edge, table, lo, hi, &detail));
}

}  // namespace detsim::edge
