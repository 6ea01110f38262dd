#include "models/cdc_fanin/checks.h"

#include <fmt/format.h>

#include <string>

namespace detsim::cdc {
namespace {

// The aggregate group of one row (source columns, version last).
std::pair<std::pair<parts::TableId, int64_t>, int64_t> group_and_value(parts::TableId table, const parts::Row& row) {
  if (table == kOrders) return {{kOrders, row[order_col::status]}, row[order_col::amount]};
  return {{kLineItems, 0}, row[item_col::qty] * row[item_col::price]};
}

void add(Aggregates& aggregates, parts::TableId table, const parts::Row& row) {
  const auto [group, value] = group_and_value(table, row);
  Aggregate& a = aggregates[group];
  ++a.count;
  a.sum += value;
}

std::string describe(const Aggregates& aggregates) {
  std::string out;
  for (const auto& [group, a] : aggregates) {
    out += fmt::format("{}{}/{}:{}/{}", out.empty() ? "" : " ", group.first, group.second, a.count, a.sum);
  }
  return out.empty() ? "none" : out;
}

}  // namespace

bool is_tombstone(const parts::Row& warehouse_row) { return warehouse_row[wh_col::tombstone] != 0; }

Aggregates aggregates_of_source(const SourceRows& rows) {
  Aggregates aggregates;
  for (const auto& [key, row] : rows) add(aggregates, key.first, row);
  return aggregates;
}

Aggregates aggregates_of_warehouse(const WarehouseRows& rows, int64_t source) {
  Aggregates aggregates;
  for (auto it = rows.lower_bound(source_begin(source)); it != rows.end() && it->first < source_begin(source + 1);
       ++it) {
    if (is_tombstone(it->second)) continue;
    const parts::Row source_row(it->second.begin() + static_cast<std::ptrdiff_t>(wh_col::row), it->second.end());
    add(aggregates, unpack(it->first).table, source_row);
  }
  return aggregates;
}

CheckResult check_aggregates_at_watermark(int64_t source, parts::Lsn watermark, const Aggregates& at_source,
                                          const Aggregates& in_warehouse) {
  if (at_source == in_warehouse) return CheckResult::ok();
  return CheckResult::safety("aggregates_match_at_watermark",
                             fmt::format("s{} at W={}: source (table/group:count/sum) {} but warehouse {}", source,
                                         watermark, describe(at_source), describe(in_warehouse)));
}

std::string row_differences(const SourceRows& at_source, const WarehouseRows& rows, int64_t source, size_t limit) {
  std::string out;
  size_t found = 0;
  auto note = [&](parts::TableId table, int64_t id, int64_t src, int64_t wh) {
    if (found++ < limit) out += fmt::format(" {}/{} src={} wh={}", table, id, src, wh);
  };
  for (const auto& [key, row] : at_source) {
    auto it = rows.find(pack({source, key.first, 0, key.second}));
    if (it == rows.end() || is_tombstone(it->second)) {
      note(key.first, key.second, version_of(row), it == rows.end() ? -1 : -2);
    } else if (version_of(it->second) != version_of(row)) {
      note(key.first, key.second, version_of(row), version_of(it->second));
    }
  }
  for (auto it = rows.lower_bound(source_begin(source)); it != rows.end() && it->first < source_begin(source + 1);
       ++it) {
    const WarehouseKey k = unpack(it->first);
    if (k.copy == 0 && !is_tombstone(it->second) && !at_source.contains({k.table, k.id})) {
      note(k.table, k.id, -1, version_of(it->second));
    }
  }
  return out;
}

CheckResult check_no_duplicate_rows(const WarehouseRows& rows, const WarehouseKey& logical) {
  int64_t live = 0;
  WarehouseKey k = logical;
  for (k.copy = 0; k.copy < (int64_t{1} << kCopyBits); ++k.copy) {
    auto it = rows.find(pack(k));
    if (it == rows.end()) break;  // copies are allocated densely from 0
    if (!is_tombstone(it->second)) ++live;
  }
  if (live <= 1) return CheckResult::ok();
  return CheckResult::safety("no_duplicate_rows", fmt::format("s{} table {} id {} has {} live rows in the warehouse",
                                                              logical.source, logical.table, logical.id, live));
}

CheckResult check_row_write(const WarehouseKey& key, const parts::Row* before, const parts::Row& after) {
  if (before == nullptr || is_tombstone(after)) return CheckResult::ok();
  if (is_tombstone(*before)) {
    return CheckResult::safety("no_resurrected_deletes",
                               fmt::format("s{} table {} id {} copy {} live again (version {}) after its delete",
                                           key.source, key.table, key.id, key.copy, version_of(after)));
  }
  if (version_of(after) < version_of(*before)) {
    return CheckResult::safety(
        "no_time_travel", fmt::format("s{} table {} id {} copy {}: version {} over version {}", key.source, key.table,
                                      key.id, key.copy, version_of(after), version_of(*before)));
  }
  return CheckResult::ok();
}

CheckResult check_watermark_reached(int64_t source, parts::Lsn watermark, bool snapshot_done, parts::Lsn last_commit) {
  if (snapshot_done && watermark >= last_commit) return CheckResult::ok();
  return CheckResult::liveness("watermark_reaches_last_commit",
                               fmt::format("s{}: loaded watermark {} (snapshot {}) but last commit {}", source,
                                           watermark, snapshot_done ? "done" : "not done", last_commit));
}

}  // namespace detsim::cdc
