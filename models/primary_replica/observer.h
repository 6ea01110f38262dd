// What the primary_replica observer sees: each server's durable binlog and
// topology commits (its row store's on_commit and on_replay hooks), the
// acknowledgements primaries send, the reads clients complete, errant
// transactions the servers report, and the manager's failovers. It keeps
// what the checks (checks.h) read, and the metrics.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "models/parts/row_store.h"
#include "models/primary_replica/checks.h"
#include "models/primary_replica/params.h"
#include "sim/api/metrics.h"
#include "sim/api/model.h"

namespace detsim::primary_replica {

// The row store tables every server keeps.
constexpr parts::TableId kBinlog = 1;  // binlog position -> origin, seq, key, value, epoch
constexpr parts::TableId kRelay = 2;   // relay position -> origin, seq, key, value, epoch
constexpr parts::TableId kMeta = 3;    // kTopology -> epoch, primary; kMasterInfo + origin -> seq
constexpr parts::Key kTopology = 0;
constexpr parts::Key kMasterInfo = 1000;

// The out-of-band power controller the manager's STONITH calls (an IPMI or
// PDU port): a server whose power is off takes no part in anything until
// it is powered on, which reboots it.
class PowerSwitch {
 public:
  explicit PowerSwitch(size_t servers) : off_(servers, false), boots_(servers, 0) {}
  void cut(size_t server) { off_[server] = true; }
  void restore(size_t server) {
    if (!off_[server]) return;
    off_[server] = false;
    ++boots_[server];
  }
  bool off(size_t server) const { return off_[server]; }
  uint64_t boots(size_t server) const { return boots_[server]; }

 private:
  std::vector<bool> off_;
  std::vector<uint64_t> boots_;
};

class Observer {
 public:
  Observer(const PrParams& params, size_t servers) : params_(params), servers_(servers) {}
  Observer(const Observer&) = delete;
  Observer& operator=(const Observer&) = delete;

  void on_commit(int64_t node, const parts::DecodedTxn& txn);
  void on_replay(int64_t node, const parts::DecodedTxn& txn);
  void on_acked(int64_t node, int64_t epoch, Gtid gtid, Time at);
  void on_read(Gtid gtid, Time at, NodeId client) { reads_.push_back({gtid, at, client}); }
  void set_end_time(Time end) { end_ = end; }
  void on_write_latency(Duration d) { write_latency_.record(d); }
  void on_errant_reported(int64_t node, size_t count) {
    errant_reported_.insert(node);
    errant_count_ += count;
  }
  void on_failover(Time started, Time done) { failover_.record(done - started); }

  CheckResult check() const;
  void report(MetricList& metrics) const;

  int64_t final_primary() const;
  const std::map<int64_t, GtidList>& binlogs() const { return binlogs_; }

 private:
  std::vector<Gtid> lost_writes() const;

  PrParams params_;
  size_t servers_;
  std::map<int64_t, std::set<uint64_t>> xids_;            // per node: transactions heard of
  std::map<int64_t, GtidList> binlogs_;                   // per node: its binlog's transactions
  std::map<int64_t, std::map<int64_t, Gtid>> positions_;  // per node: binlog position -> gtid
  std::map<Gtid, Time> first_commit_;                     // when a transaction first reached a binlog
  Histogram replica_lag_;
  Histogram write_latency_;
  Histogram failover_;
  std::vector<Promotion> promotions_;
  std::vector<Accepted> accepted_;
  std::map<Gtid, Time> acked_;
  WrittenAt written_at_;  // when each server's binlog got each transaction
  Time end_;
  std::vector<ReadOf> reads_;
  std::set<int64_t> errant_reported_;
  size_t errant_count_ = 0;
};

}  // namespace detsim::primary_replica
