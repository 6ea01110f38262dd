#include "models/edge_replication/observer.h"

#include <algorithm>
#include <cstdint>

namespace detsim::edge {

Observer::Observer(const EdgeParams& params) : params_(params) {}

void Observer::detach_source(const std::vector<Table>* tables) {
  if (source_tables_ == tables) source_tables_ = nullptr;
}

void Observer::attach_edge(const std::vector<Table>* tables, const IntervalSet* applied) {
  edge_tables_ = tables;
  edge_applied_ = applied;
}

void Observer::detach_edge(const std::vector<Table>* tables) {
  if (edge_tables_ != tables) return;
  edge_tables_ = nullptr;
  edge_applied_ = nullptr;
}

void Observer::update_backlog(Time now) {
  const uint64_t backlog = rows_committed_ > rows_applied_ ? rows_committed_ - rows_applied_ : 0;
  backlog_row_seconds_ += static_cast<double>(backlog) * (now - backlog_since_).to_seconds();
  backlog_since_ = now;
  backlog_max_rows_ = std::max(backlog_max_rows_, backlog);
}

void Observer::on_commit(uint64_t first_seq, uint64_t rows, Time commit_time, Time now) {
  const uint64_t added = committed_.insert(first_seq, first_seq + rows);
  if (added == 0) return;
  update_backlog(now);
  rows_committed_ += added;
  if (commit_time < heal_at_) rows_committed_by_heal_ += added;
}

// The invariant of the issue: a backfilled copy never overwrites a newer
// streamed version of the same key. Streamed writes only raise the mark
// (a replay after a crash may rewrite an older version; that is not a copy).
std::optional<Time> Observer::edge_written_at(const KeyRef& key) const {
  auto it = edge_written_at_.find(key);
  return it == edge_written_at_.end() ? std::nullopt : std::optional<Time>(it->second);
}

void Observer::on_durable_writes(const std::vector<DurableWrite>& writes, Time now) {
  for (const DurableWrite& w : writes) {
    edge_written_at_[{w.table, w.key}] = now;
    uint64_t& streamed = streamed_max_[uint64_t{w.table} << 40 | static_cast<uint64_t>(w.key)];
    if (!w.backfill) {
      streamed = std::max(streamed, w.version);
      continue;
    }
    if (w.version < streamed && !time_travel_) time_travel_ = TimeTravel{w.table, w.key, w.version, streamed, now};
  }
}

void Observer::on_stream_applied(const ApplyBatch& batch, Time now) {
  uint64_t fresh = 0;
  for (const RowChange& change : batch.changes) {
    if (change.backfill) chunk_rows_queued_.erase({change.table, change.key, change.seq});
    if (!change.backfill) fresh += stream_applied_.insert(change.seq, change.seq + 1);
  }
  for (const SeqSpan& span : batch.spans) fresh += stream_applied_.insert(span.first_seq, span.first_seq + span.rows);
  if (fresh == 0) return;
  lag_.record_spread(now - batch.commit_max, now - batch.commit_min, fresh);
  update_backlog(now);
  rows_applied_ += fresh;
  if (now < heal_at_) rows_applied_by_heal_ += fresh;
}

static bool moved_back(const Checkpoint& before, const Checkpoint& after) {
  if (after.position < before.position) return true;
  for (size_t t = 0; t < before.cursors.size() && t < after.cursors.size(); ++t) {
    if (after.cursors[t] < before.cursors[t]) return true;
    if (before.backfilled[t] && !after.backfilled[t]) return true;
  }
  return false;
}

// The checkpoint's promise (replicator.h): every binlog row before its
// position is durable on the edge. Checked as each checkpoint is saved,
// from where the last check ended (the applied set only grows).
void Observer::on_checkpoint(const Checkpoint& checkpoint, Time now) {
  ++checkpoints_;
  if (checkpoint.position > checked_below_ && !checkpoint_ahead_) {
    std::optional<uint64_t> missing =
        committed_.first_missing_from(stream_applied_, checked_below_, checkpoint.position);
    if (missing)
      checkpoint_ahead_ = CheckpointAhead{checkpoint.position, *missing, now};
    else
      checked_below_ = checkpoint.position;
  }
  if (last_checkpoint_ && moved_back(*last_checkpoint_, checkpoint) && !checkpoint_regression_) {
    checkpoint_regression_ = CheckpointRegression{*last_checkpoint_, checkpoint, now};
  }
  last_checkpoint_ = checkpoint;
}

void Observer::on_chunk_done(uint32_t table, Time now) {
  if (chunk_ahead_) return;
  auto it = chunk_rows_queued_.lower_bound({table, INT64_MIN, 0});
  if (it != chunk_rows_queued_.end() && std::get<0>(*it) == table)
    chunk_ahead_ = ChunkAhead{table, std::get<1>(*it), now};
}

void Observer::on_backfill_done(Time now) {
  if (!backfill_done_at_) backfill_done_at_ = now;
}

void Observer::on_final_verification(bool match, std::string detail, KeySet keys, Time now) {
  if (!final_verification_) final_verification_ = FinalVerification{match, std::move(detail), now, std::move(keys)};
}

void Observer::report(MetricList& metrics, Time heal_at, Time end_at) const {
  const double window_s = std::max(heal_at.to_seconds(), 1e-9);
  metrics.push_back({"rows_per_s", static_cast<double>(rows_applied_by_heal_) / window_s});
  metrics.push_back({"offered_rows_per_s", static_cast<double>(rows_committed_by_heal_) / window_s});
  metrics.push_back({"rows_committed", static_cast<double>(rows_committed_)});
  metrics.push_back({"rows_applied", static_cast<double>(rows_applied_)});
  metrics.push_back({"lag_p50_s", lag_.quantile_s(0.50)});
  metrics.push_back({"lag_p90_s", lag_.quantile_s(0.90)});
  metrics.push_back({"lag_p99_s", lag_.quantile_s(0.99)});
  metrics.push_back({"lag_p999_s", lag_.quantile_s(0.999)});
  metrics.push_back({"lag_max_s", lag_.max().to_seconds()});
  metrics.push_back({"lag_mean_s", lag_.mean_s()});
  metrics.push_back({"backlog_max_rows", static_cast<double>(backlog_max_rows_)});
  const double span_s = std::max((backlog_since_ - Time::zero()).to_seconds(), 1e-9);
  metrics.push_back({"backlog_mean_rows", backlog_row_seconds_ / span_s});
  const double capacity_s = static_cast<double>(params_.workers) * std::max(end_at.to_seconds(), 1e-9);
  metrics.push_back({"worker_utilisation", worker_busy_.to_seconds() / capacity_s});
  if (params_.explicit_rows()) {
    metrics.push_back({"backfill_s", backfill_done_at_ ? backfill_done_at_->to_seconds() : -1.0});
    metrics.push_back({"inline_verified_chunks", static_cast<double>(inline_ok_)});
    metrics.push_back({"inline_dirty_chunks", static_cast<double>(inline_dirty_)});
    metrics.push_back({"writer_lock_waits", static_cast<double>(writer_lock_waits_)});
    metrics.push_back({"schema_changes", static_cast<double>(schema_changes_)});
  }
  metrics.push_back({"checkpoints", static_cast<double>(checkpoints_)});
  metrics.push_back({"replicator_restarts", static_cast<double>(replicator_restarts_)});
}

}  // namespace detsim::edge
