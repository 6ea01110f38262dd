#include "models/edge_replication/rows.h"

#include <algorithm>

#include "sim/api/basics.h"

namespace detsim::edge {
namespace {

// Every table starts with three columns, ids 0..2.
constexpr uint32_t kInitialColumns = 3;
// A sanity bound for decoding: no row has this many columns.
constexpr uint32_t kColumnsMax = 4096;

uint64_t mix(uint64_t h, uint64_t word) {
  uint64_t state = h ^ (word * 0x9e3779b97f4a7c15ULL);
  return splitmix64(state);
}

}  // namespace

bool Schema::has(uint32_t id) const { return std::binary_search(columns.begin(), columns.end(), id); }

const Table::Slot* Table::find(int64_t key) const {
  auto it = slots_.find(key);
  return it == slots_.end() ? nullptr : &it->second;
}

// Existing rows get the new column's default (MySQL's instant ADD COLUMN
// with a DEFAULT), or lose the dropped one. Versions do not change: a
// schema change is not a row change.
void Table::apply_ddl(const Ddl& ddl) {
  // Invariant: schema changes of a table apply in order, once each.
  DETSIM_ASSERT(ddl.schema_version == schema_.version + 1);
  schema_.version = ddl.schema_version;
  if (ddl.add) {
    schema_.columns.insert(std::lower_bound(schema_.columns.begin(), schema_.columns.end(), ddl.column), ddl.column);
    schema_.next_column = std::max(schema_.next_column, ddl.column + 1);
  } else {
    std::erase(schema_.columns, ddl.column);
  }
  for (auto& [key, slot] : slots_) {
    if (slot.live) slot.row = normalize(slot.row, schema_);
  }
}

Table::Digest Table::digest(int64_t lo, int64_t hi) const {
  Digest out;
  for (auto it = slots_.lower_bound(lo); it != slots_.end() && it->first <= hi; ++it) {
    if (!it->second.live) continue;
    ++out.rows;
    out.sum += row_hash(0, it->first, it->second.row);
  }
  return out;
}

Row normalize(const Row& row, const Schema& schema) {
  Row out;
  out.version = row.version;
  out.columns.reserve(schema.columns.size());
  auto have = row.columns.begin();
  for (uint32_t id : schema.columns) {
    while (have != row.columns.end() && have->id < id) ++have;
    const bool present = have != row.columns.end() && have->id == id;
    out.columns.push_back({id, present ? have->value : kColumnDefault});
  }
  return out;
}

uint64_t row_hash(uint32_t table, int64_t key, const Row& row) {
  uint64_t h = mix(0x5eed ^ table, static_cast<uint64_t>(key));
  h = mix(h, row.version);
  for (const Column& c : row.columns) h = mix(mix(h, c.id), static_cast<uint64_t>(c.value));
  return h;
}

Schema initial_schema() {
  Schema schema;
  for (uint32_t id = 0; id < kInitialColumns; ++id) schema.columns.push_back(id);
  schema.next_column = kInitialColumns;
  return schema;
}

Row initial_row(const Schema& schema, int64_t key) {
  Row row;
  row.version = 1;
  for (uint32_t id : schema.columns) row.columns.push_back({id, key * 10 + id});
  return row;
}

void encode_row(ByteWriter& out, const Row& row) {
  out.u64(row.version);
  out.u32(static_cast<uint32_t>(row.columns.size()));
  for (const Column& c : row.columns) {
    out.u32(c.id);
    out.i64(c.value);
  }
}

bool decode_row(ByteReader& in, Row* row) {
  row->version = in.u64();
  const uint32_t n = in.u32();
  if (!in.ok() || n > kColumnsMax) return false;
  row->columns.resize(n);
  for (Column& c : row->columns) {
    c.id = in.u32();
    c.value = in.i64();
  }
  return in.ok();
}

void encode_change(ByteWriter& out, const RowChange& change) {
  out.u32(change.table);
  out.i64(change.key);
  out.u8(static_cast<uint8_t>(change.kind));
  out.u64(change.seq);
  out.u64(change.before_version);
  encode_row(out, change.after);
}

bool decode_change(ByteReader& in, RowChange* change) {
  change->table = in.u32();
  change->key = in.i64();
  const uint8_t kind = in.u8();
  if (kind > static_cast<uint8_t>(ChangeKind::remove)) return false;
  change->kind = static_cast<ChangeKind>(kind);
  change->seq = in.u64();
  change->before_version = in.u64();
  return decode_row(in, &change->after);
}

void encode_ddl(ByteWriter& out, const Ddl& ddl) {
  out.u32(ddl.table);
  out.u8(ddl.add ? 1 : 0);
  out.u32(ddl.column);
  out.u64(ddl.schema_version);
}

bool decode_ddl(ByteReader& in, Ddl* ddl) {
  ddl->table = in.u32();
  ddl->add = in.u8() != 0;
  ddl->column = in.u32();
  ddl->schema_version = in.u64();
  return in.ok();
}

}  // namespace detsim::edge
