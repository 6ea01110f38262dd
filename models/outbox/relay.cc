#include "models/outbox/relay.h"

#include <algorithm>
#include <limits>

#include "models/outbox/schema.h"

namespace detsim::outbox {
namespace {

bool all_of(const std::vector<bool>& acked) { return std::find(acked.begin(), acked.end(), false) == acked.end(); }

OrderEvent event_of(const parts::Row& row) {
  return OrderEvent{static_cast<uint64_t>(row[outbox_row::change]), row[outbox_row::order], row[outbox_row::version],
                    row[outbox_row::status], row[outbox_row::amount]};
}

}  // namespace

Relay::Relay(Context& ctx, const OutboxParams& params, const parts::plog::Cluster& log, Observer& observer,
             parts::RowStore& store)
    : ctx_(ctx), params_(params), observer_(observer), store_(store), publisher_(ctx, log, params, observer) {}

void Relay::run() {
  if (params_.mode == Mode::outbox_log_tailing) store_.create_slot(kSlot);
  while (true) {
    const bool relayed = params_.mode == Mode::outbox_log_tailing ? tail_round() : poll_round();
    if (!relayed) ctx_.sleep_for(params_.poll_interval);
  }
}

bool Relay::poll_round() {
  parts::Key after = std::numeric_limits<parts::Key>::min();
  if (params_.poll_by_sequence_gap) {
    // WHERE id > last_relayed: wrong when ids commit out of order.
    const parts::Row* cursor = store_.get(kSequence, kCursorKey);
    if (cursor) after = (*cursor)[0];
  }
  const auto rows = store_.scan(kOutbox, after, static_cast<size_t>(params_.relay_batch));
  if (rows.empty()) return false;
  std::vector<OrderEvent> events;
  std::vector<int64_t> ids;
  for (const auto& [id, row] : rows) {
    events.push_back(event_of(row));
    ids.push_back(id);
  }
  if (params_.mark_before_publish) {
    if (!forget(ids)) return false;
    publisher_.publish(events);
    return true;
  }
  // Forget what the log acknowledged; the rest goes again next round. Per
  // partition the acknowledged events are a prefix of those sent (the
  // idempotent producer's promise), so a retry never overtakes.
  const std::vector<bool> acked = publisher_.publish(events);
  std::vector<int64_t> done;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (acked[i]) done.push_back(ids[i]);
  }
  return forget(done) && done.size() == ids.size();
}

bool Relay::tail_round() {
  const std::optional<parts::Lsn> from = store_.slot_confirmed(kSlot);
  if (!from) return false;
  const std::vector<parts::DecodedTxn> txns = store_.decode(kSlot, *from, static_cast<size_t>(params_.relay_batch));
  if (txns.empty()) return false;
  std::vector<OrderEvent> events;
  std::vector<int64_t> ids;
  for (const parts::DecodedTxn& txn : txns) {
    for (const parts::Change& change : txn.changes) {
      if (change.table != kOutbox || change.op == parts::Change::Op::erase) continue;
      events.push_back(event_of(change.row));
      ids.push_back(change.key);
    }
  }
  const parts::Lsn upto = txns.back().commit_lsn;
  if (params_.mark_before_publish) {
    if (store_.confirm(kSlot, upto) != IoStatus::ok) return false;
    observer_.on_slot_confirmed(upto, ctx_.now());
    publisher_.publish(events);
  } else {
    if (!events.empty() && !all_of(publisher_.publish(events))) return false;
    if (store_.confirm(kSlot, upto) != IoStatus::ok) return false;
    observer_.on_slot_confirmed(upto, ctx_.now());
  }
  forget(ids);
  return true;
}

bool Relay::forget(const std::vector<int64_t>& ids) {
  if (ids.empty()) return true;
  parts::RowStore::Txn txn = store_.begin();
  for (int64_t id : ids) txn.erase(kOutbox, id);
  if (params_.poll_by_sequence_gap) txn.put(kSequence, kCursorKey, {*std::max_element(ids.begin(), ids.end())});
  return store_.commit(std::move(txn)).status == parts::CommitStatus::committed;
}

}  // namespace detsim::outbox
