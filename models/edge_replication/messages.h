// Wire types between the source, the replicator and the edge. Each type
// says what it is with DETSIM_MESSAGE_FORMAT (sim/api/message.h, at the
// end of this file) and what it weighs in size_bytes(), so bandwidth and
// traces see real sizes.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "models/edge_replication/rows.h"
#include "sim/api/basics.h"
#include "sim/api/message.h"

namespace detsim::edge {

// Ports: the source's binlog dump and its SQL; the edge's one port.
inline constexpr uint32_t kBinlogPort = 3306;
inline constexpr uint32_t kQueryPort = 3307;
inline constexpr uint32_t kEdgePort = 7000;

enum class GroupKind : uint8_t { rows, ddl, watermark };

// One group commit of the source's binlog: rows (explicit or counted), or
// a schema change, or a DBLog watermark row. Positions (seq) are per row;
// a schema change or watermark takes one.
struct BinlogGroup {
  GroupKind kind = GroupKind::rows;
  uint64_t first_seq = 0;
  uint64_t span = 0;  // seqs taken
  uint64_t rows = 0;  // rows changed (aggregate: only this)
  Time commit_time;
  std::vector<RowChange> changes;  // explicit rows
  Ddl ddl;
  uint64_t window = 0;  // watermark: the DBLog window id it carries
  uint64_t end_seq() const { return first_seq + span; }
};
using GroupPtr = std::shared_ptr<const BinlogGroup>;

// ---- binlog dump (replicator <-> source) ----
struct DumpFrom {
  uint64_t seq = 0;
};
// Immutable once committed, so it is shared rather than copied: the same
// as a copy for every reader.
struct BinlogEvent {
  GroupPtr group;
  int64_t row_bytes = 100;
  size_t size_bytes() const { return 64 + group->rows * static_cast<size_t>(row_bytes); }
  uint64_t digest() const;
};
struct SourceHeartbeat {
  uint64_t end_seq = 0;
  // The workload and schema changes are over for good: end_seq is final
  // for them (only the replicator's own watermarks may follow).
  bool writes_stopped = false;
};

// ---- SQL on the source and the edge ----
using KeyedRows = std::vector<std::pair<int64_t, Row>>;
size_t keyed_rows_bytes(const KeyedRows& rows, int64_t row_bytes);

struct SelectChunk {
  uint32_t table = 0;
  int64_t after_key = -1;  // rows with key > after_key, in key order
  int64_t limit = 0;
  bool share_lock = false;  // SELECT ... FOR SHARE, held until ReleaseLocks
};
struct ChunkRows {
  uint32_t table = 0;
  KeyedRows rows;
  uint64_t schema_version = 0;
  bool done = false;  // no rows after these
  int64_t row_bytes = 100;
  size_t size_bytes() const { return 32 + keyed_rows_bytes(rows, row_bytes); }
};
struct ReleaseLocks {};
struct WriteWatermark {
  uint64_t window = 0;
};
struct WatermarkWritten {
  uint64_t seq = 0;
};
struct ChecksumRange {
  uint32_t table = 0;
  int64_t lo = 0;
  int64_t hi = 0;  // inclusive
};
struct ChecksumReply {
  Table::Digest digest;
  Schema schema;
};

// ---- applying at the edge ----
// aggregate mode: rows [first_seq, first_seq + rows) of the stream.
struct SeqSpan {
  uint64_t first_seq = 0;
  uint64_t rows = 0;
};
struct ApplyBatch {
  uint32_t partition = 0;
  // Names the batch for the edge's duplicate check (a retry after a lost
  // reply must not apply it twice): the replicator's incarnation + 1, and
  // the batch's number in its partition.
  uint64_t producer = 0;
  uint64_t number = 0;
  std::vector<RowChange> changes;  // explicit
  std::vector<SeqSpan> spans;      // aggregate
  bool conditional = false;        // rowlock: Ghostferry's apply, conditional on the before image
  uint64_t rows = 0;               // all rows, backfill included
  uint64_t stream_rows = 0;        // rows from the binlog, for lag
  uint64_t max_seq = 0;            // the highest binlog row position among them
  Time commit_min;                 // their commit times' range
  Time commit_max;
  int64_t row_bytes = 100;
  size_t size_bytes() const { return 64 + rows * static_cast<size_t>(row_bytes); }
};
struct ApplyDdl {
  Ddl ddl;
};
// Ghostferry's copy: INSERT IGNORE of rows read under schema_version.
struct CopyRows {
  uint32_t table = 0;
  KeyedRows rows;
  uint64_t schema_version = 0;
  bool replace = false;  // a redo after the share lock may have lapsed: overwrite
  int64_t row_bytes = 100;
  size_t size_bytes() const { return 32 + keyed_rows_bytes(rows, row_bytes); }
};
// inject_divergence only: a write at the edge behind the replicator's back
// (an operator's or a stray application's), never sent over the network.
struct RogueWrite {
  uint32_t table = 0;
  int64_t key = 0;
  int64_t value = 0;  // the column value it writes; also picks update or delete
};
struct Applied {
  bool ok = true;  // false: the edge's schema is behind the rows' (retry later)
};

// The one line a binlog event prints in traces (DETSIM_MESSAGE_FORMAT below).
std::string describe_binlog_event(const BinlogEvent& event);

}  // namespace detsim::edge

