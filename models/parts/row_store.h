// A transactional row store with a write-ahead log and logical decoding
// through replication slots, for models that need a database on a node:
// CDC connectors that tail a slot, a transactional outbox, compare-and-set
// on a version column, a primary and its replicas.
//
// It lives on one node's ctx.disk() and is used by that node's fibers.
// Tables map an int64 primary key to a row of int64 columns. A transaction
// buffers its writes; commit() appends them and a commit record to the WAL,
// fsyncs, and only then applies them: a redo-only log with a no-steal
// policy (nothing reaches the tables before its commit record is durable,
// so recovery never undoes; Gray and Reuter, "Transaction Processing",
// 1993, ch. 9-10, and the ARIES paper, Mohan et al., TODS 1992, for the
// general undo/redo case).
// Logical decoding reads the committed transactions back from the WAL on
// disk in commit order, as Postgres's pgoutput does through a replication
// slot; a slot's confirmed position holds back the recycling of WAL
// segments, so a consumer that never confirms fills the disk (the
// Postgres "inactive replication slot" incident). docs/parts.md has the
// semantics.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/api/context.h"
#include "sim/api/sync.h"

namespace detsim::parts {

using TableId = uint32_t;
using Key = int64_t;
using Row = std::vector<int64_t>;
// A byte position in the WAL: monotonic, never reused, and it survives
// restarts, like a Postgres LSN.
using Lsn = uint64_t;

struct Change {
  enum class Op : uint8_t { insert, update, erase };
  Op op = Op::insert;
  TableId table = 0;
  Key key = 0;
  Row row;  // the after-image; empty for erase
  bool operator==(const Change&) const = default;
};

struct DecodedTxn {
  uint64_t xid = 0;
  Lsn commit_lsn = 0;  // just past the commit record
  Time commit_time;
  std::vector<Change> changes;
  bool operator==(const DecodedTxn&) const = default;
};

struct RowStoreOptions {
  std::string dir = "db";                  // file prefix on the node's disk
  uint64_t segment_bytes = 64 * 1024;      // WAL segment size; recycling is per whole segment
  uint64_t checkpoint_bytes = 256 * 1024;  // checkpoint after this much WAL since the last one
  // Oracle hook: called after a commit is durable and applied. It must not
  // affect the run (no sends, no draws, no blocking).
  std::function<void(const DecodedTxn&)> on_commit;
  // Oracle hook: called by open() for each transaction it replays from the
  // WAL. A transaction whose commit never returned (the node crashed in its
  // fsync) may still have reached the disk whole; this is how an observer
  // that only heard of returned commits learns of it. Never affects the run.
  std::function<void(const DecodedTxn&)> on_replay;
};

enum class CommitStatus { committed, conflict, no_space, io_error };
const char* to_string(CommitStatus status);

struct CommitResult {
  CommitStatus status = CommitStatus::committed;
  Lsn lsn = 0;       // the commit LSN, when committed
  uint64_t xid = 0;  // when committed
};

// Why decode_checked() returned nothing.
enum class DecodeStatus : uint8_t {
  ok,
  unknown_slot,
  wal_removed,  // `from` is below the oldest retained WAL: that history is gone
};
const char* to_string(DecodeStatus status);

class Wal;

class RowStore {
 public:
  RowStore(Context& ctx, RowStoreOptions options);
  ~RowStore();
  RowStore(const RowStore&) = delete;
  RowStore& operator=(const RowStore&) = delete;

  // Recovers (or creates) the store from disk: the last checkpoint, then
  // the WAL's committed transactions after it, up to the first torn or
  // invalid record, where the WAL is cut. Loads the slots. Call once,
  // before anything else.
  void open();

  // ---- committed state (no I/O) ----
  const Row* get(TableId table, Key key) const;
  // Rows with key > after, ascending, at most limit.
  std::vector<std::pair<Key, Row>> scan(TableId table, Key after, size_t limit) const;
  size_t row_count(TableId table) const;

