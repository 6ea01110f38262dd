// The replicator: tails the source's binlog over a connection, routes each
// row to one of W partitions by key (so per-key order holds), and each
// partition's worker applies batches to the edge, by size and linger time.
// Concurrently it backfills the tables that existed before (DBLog windows or
// Ghostferry's locked copy), verifies chunks inline and everything once the
// stream is caught up, and checkpoints its position and backfill cursors.
//
// The checkpoint's position is the lowest binlog row not yet durable on the
// edge: every row before it, in every partition, has been acknowledged.
// A restart resumes the stream there and the copy at the cursors; rows
// applied twice are harmless (DBLog's output is idempotent upserts,
// Ghostferry's is conditional on the before image).
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "models/edge_replication/messages.h"
#include "models/edge_replication/observer.h"
#include "models/edge_replication/params.h"
#include "models/edge_replication/rpc_link.h"
#include "sim/api/context.h"
#include "sim/api/sync.h"

namespace detsim::edge {

struct ReplicatorConfig {
  NodeId source;
  NodeId edge;
  Time heal_at;  // the source stops writing here; then catch up and verify
};

class Replicator {
 public:
  static void main(Context& ctx, const EdgeParams& params, const ReplicatorConfig& config, Observer& observer);

 private:
  // One row (explicit) or a run of rows (aggregate) waiting in a partition.
  struct Item {
    uint64_t seq = 0;
    uint64_t rows = 1;
    Time commit_time;
    Time routed_at;
    RowChange change;
  };
  struct Partition {
    explicit Partition(Context& ctx) : changed(ctx) {}
    std::deque<Item> items;  // oldest first; the first `in_flight` are being applied
    size_t in_flight = 0;
    uint64_t queued_rows = 0;
    uint64_t batches = 0;  // numbers the batches, for the edge's duplicate check
    WaitQueue changed;
  };
  // DBLog (Andreakis & Papapanagiotou, 2020, Algorithm 1): a chunk selected
  // between a low and a high watermark written to the binlog. Keys the
  // stream changes after the low one are dropped from the chunk; the rest
  // is emitted when the stream reaches the high one.
  struct Window {
    uint64_t id = 0;
    uint32_t table = 0;
    bool open = false;                   // the low watermark was streamed
    std::set<int64_t> dirty;             // keys streamed since then
    std::optional<ChunkRows> chunk;      // the select's result
    std::optional<uint64_t> emitted_at;  // the high watermark's position, once emitted
  };

  Replicator(Context& ctx, const EdgeParams& params, const ReplicatorConfig& config, Observer& observer);
  void start(const std::shared_ptr<Replicator>& self);

  // ---- stream and apply (replicator.cc) ----
  void run_stream();
  void route(const BinlogGroup& group);
  void route_aggregate(const BinlogGroup& group);
  void apply_ddl_in_order(const Ddl& ddl);
  void on_watermark(const BinlogGroup& group);
  void emit_chunk(const ChunkRows& chunk, uint64_t seq, const std::set<int64_t>* skip);
  size_t partition_of(uint32_t table, int64_t key);
  void push(size_t partition, Item item);
  void run_worker(size_t partition);
  ApplyBatch take_batch(Partition& partition, size_t partition_index);
  bool drained() const;
  // Every row before it is durable on the edge.
  uint64_t applied_position() const;
  uint64_t checkpoint_position() const;

  // ---- checkpoints (checkpoint.cc) ----
  void load_checkpoint();
  void run_checkpointer();
  bool save_checkpoint(const Checkpoint& checkpoint);

  // ---- backfill (backfill.cc) ----
  void run_backfill();
  bool dblog_chunk(uint32_t table, RpcLink& sql, RpcLink& edge);
  bool rowlock_chunk(uint32_t table, RpcLink& sql, RpcLink& edge);
  void wait_applied_through(uint64_t seq);
  bool chunk_rows_applied(uint64_t seq) const;
  void chunk_done(uint32_t table, const ChunkRows& chunk, RpcLink& sql, RpcLink& edge);

  // ---- verification (verifier.cc) ----
  static bool verify_range(RpcLink& sql, RpcLink& edge, uint32_t table, int64_t lo, int64_t hi, std::string* detail);
  KeyedRows read_range(RpcLink& link, uint32_t table, int64_t lo, int64_t hi);
  void find_differing_keys(uint32_t table, int64_t lo, int64_t hi, KeySet& keys);
  bool caught_up() const;
  void run_final_verification();

  Context& ctx_;
  EdgeParams params_;
  ReplicatorConfig config_;
  Observer& observer_;
  Checkpoint saved_;              // the last checkpoint made durable
  std::vector<int64_t> cursors_;  // live backfill progress (only ever saved after it is durable)
  std::vector<bool> backfilled_;
  uint64_t processed_end_ = 0;  // every binlog position before it is routed
  uint64_t source_end_ = 0;     // where the source's binlog ends, as last heard
  // A heartbeat said the source's writers are done, so source_end_ is final.
  // (Hearing a heartbeat after the heal is not enough: one sent before it
  // and delayed on a clogged link carries a stale end. Found by the stock
  // scenario, rowlock seed 99: the final verification ran while rows were
  // still streaming.)
  bool source_stopped_ = false;
  bool routing_ = false;  // the stream is inside route() (a schema change waits there)
  std::vector<std::unique_ptr<Partition>> partitions_;
  WaitQueue progress_;  // a batch applied, the stream moved, a window emitted
  std::optional<Window> window_;
  uint64_t windows_opened_ = 0;
  uint64_t round_robin_ = 0;
  RpcLink control_;     // schema changes to the edge
  RpcLink verify_sql_;  // the verifier's session on the source
  RpcLink verify_edge_;
};

}  // namespace detsim::edge