DETSIM_MESSAGE_FORMAT(detsim::edge::DumpFrom, "DumpFrom seq={}", m.seq);
DETSIM_MESSAGE_FORMAT(detsim::edge::BinlogEvent, "{}", detsim::edge::describe_binlog_event(m));
DETSIM_MESSAGE_FORMAT(detsim::edge::SourceHeartbeat, "Heartbeat end_seq={}{}", m.end_seq,
                      m.writes_stopped ? " writes_stopped" : "");
DETSIM_MESSAGE_FORMAT(detsim::edge::SelectChunk, "SelectChunk t{} after={} limit={}{}", m.table, m.after_key, m.limit,
                      m.share_lock ? " for share" : "");
DETSIM_MESSAGE_FORMAT(detsim::edge::ChunkRows, "ChunkRows t{} rows={} schema=v{}{}", m.table, m.rows.size(),
                      m.schema_version, m.done ? " done" : "");
DETSIM_MESSAGE_FORMAT(detsim::edge::ReleaseLocks, "ReleaseLocks");
DETSIM_MESSAGE_FORMAT(detsim::edge::WriteWatermark, "WriteWatermark window={}", m.window);
DETSIM_MESSAGE_FORMAT(detsim::edge::WatermarkWritten, "WatermarkWritten seq={}", m.seq);
DETSIM_MESSAGE_FORMAT(detsim::edge::ChecksumRange, "Checksum t{} [{}, {}]", m.table, m.lo, m.hi);
DETSIM_MESSAGE_FORMAT(detsim::edge::ChecksumReply, "ChecksumReply rows={} sum={:016x} schema=v{}", m.digest.rows,
                      m.digest.sum, m.schema.version);
DETSIM_MESSAGE_FORMAT(detsim::edge::ApplyBatch, "ApplyBatch p{} rows={} commit=[{:.6f}, {:.6f}]", m.partition, m.rows,
                      m.commit_min.to_seconds(), m.commit_max.to_seconds());
DETSIM_MESSAGE_FORMAT(detsim::edge::ApplyDdl, "ApplyDdl t{} {} c{} -> v{}", m.ddl.table, m.ddl.add ? "add" : "drop",
                      m.ddl.column, m.ddl.schema_version);
DETSIM_MESSAGE_FORMAT(detsim::edge::CopyRows, "CopyRows t{} rows={} schema=v{}", m.table, m.rows.size(),
                      m.schema_version);
DETSIM_MESSAGE_FORMAT(detsim::edge::RogueWrite, "RogueWrite t{}/{} value={}", m.table, m.key, m.value);
DETSIM_MESSAGE_FORMAT(detsim::edge::Applied, "{}", m.ok ? "Applied" : "Applied schema_behind");
