// What the outbox model's observer sees: the service's and the consumers'
// durable commits (their row stores' on_commit hooks), the broker's
// acknowledgements of the relay's or the service's publishes, and the
// relay's slot confirmations. It keeps the Ledger the checks read
// (models/outbox/checks.h) and the metrics.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <vector>

#include "models/outbox/checks.h"
#include "models/outbox/params.h"
#include "models/parts/plog/observer.h"
#include "models/parts/row_store.h"
#include "sim/api/metrics.h"
#include "sim/api/model.h"

namespace detsim::outbox {

class Observer {
 public:
  Observer(const OutboxParams& params, Time heal_at, const parts::plog::Observer& log);
  Observer(const Observer&) = delete;
  Observer& operator=(const Observer&) = delete;

  // The stores' hooks: a commit that returned, and each transaction a
  // restart replays (which tells of one that reached the disk although its
  // commit never returned: the node crashed in its fsync).
  void on_service_commit(const parts::DecodedTxn& txn);
  void on_service_replay(const parts::DecodedTxn& txn);
  void on_consumer_commit(size_t consumer, const parts::DecodedTxn& txn);
  void on_consumer_replay(size_t consumer, const parts::DecodedTxn& txn);
  // The broker acknowledged the event of change (the first time counts).
  void on_published(uint64_t change, Time at);
  // A consumer fetched a record (duplicates included).
  void on_delivered() { ++deliveries_; }
  // The log-tailing relay confirmed its slot up to lsn.
  void on_slot_confirmed(parts::Lsn lsn, Time at);

  void set_nodes(LedgerNodes nodes) { ledger_.set_nodes(std::move(nodes)); }
  CheckResult check() const;
  void report(MetricList& metrics) const;

 private:
  // Committed changes a relay will still get to: outbox rows for polling
  // (but not those below the planted gap bug's cursor: that relay never
  // looks there again); outbox inserts past the slot's confirmed position
  // for log tailing. The dual-write modes have no queue.
  std::set<uint64_t> queued() const;
  void note_depth(Time at);

  OutboxParams params_;
  Time heal_at_;
  const parts::plog::Observer& log_;
  Ledger ledger_;
  std::set<uint64_t> service_xids_;                          // transactions already heard of
  std::vector<std::set<uint64_t>> consumer_xids_;            // by consumer
  std::map<int64_t, uint64_t> outbox_rows_;                  // polling: outbox id -> change, rows in the table
  int64_t cursor_ = std::numeric_limits<int64_t>::min();     // the gap bug's relay cursor
  std::map<parts::Lsn, std::vector<uint64_t>> unconfirmed_;  // log tailing: commit lsn -> changes
  std::map<uint64_t, Time> published_;                       // change -> first broker acknowledgement
  uint64_t deliveries_ = 0;
  uint64_t depth_max_ = 0;
  Time drained_at_;  // the last time the queue became empty (after the heal, the drain time)
};

}  // namespace detsim::outbox
