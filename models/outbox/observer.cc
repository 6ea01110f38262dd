#include "models/outbox/observer.h"

#include "models/outbox/schema.h"

namespace detsim::outbox {

Observer::Observer(const OutboxParams& params, Time heal_at, const parts::plog::Observer& log)
    : params_(params),
      heal_at_(heal_at),
      log_(log),
      ledger_(static_cast<size_t>(params.consumers)),
      consumer_xids_(static_cast<size_t>(params.consumers)) {}

void Observer::on_service_replay(const parts::DecodedTxn& txn) {
  if (!service_xids_.contains(txn.xid)) on_service_commit(txn);
}

void Observer::on_consumer_replay(size_t consumer, const parts::DecodedTxn& txn) {
  if (!consumer_xids_[consumer].contains(txn.xid)) on_consumer_commit(consumer, txn);
}

void Observer::on_service_commit(const parts::DecodedTxn& txn) {
  service_xids_.insert(txn.xid);
  std::vector<uint64_t> inserted;
  for (const parts::Change& change : txn.changes) {
    const bool erase = change.op == parts::Change::Op::erase;
    if (change.table == kOrders && !erase) {
      const parts::Row& row = change.row;
      ledger_.on_committed(static_cast<uint64_t>(row[orders::change]), static_cast<uint64_t>(change.key),
                           static_cast<uint64_t>(row[orders::version]), txn.commit_time);
    } else if (change.table == kOutbox && erase) {
      outbox_rows_.erase(change.key);
    } else if (change.table == kOutbox) {
      const auto id = static_cast<uint64_t>(change.row[outbox_row::change]);
      outbox_rows_[change.key] = id;
      inserted.push_back(id);
    } else if (change.table == kSequence && change.key == kCursorKey && !erase) {
      cursor_ = change.row[0];
    }
  }
  if (!inserted.empty()) unconfirmed_[txn.commit_lsn] = std::move(inserted);
  note_depth(txn.commit_time);
}

void Observer::on_consumer_commit(size_t consumer, const parts::DecodedTxn& txn) {
  consumer_xids_[consumer].insert(txn.xid);
  for (const parts::Change& change : txn.changes) {
    if (change.table != kApplied || change.op == parts::Change::Op::erase) continue;
    ledger_.on_applied(consumer, static_cast<uint64_t>(change.key), static_cast<uint64_t>(change.row[0]),
                       static_cast<uint64_t>(change.row[1]), txn.commit_time);
  }
}

void Observer::on_published(uint64_t change, Time at) { published_.try_emplace(change, at); }

void Observer::on_slot_confirmed(parts::Lsn lsn, Time at) {
  // Everything committed at or before lsn has been relayed.
  unconfirmed_.erase(unconfirmed_.begin(), unconfirmed_.upper_bound(lsn));
  note_depth(at);
}

std::set<uint64_t> Observer::queued() const {
  std::set<uint64_t> out;
  if (params_.mode == Mode::outbox_polling) {
    for (auto it = outbox_rows_.upper_bound(cursor_); it != outbox_rows_.end(); ++it) out.insert(it->second);
  } else if (params_.mode == Mode::outbox_log_tailing) {
    for (const auto& [lsn, changes] : unconfirmed_) out.insert(changes.begin(), changes.end());
  }
  return out;
}

void Observer::note_depth(Time at) {
  const uint64_t depth = queued().size();
  depth_max_ = std::max(depth_max_, depth);
  if (depth == 0) drained_at_ = at;
}

// The order matters only for which property a run reports first: invented
// events and double effects are the most specific.
CheckResult Observer::check() const {
  // The log's own promises first: a lost acknowledged record explains a
  // missing event better than the outbox's checks can.
  for (const std::optional<CheckResult>& broken :
       {log_.no_acked_record_lost(), log_.consistent_prefix(), log_.replicas_consistent()}) {
    if (broken) return *broken;
  }
  std::set<uint64_t> published;
  for (const auto& [change, at] : published_) published.insert(change);
  for (const CheckResult& result :
       {check_no_invented_events(ledger_), check_exactly_once(ledger_), check_per_aggregate_order(ledger_),
        check_every_commit_delivered(ledger_, queued(), published)}) {
    if (result.verdict != Verdict::pass) return result;
  }
  return CheckResult::ok();
}

void Observer::report(MetricList& metrics) const {
  Histogram publish;
  for (const auto& [change, at] : published_) {
    auto it = ledger_.committed().find(change);
    // publish-first publishes before the commit: its latency is negative, so 0.
    if (it != ledger_.committed().end()) publish.record(std::max(Duration::zero(), at - it->second.committed_at));
  }
  Histogram delivery;
  for (Duration d : ledger_.delivery_delays()) delivery.record(d);
  const double committed = static_cast<double>(ledger_.committed().size());
  const double unique = static_cast<double>(ledger_.delivery_delays().size());
  metrics.push_back({"changes_committed", committed});
  metrics.push_back({"effects_applied", static_cast<double>(ledger_.applications())});
  metrics.push_back({"outbox_depth_max", static_cast<double>(depth_max_)});
  metrics.push_back({"publish_latency_p50_s", publish.quantile_s(0.5)});
  metrics.push_back({"publish_latency_p99_s", publish.quantile_s(0.99)});
  metrics.push_back({"delivery_latency_p50_s", delivery.quantile_s(0.5)});
  metrics.push_back({"delivery_latency_p99_s", delivery.quantile_s(0.99)});
  const double per_consumer = static_cast<double>(deliveries_) / static_cast<double>(params_.consumers);
  metrics.push_back({"duplicate_ratio", unique > 0 ? std::max(0.0, per_consumer - unique) / unique : 0});
  const Duration drain = drained_at_ > heal_at_ ? drained_at_ - heal_at_ : Duration::zero();
  metrics.push_back({"drain_after_heal_s", drain.to_seconds()});
}

}  // namespace detsim::outbox
