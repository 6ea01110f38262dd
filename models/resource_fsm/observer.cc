#include "models/resource_fsm/observer.h"

#include "models/resource_fsm/schema.h"

namespace detsim::rfsm {

void Observer::on_store_replay(const parts::DecodedTxn& txn) {
  if (!xids_.contains(txn.xid)) on_store_commit(txn);
}

void Observer::on_store_commit(const parts::DecodedTxn& txn) {
  xids_.insert(txn.xid);
  for (const parts::Change& change : txn.changes) {
    if (change.op == parts::Change::Op::erase) continue;
    const parts::Row& row = change.row;
    if (change.table == kResources) {
      ledger_.on_resource_change(change.key,
                                 ResourceFacts{static_cast<State>(row[res::state]), row[res::version], row[res::change],
                                               row[res::based_on], row[res::spec], txn.commit_time});
    } else if (change.table == kJobs && row[job::token] != 0) {
      // A job row whose token changed is a grant; the same token is a renewal.
      int64_t& last = job_tokens_[change.key];
      if (row[job::token] != last) ledger_.on_grant(change.key, row[job::token], txn.commit_time);
      last = row[job::token];
    }
  }
}

// Safety first, the most specific property first; liveness last.
CheckResult Observer::check() const {
  for (const CheckResult& result :
       {check_no_lost_update(ledger_), check_version_increases(ledger_), check_deleted_terminal(ledger_),
        check_legal_transitions(ledger_), check_one_writer_per_epoch(ledger_), check_lease_judgement(ledger_),
        check_settled_and_matching(ledger_, provider_)}) {
    if (result.verdict != Verdict::pass) return result;
  }
  return CheckResult::ok();
}

void Observer::report(MetricList& metrics) const {
  Histogram intermediate;
  for (Duration d : ledger_.intermediate_times()) intermediate.record(d);
  const auto ratio = [](uint64_t part, uint64_t whole) {
    return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
  };
  metrics.push_back({"requests", static_cast<double>(api_requests_)});
  metrics.push_back({"conflict_rate", ratio(api_conflicts_, api_requests_)});
  metrics.push_back({"retry_rate", ratio(client_retries_, client_ops_)});
  metrics.push_back({"intermediate_p50_s", intermediate.quantile_s(0.5)});
  metrics.push_back({"intermediate_p99_s", intermediate.quantile_s(0.99)});
  const double capacity = heal_at_.to_seconds() * static_cast<double>(params_.workers);
  metrics.push_back({"worker_utilisation", capacity > 0 ? worker_busy_.to_seconds() / capacity : 0});
  metrics.push_back({"lease_takeovers", static_cast<double>(ledger_.takeovers())});
  metrics.push_back({"stale_writes_fenced", static_cast<double>(fenced_)});
}

}  // namespace detsim::rfsm
