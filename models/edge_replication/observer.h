// What is seen from outside the nodes: the ground truth the checks compare
// (the source's and the edge's live tables), what the nodes report as it
// becomes durable (commits, applied batches, checkpoints, the verifier's
// verdict), and the run's metrics. The model owns it; nodes hold a
// reference, valid as long as they run (model.h).
//
// Only durable facts are reported: the edge reports a write after its
// fsync, the replicator a checkpoint after its rename. A crash then never
// leaves the observer believing something the disk does not hold.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "models/edge_replication/interval_set.h"
#include "models/edge_replication/messages.h"
#include "models/edge_replication/params.h"
#include "models/edge_replication/rows.h"
#include "sim/api/metrics.h"
#include "sim/api/model.h"

namespace detsim::edge {

// A row's identity across both ends: (table, primary key).
using KeyRef = std::pair<uint32_t, int64_t>;
using KeySet = std::set<KeyRef>;

struct DurableWrite {
  uint32_t table = 0;
  int64_t key = 0;
  uint64_t version = 0;
  bool backfill = false;
};

struct TimeTravel {
  uint32_t table = 0;
  int64_t key = 0;
  uint64_t copy_version = 0;
  uint64_t streamed_version = 0;
  Time at;
};

struct Checkpoint {
  uint64_t position = 0;         // every binlog row before it is durable on the edge
  std::vector<int64_t> cursors;  // per table: the last key backfilled, -1 for none
  std::vector<bool> backfilled;  // per table: the copy is complete
};

struct CheckpointRegression {
  Checkpoint before;
  Checkpoint after;
  Time at;
};

// A saved checkpoint passed a binlog row that the edge had not made
// durable: a restart from it would skip the row.
struct CheckpointAhead {
  uint64_t position = 0;  // the checkpoint's
  uint64_t missing = 0;   // the first committed row below it not durable on the edge
  Time at;
};

// DBLog's promise at a chunk's end (backfill.cc chunk_done): the chunk's
// rows are applied at the edge before its cursor moves on (the next
// checkpoint saves that cursor, and a restart never copies the chunk
// again). A row still queued at that moment breaks it.
struct ChunkAhead {
  uint32_t table = 0;
  int64_t key = 0;  // the first chunk row not yet applied
  Time at;
};

struct FinalVerification {
  bool match = false;
  std::string detail;  // the first mismatching range, if any
  Time at;
  KeySet keys;  // every key whose rows the verifier found different
};

class Observer {
 public:
  // One per run, owned by the model; nodes hold references (model.h).
  Observer(const Observer&) = delete;
  Observer& operator=(const Observer&) = delete;
  explicit Observer(const EdgeParams& params);
  // Rows committed and applied before it count towards the throughput.
  void set_heal_time(Time heal_at) { heal_at_ = heal_at; }

  // ---- ground truth, attached by the incarnation that holds it ----
  void attach_source(const std::vector<Table>* tables) { source_tables_ = tables; }
  void detach_source(const std::vector<Table>* tables);
  void attach_edge(const std::vector<Table>* tables, const IntervalSet* applied);
  void detach_edge(const std::vector<Table>* tables);
  const std::vector<Table>* source_tables() const { return source_tables_; }
  const std::vector<Table>* edge_tables() const { return edge_tables_; }
  const IntervalSet* edge_applied() const { return edge_applied_; }
  const IntervalSet& committed() const { return committed_; }

  // ---- the source ----
  // A group became durable (also when recovery finds one again).
  void on_commit(uint64_t first_seq, uint64_t rows, Time commit_time, Time now);
  void on_writer_lock_wait() { ++writer_lock_waits_; }
  void on_schema_change() { ++schema_changes_; }

  // ---- the edge ----
  void on_durable_writes(const std::vector<DurableWrite>& writes, Time now);
  // inject_divergence: the edge wrote this key behind the replicator's back,
  // or dropped a streamed write to it. Recorded when injected, before it is
  // durable: a superset of what can truly diverge.
  void on_injected_divergence(uint32_t table, int64_t key) { injected_.insert({table, key}); }
  const KeySet& injected() const { return injected_; }
  // When the edge last made a write to key durable, if it did: the time
  // of an edge_equals_source difference (register.cc).
  std::optional<Time> edge_written_at(const KeyRef& key) const;
  // A batch of streamed rows became durable: lag and throughput. Rows
  // applied before (a replay after a replicator restart) count once.
  void on_stream_applied(const ApplyBatch& batch, Time now);

