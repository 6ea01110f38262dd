// What the resource_fsm observer learns: the store's durable commits (and
// the transactions a restart replays, which may include one whose commit
// never returned), the provider's accepted writes, the workers' lease
// judgements and the API servers' acknowledgements. It fills the Ledger
// the checks read (models/resource_fsm/checks.h) and keeps the metrics.
#pragma once

#include <cstdint>
#include <map>
#include <set>

#include "models/parts/row_store.h"
#include "models/resource_fsm/checks.h"
#include "models/resource_fsm/params.h"
#include "sim/api/metrics.h"
#include "sim/api/model.h"

namespace detsim::rfsm {

class Observer {
 public:
  Observer(const FsmParams& params, Time heal_at, const ProviderState& provider)
      : params_(params), heal_at_(heal_at), provider_(provider) {}
  Observer(const Observer&) = delete;
  Observer& operator=(const Observer&) = delete;

  void on_store_commit(const parts::DecodedTxn& txn);
  void on_store_replay(const parts::DecodedTxn& txn);
  Ledger& ledger() { return ledger_; }

  // Counters for the metrics (never affect the run).
  void on_api_request(bool conflict) { ++api_requests_, api_conflicts_ += conflict ? 1 : 0; }
  void on_client_op(uint64_t retries) { ++client_ops_, client_retries_ += retries; }
  void on_worker_busy(Duration busy) { worker_busy_ = worker_busy_ + busy; }
  void on_fenced() { ++fenced_; }

  CheckResult check() const;
  void report(MetricList& metrics) const;

 private:
  FsmParams params_;
  Time heal_at_;
  const ProviderState& provider_;
  Ledger ledger_;
  std::set<uint64_t> xids_;                // transactions already heard of
  std::map<int64_t, int64_t> job_tokens_;  // job -> the token its row last carried
  uint64_t api_requests_ = 0, api_conflicts_ = 0, client_ops_ = 0, client_retries_ = 0, fenced_ = 0;
  Duration worker_busy_ = Duration::zero();
};

}  // namespace detsim::rfsm
