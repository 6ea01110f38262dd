// The row store's transactions, reads and logical decoding; its
// checkpoint and slot files are in row_store_files.cc, the WAL in wal.cc.
#include "models/parts/row_store.h"

#include <algorithm>

#include "models/parts/wal.h"

namespace detsim::parts {

const char* to_string(CommitStatus status) {
  switch (status) {
    case CommitStatus::committed: return "committed";
    case CommitStatus::conflict: return "conflict";
    case CommitStatus::no_space: return "no_space";
    case CommitStatus::io_error: return "io_error";
  }
  return "?";
}

const char* to_string(DecodeStatus status) {
  switch (status) {
    case DecodeStatus::ok: return "ok";
    case DecodeStatus::unknown_slot: return "unknown_slot";
    case DecodeStatus::wal_removed: return "wal_removed";
  }
  return "?";
}

RowStore::RowStore(Context& ctx, RowStoreOptions options)
    : ctx_(ctx),
      options_(std::move(options)),
      wal_(std::make_unique<Wal>(ctx.disk(), options_.dir, options_.segment_bytes)),
      mutex_(ctx) {}

RowStore::~RowStore() = default;

void RowStore::open() {
  LockGuard lock(mutex_);
  load_checkpoint();
  truncated_at_open_ = wal_->recover(checkpoint_lsn_, [this](DecodedTxn txn) { replay(txn); });
  flushed_lsn_ = wal_->end();
  load_slots();
}

void RowStore::replay(const DecodedTxn& txn) {
  apply(txn.changes);
  next_xid_ = std::max(next_xid_, txn.xid + 1);
  if (options_.on_replay) options_.on_replay(txn);
}

// ------------------------------------------------------------------ reads

const Row* RowStore::get(TableId table, Key key) const {
  auto t = tables_.find(table);
  if (t == tables_.end()) return nullptr;
  auto row = t->second.find(key);
  return row == t->second.end() ? nullptr : &row->second;
}

std::vector<std::pair<Key, Row>> RowStore::scan(TableId table, Key after, size_t limit) const {
  std::vector<std::pair<Key, Row>> out;
  auto t = tables_.find(table);
  if (t == tables_.end()) return out;
  for (auto it = t->second.upper_bound(after); it != t->second.end() && out.size() < limit; ++it) {
    out.emplace_back(it->first, it->second);
  }
  return out;
}

size_t RowStore::row_count(TableId table) const {
  auto t = tables_.find(table);
  return t == tables_.end() ? 0 : t->second.size();
}

// ----------------------------------------------------------- transactions

const Row* RowStore::Txn::get(TableId table, Key key) const {
  auto it = latest_.find({table, key});
  if (it == latest_.end()) return store_->get(table, key);
  return it->second ? &*it->second : nullptr;
}

void RowStore::Txn::put(TableId table, Key key, Row row) {
  latest_[{table, key}] = row;
  writes_.push_back({table, key, std::move(row)});
}

void RowStore::Txn::erase(TableId table, Key key) {
  latest_[{table, key}] = std::nullopt;
  writes_.push_back({table, key, std::nullopt});
}

void RowStore::Txn::expect(TableId table, Key key, std::optional<Row> expected) {
  expects_.push_back({table, key, std::move(expected)});
}

bool RowStore::expectations_hold(const Txn& txn) const {
  for (const Txn::Expect& expect : txn.expects_) {
    const Row* now = get(expect.table, expect.key);
    const bool holds = expect.row ? (now != nullptr && *now == *expect.row) : now == nullptr;
    if (!holds) return false;
  }
  return true;
}

// Each write becomes a change in issue order, classified against the rows
// as the transaction sees them at that point: a put of a present row is an
// update, an erase of an absent one changes nothing (as a DELETE that
// matches no row).
std::vector<Change> RowStore::changes_of(const Txn& txn) const {
  std::vector<Change> changes;
  std::map<std::pair<TableId, Key>, bool> present;
  auto exists = [&](TableId table, Key key) {
    auto it = present.find({table, key});
    return it != present.end() ? it->second : get(table, key) != nullptr;
  };
  for (const Txn::Write& write : txn.writes_) {
    const bool was = exists(write.table, write.key);
    if (write.row) {
      changes.push_back({was ? Change::Op::update : Change::Op::insert, write.table, write.key, *write.row});
    } else if (was) {
      changes.push_back({Change::Op::erase, write.table, write.key, {}});
    }
    present[{write.table, write.key}] = write.row.has_value();
  }
  return changes;
}

void RowStore::apply(const std::vector<Change>& changes) {
  for (const Change& change : changes) {
    if (change.op == Change::Op::erase) {
      tables_[change.table].erase(change.key);
    } else {
      tables_[change.table][change.key] = change.row;
    }
  }
}

CommitResult RowStore::commit(Txn txn) {
  DETSIM_ASSERT(txn.store_ == this);
  if (txn.empty()) return {CommitStatus::committed, flushed_lsn_, 0};
  LockGuard lock(mutex_);
  // Checked under the mutex, which every commit holds until its changes
  // are applied: nothing can commit between this check and our apply.
  if (!expectations_hold(txn)) return {CommitStatus::conflict};
  DecodedTxn record{next_xid_, 0, ctx_.now(), changes_of(txn)};
  if (record.changes.empty()) return {CommitStatus::committed, flushed_lsn_, 0};
  const IoStatus status = wal_->append(&record);
  if (status != IoStatus::ok) {
    return {status == IoStatus::no_space ? CommitStatus::no_space : CommitStatus::io_error};
  }
  ++next_xid_;
  flushed_lsn_ = record.commit_lsn;
  apply(record.changes);
  if (options_.on_commit) options_.on_commit(record);
  maybe_checkpoint();
  return {CommitStatus::committed, record.commit_lsn, record.xid};
}

void RowStore::rollback(Txn txn) { DETSIM_ASSERT(txn.store_ == this); }

// -------------------------------------------------------- logical decoding

std::optional<Lsn> RowStore::slot_confirmed(const std::string& name) const {
  auto it = slots_.find(name);
  if (it == slots_.end()) return std::nullopt;
  return it->second;
}

IoStatus RowStore::create_slot(const std::string& name) {
  LockGuard lock(mutex_);
  if (slots_.contains(name)) return IoStatus::ok;
  slots_[name] = flushed_lsn_;
  const IoStatus status = persist_slots();
  if (status != IoStatus::ok) slots_.erase(name);
  return status;
}

IoStatus RowStore::drop_slot(const std::string& name) {
  LockGuard lock(mutex_);
  auto it = slots_.find(name);
  if (it == slots_.end()) return IoStatus::not_found;
  const Lsn confirmed = it->second;
  slots_.erase(it);
  const IoStatus status = persist_slots();
  if (status != IoStatus::ok) {
    slots_[name] = confirmed;
    return status;
  }
  recycle();
  return IoStatus::ok;
}

std::vector<DecodedTxn> RowStore::decode(const std::string& slot, Lsn from, size_t max_txns) {
  std::vector<DecodedTxn> out;
  decode_checked(slot, from, max_txns, &out);
  return out;
}

DecodeStatus RowStore::decode_checked(const std::string& slot, Lsn from, size_t max_txns,
                                      std::vector<DecodedTxn>* out) {
  out->clear();
  // The mutex keeps recycling from removing a segment while we read it.
  LockGuard lock(mutex_);
  if (!slots_.contains(slot)) return DecodeStatus::unknown_slot;
  if (from < wal_->oldest()) return DecodeStatus::wal_removed;
  wal_->read(from, flushed_lsn_, max_txns, out);
  return DecodeStatus::ok;
}

IoStatus RowStore::confirm(const std::string& slot, Lsn lsn) {
  LockGuard lock(mutex_);
  auto it = slots_.find(slot);
  if (it == slots_.end()) return IoStatus::not_found;
  const Lsn target = std::min(lsn, flushed_lsn_);
  if (target <= it->second) return IoStatus::ok;
  const Lsn before = it->second;
  it->second = target;
  const IoStatus status = persist_slots();
  if (status != IoStatus::ok) {
    slots_[slot] = before;
    return status;
  }
  recycle();
  // A checkpoint that a full disk refused may fit now.
  maybe_checkpoint();
  return IoStatus::ok;
}

// WAL is needed by recovery from the checkpoint on, and by each slot from
// its confirmed position on (Postgres: the slot's restart_lsn).
void RowStore::recycle() {
  Lsn horizon = checkpoint_lsn_;
  for (const auto& [name, confirmed] : slots_) horizon = std::min(horizon, confirmed);
  wal_->recycle_below(horizon);
}

uint64_t RowStore::wal_retained_bytes() const { return wal_->retained_bytes(); }

size_t RowStore::wal_segments() const { return wal_->segments(); }

Lsn RowStore::oldest_retained_lsn() const { return wal_->oldest(); }

}  // namespace detsim::parts