  // Buffered writes with read-your-writes. The store must outlive it.
  class Txn {
   public:
    const Row* get(TableId table, Key key) const;
    void put(TableId table, Key key, Row row);  // insert or update
    void erase(TableId table, Key key);
    // Checked atomically at commit: the committed row must equal expected
    // (nullopt: must be absent), else the commit is a conflict. This is
    // UPDATE ... WHERE version = ? (compare-and-set).
    void expect(TableId table, Key key, std::optional<Row> expected);
    bool empty() const { return writes_.empty() && expects_.empty(); }

   private:
    friend class RowStore;
    struct Write {
      TableId table;
      Key key;
      std::optional<Row> row;  // nullopt: erase
    };
    struct Expect {
      TableId table;
      Key key;
      std::optional<Row> row;
    };
    explicit Txn(const RowStore& store) : store_(&store) {}
    const RowStore* store_;
    std::vector<Write> writes_;  // in the order the model issued them
    std::vector<Expect> expects_;
    // The latest buffered write per row, for get().
    std::map<std::pair<TableId, Key>, std::optional<Row>> latest_;
  };
  Txn begin() const { return Txn(*this); }
  // Serialized by an internal Mutex: WAL order is commit order. Durable
  // (fsynced) before it returns committed. On no_space or io_error nothing
  // is applied and the WAL is cut back. An empty transaction commits
  // trivially (xid 0, lsn = flushed_lsn(), nothing written).
  CommitResult commit(Txn txn);
  void rollback(Txn txn);

  // ---- logical decoding (Postgres replication slot semantics) ----
  Lsn flushed_lsn() const { return flushed_lsn_; }
  // A durable slot confirmed at flushed_lsn() (idempotent by name).
  IoStatus create_slot(const std::string& name);
  IoStatus drop_slot(const std::string& name);
  std::optional<Lsn> slot_confirmed(const std::string& name) const;
  // Committed transactions with commit_lsn > from, in commit order, at most
  // max_txns, decoded from the WAL on disk. Empty if the slot is unknown or
  // `from` is below the retained WAL (decode_checked says which).
  std::vector<DecodedTxn> decode(const std::string& slot, Lsn from, size_t max_txns);
  DecodeStatus decode_checked(const std::string& slot, Lsn from, size_t max_txns, std::vector<DecodedTxn>* out);
  // Advances the slot (never backwards, never past flushed_lsn()), durably,
  // then recycles the WAL segments nobody needs any more. The slot file is
  // overwritten in place, so confirming works on a full disk.
  IoStatus confirm(const std::string& slot, Lsn lsn);

  // ---- inspection ----
  uint64_t wal_retained_bytes() const;
  size_t wal_segments() const;
  Lsn oldest_retained_lsn() const;
  Lsn checkpoint_lsn() const { return checkpoint_lsn_; }
  // Bytes of torn or uncommitted WAL tail open() cut off.
  uint64_t truncated_at_open() const { return truncated_at_open_; }

 private:
  using Table = std::map<Key, Row>;

  bool expectations_hold(const Txn& txn) const;
  std::vector<Change> changes_of(const Txn& txn) const;
  void apply(const std::vector<Change>& changes);
  void replay(const DecodedTxn& txn);
  void maybe_checkpoint();
  bool write_checkpoint();
  void load_checkpoint();
  std::string encode_tables() const;
  bool decode_tables(std::string_view bytes);
  IoStatus persist_slots();
  void load_slots();
  std::optional<std::map<std::string, Lsn>> read_slot_half(uint64_t half);
  void recycle();

  Context& ctx_;
  RowStoreOptions options_;
  std::unique_ptr<Wal> wal_;
  Mutex mutex_;  // commits, decoding, checkpoints, slot writes, recycling
  std::map<TableId, Table> tables_;
  uint64_t next_xid_ = 1;
  Lsn flushed_lsn_ = 0;
  Lsn checkpoint_lsn_ = 0;
  std::map<std::string, Lsn> slots_;  // name -> confirmed position
  uint64_t slot_sequence_ = 0;        // of the slot file's last written half
  uint64_t slot_half_bytes_ = 0;      // size of each half of the slot file
  uint64_t truncated_at_open_ = 0;
};

}  // namespace detsim::parts
