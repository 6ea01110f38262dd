// The outbox model's four promises, kept by a ledger the nodes report to
// through the model's observer hooks, and checked as pure functions so a
// unit test can show each rejecting a known-bad state.
//
// A "change" is one business change to an order (one committed or attempted
// transaction on one aggregate), named by a run-unique change id; the event
// it should yield carries that id as its message id, which is what the
// consumers de-duplicate by.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sim/api/model.h"

namespace detsim::outbox {

struct ChangeFacts {
  uint64_t aggregate = 0;
  uint64_t version = 0;
  Time committed_at;
};

// What one consumer service did: the effects it applied (durably) in order.
struct ConsumerFacts {
  std::map<uint64_t, uint64_t> applications;  // change -> times applied
  std::map<uint64_t, uint64_t> last_version;  // aggregate -> version last applied
  std::map<uint64_t, Time> first_applied_at;  // change -> its first application
  std::optional<std::string> first_disorder;  // the first out-of-order application, described
  std::optional<std::string> first_repeat;    // the first change applied twice, described
  Time first_disorder_at;
  Time first_repeat_at;
};

// The nodes a violation names (CheckResult::on): the service that
// commits and relays, and each consumer; and the run's end, the deadline
// of the liveness checks.
struct LedgerNodes {
  NodeId service;
  std::vector<NodeId> consumers;
  Time end_at;
  std::vector<NodeId> of(size_t consumer) const;
};

class Ledger {
 public:
  explicit Ledger(size_t consumers) : consumers_(consumers) {}
  // The service's transaction holding this change became durable.
  void on_committed(uint64_t change, uint64_t aggregate, uint64_t version, Time at);
  // A consumer applied the change's effect (its transaction committed).
  void on_applied(size_t consumer, uint64_t change, uint64_t aggregate, uint64_t version, Time at);

  const std::map<uint64_t, ChangeFacts>& committed() const { return committed_; }
  const std::vector<ConsumerFacts>& consumers() const { return consumers_; }
  // Commit-to-applied delays at consumer 0, for the latency metrics.
  const std::vector<Duration>& delivery_delays() const { return delivery_delays_; }
  uint64_t applications() const { return applications_; }
  void set_nodes(LedgerNodes nodes) { nodes_ = std::move(nodes); }
  const LedgerNodes& nodes() const { return nodes_; }

 private:
  std::map<uint64_t, ChangeFacts> committed_;
  std::vector<ConsumerFacts> consumers_;
  std::vector<Duration> delivery_delays_;
  uint64_t applications_ = 0;
  LedgerNodes nodes_;
};

// Safety, at the end: no consumer applied an event for a change that never
// committed (publish-first's rolled-back or crashed transaction).
CheckResult check_no_invented_events(const Ledger& ledger);
// Safety, as effects are applied: each consumer applies each change once.
CheckResult check_exactly_once(const Ledger& ledger);
// Safety, as effects are applied: a consumer applies an aggregate's changes
// in increasing version order.
CheckResult check_per_aggregate_order(const Ledger& ledger);
// At the end, after the heal and the settle: every committed change reached
// every consumer. A missing one is told apart by where it is. In queued
// (its outbox row or WAL entry still waits for a relay that will get to
// it): liveness, the relay did not drain in time. In published (the log
// acknowledged it): liveness, a consumer is behind (whether the log lost
// it is the log's own oracle's to say). Neither: safety, the event is gone
// for good. Lost changes are reported before slow ones.
CheckResult check_every_commit_delivered(const Ledger& ledger, const std::set<uint64_t>& queued,
                                         const std::set<uint64_t>& published);

}  // namespace detsim::outbox
