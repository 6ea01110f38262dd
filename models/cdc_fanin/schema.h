// The tables of the CDC fan-in model, the change event the log carries,
// and the RPC a connector uses to write DBLog watermarks at its source.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "models/parts/row_store.h"
#include "sim/api/message.h"

namespace detsim::cdc {

inline constexpr const char* kEventsTopic = "cdc-events";        // partition s: source s's changes
inline constexpr const char* kOffsetsTopic = "connect-offsets";  // partition s: connector s's offsets
inline constexpr const char* kSlot = "debezium";
inline constexpr const char* kLoaderGroup = "warehouse-loader";

// Source database. The version column is bumped on every write of a row:
// it is what "older" and "newer" mean for time travel.
inline constexpr parts::TableId kOrders = 1;      // id -> [status, amount, version]
inline constexpr parts::TableId kLineItems = 2;   // id -> [order, qty, price, version]
inline constexpr parts::TableId kWatermarks = 3;  // DBLog window id -> [id]
inline constexpr parts::TableId kMeta = 4;        // 0 -> [next order id, next line item id]
inline bool is_data_table(parts::TableId table) { return table == kOrders || table == kLineItems; }
namespace order_col {
inline constexpr size_t status = 0, amount = 1, version = 2;
}
namespace item_col {
inline constexpr size_t order = 0, qty = 1, price = 2, version = 3;
}
inline int64_t version_of(const parts::Row& row) { return row.empty() ? 0 : row.back(); }

// Warehouse. Rows are keyed by (source, table, copy, id) packed in an
// int64; the correct loader only ever writes copy 0.
inline constexpr parts::TableId kWarehouseRows = 1;   // packed key -> [lsn, part, index, tombstone, source row...]
inline constexpr parts::TableId kWarehouseMarks = 2;  // source -> [loaded watermark W, snapshot done]
namespace wh_col {
inline constexpr size_t lsn = 0, part = 1, index = 2, tombstone = 3, row = 4;
}
struct WarehouseKey {
  int64_t source = 0;
  parts::TableId table = 0;
  int64_t copy = 0;
  int64_t id = 0;
  auto operator<=>(const WarehouseKey&) const = default;
};
inline constexpr int64_t kIdBits = 40;
inline constexpr int64_t kCopyBits = 8;
inline constexpr int64_t kTableBits = 2;
inline parts::Key pack(const WarehouseKey& k) {
  return (k.source << (kIdBits + kCopyBits + kTableBits)) | (static_cast<int64_t>(k.table) << (kIdBits + kCopyBits)) |
         (k.copy << kIdBits) | k.id;
}
inline WarehouseKey unpack(parts::Key key) {
  WarehouseKey k;
  k.id = key & ((int64_t{1} << kIdBits) - 1);
  k.copy = (key >> kIdBits) & ((int64_t{1} << kCopyBits) - 1);
  k.table = static_cast<parts::TableId>((key >> (kIdBits + kCopyBits)) & ((int64_t{1} << kTableBits) - 1));
  k.source = key >> (kIdBits + kCopyBits + kTableBits);
  return k;
}
// The first packed key of a source's warehouse rows.
inline parts::Key source_begin(int64_t source) { return pack({source, 0, 0, 0}); }

// One change event, Debezium-like: keyed by primary key, with the
// transaction metadata (commit LSN, position in the transaction and the
// transaction's event count) that lets the loader merge whole
// transactions only. Part 0 is a source transaction; part 1 is the DBLog
// chunk emitted at that transaction (the high watermark).
struct ChangeEvent {
  enum class Kind : uint8_t { change, marker, snapshot };
  Kind kind = Kind::change;
  int64_t source = 0;
  parts::Lsn lsn = 0;
  uint32_t part = 0;
  uint32_t index = 0;
  uint32_t count = 1;
  int64_t commit_time_ns = 0;
  parts::TableId table = 0;
  int64_t id = 0;
  bool erase = false;
  bool insert = false;         // the source's op was an insert (or a snapshot read)
  bool snapshot_done = false;  // the last chunk of the snapshot: the source is fully captured
  parts::Row row;              // the after-image; empty for erase and marker

  std::string encode() const;
  static std::optional<ChangeEvent> decode(std::string_view bytes);
};

// The connector's offsets, as a record of connect-offsets (Kafka
// Connect's offsets topic: the latest record of a partition wins).
struct ConnectorOffsets {
  parts::Lsn lsn = 0;  // every transaction with commit LSN <= lsn was acknowledged by the log
  parts::TableId snapshot_table = kOrders;
  int64_t snapshot_after = 0;  // the last key of the last chunk acknowledged
  // The table's key bound when its snapshot began (0: not begun): like
  // Debezium's incremental snapshot, rows inserted later are the
  // stream's, so the snapshot ends instead of chasing a growing table.
  int64_t snapshot_until = 0;
  bool snapshot_done = false;
  std::string encode() const;
  static std::optional<ConnectorOffsets> decode(std::string_view bytes);
};

// DBLog's watermark write: a row in the watermark table, in its own
// transaction; the reply carries its commit LSN.
struct WriteWatermark {
  uint64_t id = 0;
  int64_t window = 0;
};
struct WatermarkWritten {
  uint64_t id = 0;
  bool ok = false;
  parts::Lsn lsn = 0;
};

}  // namespace detsim::cdc

DETSIM_MESSAGE_FORMAT(detsim::cdc::WriteWatermark, "write_watermark id={} window={}", m.id, m.window);
DETSIM_MESSAGE_FORMAT(detsim::cdc::WatermarkWritten, "watermark_written id={} ok={} lsn={}", m.id, m.ok, m.lsn);
