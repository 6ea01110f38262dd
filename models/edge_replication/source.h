// The source database: tables, a row-based binlog kept on its disk, a write
// workload and schema changes, and the two services the replicator uses: a
// binlog dump (MySQL's COM_BINLOG_DUMP: every group from a position on, as
// it commits) and SQL (chunk selects, optionally FOR SHARE; DBLog
// watermark writes; range checksums).
//
// Commits are group commits: each tick, the transactions that arrived are
// written as one binlog record and fsynced (sync_binlog=1); only then do
// their rows become visible to readers and the dump. A restart rebuilds
// the tables from the initial image plus the binlog, as crash recovery
// does from the redo log.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "models/edge_replication/messages.h"
#include "models/edge_replication/observer.h"
#include "models/edge_replication/params.h"
#include "models/edge_replication/record_log.h"
#include "sim/api/context.h"
#include "sim/api/sync.h"

namespace detsim::edge {

struct SourceConfig {
  Time stop_writes_at;  // the workload and schema changes stop here (heal time)
};

class Source {
 public:
  static void main(Context& ctx, const EdgeParams& params, const SourceConfig& config, Observer& observer);
  ~Source();

 private:
  using Txn = std::vector<std::pair<uint32_t, int64_t>>;  // (table, key) rows it changes
  struct ShareLock {
    uint32_t table;
    int64_t lo, hi;    // inclusive
    uint64_t session;  // the connection holding it
  };
  // A group's changes before they are durable: readers must not see them.
  struct Overlay {
    std::map<std::pair<uint32_t, int64_t>, Table::Slot> slots;
  };

  Source(Context& ctx, const EdgeParams& params, const SourceConfig& config, Observer& observer);
  void recover();
  void replay(const BinlogGroup& group);

  // ---- writes (source.cc) ----
  void run_workload();
  void run_schema_changes();
  uint64_t arrivals(Duration elapsed);
  int64_t pick_key();
  void commit_pending();
  bool blocked_by_lock(const Txn& txn) const;
  void add_change(uint32_t table, int64_t key, Overlay& overlay, BinlogGroup& group);
  // Writes the group durably, then applies it and publishes it. False if
  // the disk refused: nothing happened.
  bool commit(BinlogGroup group, const Overlay* overlay);
  std::optional<uint64_t> write_watermark(uint64_t window);

  // ---- services (source_server.cc) ----
  void serve_dump(Connection connection);
  void serve_sql(Connection connection);
  Message answer(const Message& request, uint64_t session);
  ChunkRows select_chunk(const SelectChunk& request, uint64_t session);
  void release_locks(uint64_t session);
  bool table_locked(uint32_t table) const;
  size_t first_group_at(uint64_t seq) const;

  Context& ctx_;
  EdgeParams params_;
  SourceConfig config_;
  Observer& observer_;
  RecordLog binlog_file_;
  std::vector<Table> tables_;
  std::vector<GroupPtr> binlog_;  // every durable group, in order (the page cache of the file)
  uint64_t next_seq_ = 0;
  Mutex commit_mutex_;        // one group commit, DDL or watermark at a time
  WaitQueue new_group_;       // dump sessions wait here
  WaitQueue locks_released_;  // a schema change waits here for share locks to go
  std::vector<ShareLock> locks_;
  std::vector<Txn> pending_;   // arrived, not yet committed (some wait for a lock)
  uint64_t pending_rows_ = 0;  // aggregate mode: arrived, not yet committed
  // The writers have stopped for good (they stop at stop_writes_at, but a
  // commit begun before it may end after it).
  bool workload_done_ = false;
  bool schema_done_ = false;
  Time burst_until_;
  Time calm_until_;
  Rng workload_rng_;
};

}  // namespace detsim::edge
