// Tables as both ends hold them: rows keyed by primary key, with a version
// that the source bumps on every change (deletes included, so a key's
// versions only ever grow), and columns named by stable ids, so a schema
// change is "add id 7" or "drop id 3" and a row from another schema version
// can be normalised by id (missing columns take the default, unknown ones
// are dropped).
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/api/basics.h"
#include "sim/api/codec.h"

namespace detsim::edge {

inline constexpr int64_t kColumnDefault = 0;

struct Column {
  uint32_t id = 0;
  int64_t value = 0;
  bool operator==(const Column&) const = default;
};

struct Row {
  uint64_t version = 0;
  std::vector<Column> columns;  // sorted by id
  bool operator==(const Row&) const = default;
};

struct Schema {
  uint64_t version = 0;           // +1 per schema change of this table
  std::vector<uint32_t> columns;  // ids, sorted
  uint32_t next_column = 0;       // the id the next added column gets
  bool has(uint32_t id) const;
  bool operator==(const Schema&) const = default;
};

struct Ddl {
  uint32_t table = 0;
  bool add = true;  // add or drop
  uint32_t column = 0;
  uint64_t schema_version = 0;  // the table's version after this change
};

enum class ChangeKind : uint8_t { insert, update, remove };

// One row event of the binlog, with its before and after versions (the
// images' identity: a version names exactly one image of a key).
struct RowChange {
  uint32_t table = 0;
  int64_t key = 0;
  ChangeKind kind = ChangeKind::insert;
  uint64_t seq = 0;             // binlog position of this row
  uint64_t before_version = 0;  // 0: absent before (insert)
  Row after;                    // remove: after.version is the tombstone's, no columns
  bool backfill = false;        // a dblog chunk row (an upsert at the high watermark)
};

class Table {
 public:
  // Live rows; tombstones keep a deleted key's version so it keeps growing.
  struct Slot {
    Row row;
    bool live = false;
  };
  const Slot* find(int64_t key) const;
  Slot& slot(int64_t key) { return slots_[key]; }
  void erase(int64_t key) { slots_.erase(key); }
  const std::map<int64_t, Slot>& slots() const { return slots_; }
  void apply_ddl(const Ddl& ddl);
  Schema& schema() { return schema_; }
  const Schema& schema() const { return schema_; }
  // Live rows with lo <= key <= hi: their count and an order-free digest
  // over (key, version, columns); both ends compute it the same way.
  struct Digest {
    uint64_t rows = 0;
    uint64_t sum = 0;
    bool operator==(const Digest&) const = default;
  };
  Digest digest(int64_t lo, int64_t hi) const;

 private:
  std::map<int64_t, Slot> slots_;
  Schema schema_;
};

// The row shaped for schema: columns it lacks get kColumnDefault, columns
// it no longer has are dropped.
Row normalize(const Row& row, const Schema& schema);
uint64_t row_hash(uint32_t table, int64_t key, const Row& row);

// The schema and rows every table starts with, before time starts: the
// same on the source and (schema only) on the edge.
Schema initial_schema();
Row initial_row(const Schema& schema, int64_t key);

void encode_row(ByteWriter& out, const Row& row);
bool decode_row(ByteReader& in, Row* row);
void encode_change(ByteWriter& out, const RowChange& change);
bool decode_change(ByteReader& in, RowChange* change);
void encode_ddl(ByteWriter& out, const Ddl& ddl);
bool decode_ddl(ByteReader& in, Ddl* ddl);

}  // namespace detsim::edge

template <>
struct fmt::formatter<detsim::edge::RowChange> : fmt::formatter<std::string_view> {
  auto format(const detsim::edge::RowChange& c, format_context& ctx) const {
    static constexpr const char* kinds[] = {"insert", "update", "delete"};
    return fmt::format_to(ctx.out(), "{}{} t{}/{} v{}->{} @{}", c.backfill ? "chunk " : "",
                          kinds[static_cast<int>(c.kind)], c.table, c.key, c.before_version, c.after.version, c.seq);
  }
};