  // ---- the replicator ----
  void on_checkpoint(const Checkpoint& checkpoint, Time now);
  void on_worker_busy(Duration busy) { worker_busy_ += busy; }
  void on_backfill_done(Time now);
  void on_final_verification(bool match, std::string detail, KeySet keys, Time now);
  void on_inline_verification(bool match) { ++(match ? inline_ok_ : inline_dirty_); }
  void on_replicator_restart() {
    ++replicator_restarts_;
    chunk_rows_queued_.clear();  // the dead incarnation's queues are gone
  }
  // chunk_applied_before_cursor: a chunk row was queued for the edge ...
  void on_chunk_row_emitted(uint32_t table, int64_t key, uint64_t seq) { chunk_rows_queued_.insert({table, key, seq}); }
  // ... and the chunk's cursor is about to move past it.
  void on_chunk_done(uint32_t table, Time now);
  void on_caught_up(Time now) {
    if (!caught_up_at_) caught_up_at_ = now;
  }
  const std::optional<Time>& caught_up_at() const { return caught_up_at_; }

  // ---- for the checks ----
  const std::optional<TimeTravel>& time_travel() const { return time_travel_; }
  const std::optional<CheckpointRegression>& checkpoint_regression() const { return checkpoint_regression_; }
  const std::optional<CheckpointAhead>& checkpoint_ahead() const { return checkpoint_ahead_; }
  const std::optional<ChunkAhead>& chunk_ahead() const { return chunk_ahead_; }
  const std::optional<FinalVerification>& final_verification() const { return final_verification_; }
  uint64_t rows_committed() const { return rows_committed_; }
  uint64_t rows_applied() const { return rows_applied_; }

  void report(MetricList& metrics, Time heal_at, Time end_at) const;

 private:
  void update_backlog(Time now);

  EdgeParams params_;
  const std::vector<Table>* source_tables_ = nullptr;
  const std::vector<Table>* edge_tables_ = nullptr;
  std::map<KeyRef, Time> edge_written_at_;
  const IntervalSet* edge_applied_ = nullptr;

  IntervalSet committed_;
  // (table << 40 | key) -> the highest streamed version durable. Looked up,
  // never iterated, so its order cannot matter.
  std::unordered_map<uint64_t, uint64_t> streamed_max_;
  IntervalSet stream_applied_;  // binlog rows applied at least once
  std::optional<TimeTravel> time_travel_;
  std::optional<Checkpoint> last_checkpoint_;
  std::optional<CheckpointRegression> checkpoint_regression_;
  std::optional<CheckpointAhead> checkpoint_ahead_;
  std::set<std::tuple<uint32_t, int64_t, uint64_t>> chunk_rows_queued_;  // (table, key, seq), not yet applied
  std::optional<ChunkAhead> chunk_ahead_;
  uint64_t checked_below_ = 0;  // rows below it were durable on the edge at a checkpoint
  std::optional<FinalVerification> final_verification_;
  KeySet injected_;

  Histogram lag_;
  uint64_t rows_committed_ = 0;
  uint64_t rows_applied_ = 0;
  uint64_t rows_committed_by_heal_ = 0;
  uint64_t rows_applied_by_heal_ = 0;
  Time heal_at_ = Time::max();
  // Backlog (committed, not yet applied rows), integrated over time.
  Time backlog_since_;
  double backlog_row_seconds_ = 0;
  uint64_t backlog_max_rows_ = 0;
  Duration worker_busy_;
  std::optional<Time> backfill_done_at_;
  std::optional<Time> caught_up_at_;
  uint64_t checkpoints_ = 0;
  uint64_t inline_ok_ = 0;
  uint64_t inline_dirty_ = 0;
  uint64_t writer_lock_waits_ = 0;
  uint64_t schema_changes_ = 0;
  uint64_t replicator_restarts_ = 0;
};

}  // namespace detsim::edge
