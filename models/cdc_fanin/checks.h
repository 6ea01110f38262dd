// The invariants of the CDC fan-in model as pure functions over plain
// state, so that tests can show each one a known-bad state
// (tests/cdc_fanin_checks_test.cc). The observer (observer.h) decides when
// each is checked.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "models/cdc_fanin/schema.h"
#include "models/parts/row_store.h"
#include "sim/api/model.h"

namespace detsim::cdc {

// A source's data rows: (table, id) -> source row.
using SourceRows = std::map<std::pair<parts::TableId, int64_t>, parts::Row>;
// Warehouse rows: packed key -> warehouse row (schema.h, wh_col).
using WarehouseRows = std::map<parts::Key, parts::Row>;

// The dashboards' aggregates, per (table, group): orders are grouped by
// status with sum(amount); line items form one group with sum(qty * price).
struct Aggregate {
  int64_t count = 0;
  int64_t sum = 0;
  bool operator==(const Aggregate&) const = default;
};
using Aggregates = std::map<std::pair<parts::TableId, int64_t>, Aggregate>;

Aggregates aggregates_of_source(const SourceRows& rows);
// Over the live (not tombstoned) rows of one source, every copy counted.
Aggregates aggregates_of_warehouse(const WarehouseRows& rows, int64_t source);
bool is_tombstone(const parts::Row& warehouse_row);

// At the source's loaded watermark W, the warehouse's aggregates for the
// source equal the source's aggregates at W.
CheckResult check_aggregates_at_watermark(int64_t source, parts::Lsn watermark, const Aggregates& at_source,
                                          const Aggregates& in_warehouse);
// Up to `limit` rows that differ between the source and copy 0 of the
// warehouse, for a failure's detail: "table/id src=version wh=version".
std::string row_differences(const SourceRows& at_source, const WarehouseRows& rows, int64_t source, size_t limit);
// At most one live row per (source, table, id), counting the copies a
// loader that inserts instead of merging leaves behind (copy 0, 1, ...).
CheckResult check_no_duplicate_rows(const WarehouseRows& rows, const WarehouseKey& logical);
// One warehouse write of a row (before: nullptr if absent): a live row's
// version never goes back (time travel: an older snapshot or replayed row
// over a newer streamed one), and a tombstone never comes back to life
// (source ids are never reused, so a live row after a delete is a
// resurrected delete).
CheckResult check_row_write(const WarehouseKey& key, const parts::Row* before, const parts::Row& after);
// Liveness, after the heal: the source is fully captured and its loaded
// watermark reached its last commit.
CheckResult check_watermark_reached(int64_t source, parts::Lsn watermark, bool snapshot_done, parts::Lsn last_commit);

}  // namespace detsim::cdc
