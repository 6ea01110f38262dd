// Wire types between the source, the replicator and the edge. Each type
// says what it is in describe() (one formatter below serves them all) and
// what it weighs in size_bytes(), so bandwidth and traces see real sizes.
#pragma once

#include <concepts>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "models/edge_replication/rows.h"
#include "sim/api/basics.h"

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
  std::string describe() const { return fmt::format("DumpFrom seq={}", seq); }
};
// Immutable once committed, so it is shared rather than copied: the same
// as a copy for every reader.
struct BinlogEvent {
  GroupPtr group;
  int64_t row_bytes = 100;
  size_t size_bytes() const { return 64 + group->rows * static_cast<size_t>(row_bytes); }
  uint64_t digest() const;
  std::string describe() const;
};
struct SourceHeartbeat {
  uint64_t end_seq = 0;
  // The workload and schema changes are over for good: end_seq is final
  // for them (only the replicator's own watermarks may follow).
  bool writes_stopped = false;
  std::string describe() const {
    return fmt::format("Heartbeat end_seq={}{}", end_seq, writes_stopped ? " writes_stopped" : "");
  }
};

// ---- SQL on the source and the edge ----
using KeyedRows = std::vector<std::pair<int64_t, Row>>;
size_t keyed_rows_bytes(const KeyedRows& rows, int64_t row_bytes);

struct SelectChunk {
  uint32_t table = 0;
  int64_t after_key = -1;  // rows with key > after_key, in key order
  int64_t limit = 0;
  bool share_lock = false;  // SELECT ... FOR SHARE, held until ReleaseLocks
  std::string describe() const {
    return fmt::format("SelectChunk t{} after={} limit={}{}", table, after_key, limit, share_lock ? " for share" : "");
  }
};
struct ChunkRows {
  uint32_t table = 0;
  KeyedRows rows;
  uint64_t schema_version = 0;
  bool done = false;  // no rows after these
  int64_t row_bytes = 100;
  size_t size_bytes() const { return 32 + keyed_rows_bytes(rows, row_bytes); }
  std::string describe() const {
    return fmt::format("ChunkRows t{} rows={} schema=v{}{}", table, rows.size(), schema_version, done ? " done" : "");
  }
};
struct ReleaseLocks {
  std::string describe() const { return "ReleaseLocks"; }
};
struct WriteWatermark {
  uint64_t window = 0;
  std::string describe() const { return fmt::format("WriteWatermark window={}", window); }
};
struct WatermarkWritten {
  uint64_t seq = 0;
  std::string describe() const { return fmt::format("WatermarkWritten seq={}", seq); }
};
struct ChecksumRange {
  uint32_t table = 0;
  int64_t lo = 0;
  int64_t hi = 0;  // inclusive
  std::string describe() const { return fmt::format("Checksum t{} [{}, {}]", table, lo, hi); }
};
struct ChecksumReply {
  Table::Digest digest;
  Schema schema;
  std::string describe() const {
    return fmt::format("ChecksumReply rows={} sum={:016x} schema=v{}", digest.rows, digest.sum, schema.version);
  }
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
  std::string describe() const {
    return fmt::format("ApplyBatch p{} rows={} commit=[{:.6f}, {:.6f}]", partition, rows, commit_min.to_seconds(),
                       commit_max.to_seconds());
  }
};
struct ApplyDdl {
  Ddl ddl;
  std::string describe() const {
    return fmt::format("ApplyDdl t{} {} c{} -> v{}", ddl.table, ddl.add ? "add" : "drop", ddl.column, ddl.schema_version);
  }
};
// Ghostferry's copy: INSERT IGNORE of rows read under schema_version.
struct CopyRows {
  uint32_t table = 0;
  KeyedRows rows;
  uint64_t schema_version = 0;
  bool replace = false;  // a redo after the share lock may have lapsed: overwrite
  int64_t row_bytes = 100;
  size_t size_bytes() const { return 32 + keyed_rows_bytes(rows, row_bytes); }
  std::string describe() const { return fmt::format("CopyRows t{} rows={} schema=v{}", table, rows.size(), schema_version); }
};
// inject_divergence only: a write at the edge behind the replicator's back
// (an operator's or a stray application's), never sent over the network.
struct RogueWrite {
  uint32_t table = 0;
  int64_t key = 0;
  int64_t value = 0;  // the column value it writes; also picks update or delete
  std::string describe() const { return fmt::format("RogueWrite t{}/{} value={}", table, key, value); }
};
struct Applied {
  bool ok = true;  // false: the edge's schema is behind the rows' (retry later)
  std::string describe() const { return ok ? "Applied" : "Applied schema_behind"; }
};

template <class T>
concept Describable = requires(const T& value) {
  { value.describe() } -> std::convertible_to<std::string>;
} && std::is_class_v<T>;

}  // namespace detsim::edge

template <class T>
struct fmt::formatter<T, char, std::enable_if_t<detsim::edge::Describable<T>>> : fmt::formatter<std::string_view> {
  auto format(const T& value, format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(value.describe(), ctx);
  }
};
