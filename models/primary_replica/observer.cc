#include "models/primary_replica/observer.h"

#include <algorithm>

namespace detsim::primary_replica {

void Observer::on_replay(int64_t node, const parts::DecodedTxn& txn) {
  if (!xids_[node].contains(txn.xid)) on_commit(node, txn);
}

void Observer::on_commit(int64_t node, const parts::DecodedTxn& txn) {
  xids_[node].insert(txn.xid);
  for (const parts::Change& change : txn.changes) {
    const bool erase = change.op == parts::Change::Op::erase;
    if (change.table == kBinlog && erase) {
      auto& positions = positions_[node];
      auto it = positions.find(change.key);
      if (it != positions.end()) {
        binlogs_[node].erase(it->second);
        positions.erase(it);
      }
    } else if (change.table == kBinlog) {
      const Gtid gtid{change.row[0], change.row[1]};
      positions_[node][change.key] = gtid;
      binlogs_[node].insert(gtid);
      written_at_.try_emplace({node, gtid}, txn.commit_time);
      auto [first, fresh] = first_commit_.try_emplace(gtid, txn.commit_time);
      if (!fresh) replica_lag_.record(txn.commit_time - first->second);
    } else if (change.table == kMeta && change.key == kTopology && !erase && change.row[1] == node) {
      const int64_t epoch = change.row[0];
      const bool known = std::any_of(promotions_.begin(), promotions_.end(),
                                     [&](const Promotion& p) { return p.node == node && p.epoch == epoch; });
      if (!known) promotions_.push_back({node, epoch, txn.commit_time});
    }
  }
}

void Observer::on_acked(int64_t node, int64_t epoch, Gtid gtid, Time at) {
  acked_.try_emplace(gtid, at);
  accepted_.push_back({node, epoch, at});
}

int64_t Observer::final_primary() const {
  int64_t node = 0;
  int64_t epoch = -1;
  for (const Promotion& p : promotions_) {
    if (p.epoch > epoch) {
      epoch = p.epoch;
      node = p.node;
    }
  }
  return node;
}

std::vector<Gtid> Observer::lost_writes() const {
  std::vector<Gtid> lost;
  auto primary = binlogs_.find(final_primary());
  for (const auto& [gtid, at] : acked_) {
    if (primary == binlogs_.end() || !primary->second.contains(gtid)) lost.push_back(gtid);
  }
  return lost;
}

// The most specific first: split brain explains lost writes.
CheckResult Observer::check() const {
  const int64_t primary_node = final_primary();
  static const GtidList kNone;
  auto found = binlogs_.find(primary_node);
  const GtidList& primary = found == binlogs_.end() ? kNone : found->second;
  std::map<int64_t, GtidList> replicas;
  for (size_t n = 0; n < servers_; ++n) {
    const auto node = static_cast<int64_t>(n);
    if (node == primary_node) continue;
    auto it = binlogs_.find(node);
    replicas[node] = it == binlogs_.end() ? GtidList{} : it->second;
  }
  for (const CheckResult& result :
       {check_single_writable_primary(promotions_, accepted_), check_no_acked_write_lost(acked_, primary, primary_node),
        check_no_phantom_read(reads_, primary),
        check_replicas_converge(primary, replicas, errant_reported_, &written_at_, end_)}) {
    if (result.verdict != Verdict::pass) return result;
  }
  return CheckResult::ok();
}

void Observer::report(MetricList& metrics) const {
  const std::vector<Gtid> lost = lost_writes();
  Time first = Time::max();
  Time last = Time::zero();
  for (const Gtid& gtid : lost) {
    first = std::min(first, acked_.at(gtid));
    last = std::max(last, acked_.at(gtid));
  }
  metrics.push_back({"writes_acked", static_cast<double>(acked_.size())});
  metrics.push_back({"lost_writes", static_cast<double>(lost.size())});
  metrics.push_back({"lost_write_span_s", lost.empty() ? 0.0 : (last - first).to_seconds()});
  metrics.push_back({"failovers", static_cast<double>(failover_.count())});
  metrics.push_back({"failover_p50_s", failover_.quantile_s(0.5)});
  metrics.push_back({"failover_p99_s", failover_.quantile_s(0.99)});
  metrics.push_back({"replica_lag_p50_s", replica_lag_.quantile_s(0.5)});
  metrics.push_back({"replica_lag_p99_s", replica_lag_.quantile_s(0.99)});
  metrics.push_back({"write_latency_p50_s", write_latency_.quantile_s(0.5)});
  metrics.push_back({"write_latency_p99_s", write_latency_.quantile_s(0.99)});
  metrics.push_back({"errant_transactions", static_cast<double>(errant_count_)});
}

}  // namespace detsim::primary_replica
