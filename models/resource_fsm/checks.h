// The resource state machine's promises, kept by a ledger that the
// observer fills from durable facts (the store's commits and replays, the
// provider's accepted writes, the workers' lease judgements), and checked
// as pure functions so a unit test can show each one rejecting a known-bad
// state. Each safety violation is recorded when it happens (the first one
// per property), so a run reports the moment things went wrong.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "models/resource_fsm/schema.h"
#include "sim/api/model.h"

namespace detsim::rfsm {

// One committed version of a resource row.
struct ResourceFacts {
  State state = State::absent;
  int64_t version = 0;
  int64_t change = 0;
  int64_t based_on = 0;
  int64_t spec = 0;
  Time at;
};

// What the provider holds of one resource.
struct ProviderEntry {
  bool exists = false;
  int64_t spec = 0;
  int64_t max_token = 0;  // the highest fencing token it accepted
};
using ProviderState = std::map<int64_t, ProviderEntry>;

// A broken promise as found: what, when and on which nodes
// (CheckResult::at/on).
struct Finding {
  std::string detail;
  Time at;
  std::vector<NodeId> nodes;
};

// The nodes findings name: the store that commits every row, the
// provider, and each worker's name by its NodeId index (details name
// workers as every output does, "w1"); end_at is the deadline of the
// liveness checks.
struct LedgerNodes {
  NodeId store;
  NodeId provider;
  Time end_at;
  std::map<int64_t, std::string> worker_names;
};

class Ledger {
 public:
  void set_nodes(LedgerNodes nodes) { nodes_ = std::move(nodes); }
  const LedgerNodes& nodes() const { return nodes_; }
  // A committed resource row (an API request or a completion).
  void on_resource_change(int64_t resource, const ResourceFacts& facts);
  // The store granted job's lease with this token (at its commit).
  void on_grant(int64_t job, int64_t token, Time at);
  // A worker (on node `worker`) judged its lease on job (token) valid at `at`.
  void on_lease_judged(int64_t job, int64_t token, Time at, NodeId worker = NodeId());
  // The provider accepted a write to resource with this token from the
  // worker on node `worker` (its NodeId index).
  void on_provider_write(int64_t resource, int64_t token, int64_t worker, Time at);
  // An API server told its client that change was done.
  void on_acknowledged(int64_t change) { acknowledged_.insert(change); }

  const std::map<int64_t, ResourceFacts>& latest() const { return latest_; }
  const std::set<int64_t>& committed_changes() const { return committed_; }
  const std::set<int64_t>& acknowledged() const { return acknowledged_; }
  const std::optional<Finding>& illegal_transition() const { return illegal_transition_; }
  const std::optional<Finding>& after_deleted() const { return after_deleted_; }
  const std::optional<Finding>& version_regression() const { return version_regression_; }
  const std::optional<Finding>& lost_update() const { return lost_update_; }
  const std::optional<Finding>& unfenced_write() const { return unfenced_write_; }
  const std::optional<Finding>& stale_lease() const { return stale_lease_; }
  // Time each resource spent in an intermediate state, per visit.
  const std::vector<Duration>& intermediate_times() const { return intermediate_times_; }
  uint64_t takeovers() const { return takeovers_; }

 private:
  std::map<int64_t, ResourceFacts> latest_;  // resource -> its last committed row
  std::set<int64_t> committed_;
  std::set<int64_t> acknowledged_;
  std::map<int64_t, std::map<int64_t, Time>> grants_;  // job -> token -> granted at
  // resource -> token -> the worker whose write the provider accepted with it
  std::map<int64_t, std::map<int64_t, int64_t>> provider_writes_;
  std::optional<Finding> illegal_transition_, after_deleted_, version_regression_, lost_update_, unfenced_write_,
      stale_lease_;
  LedgerNodes nodes_;
  std::string worker_name(int64_t worker) const;
  std::vector<Duration> intermediate_times_;
  uint64_t takeovers_ = 0;
};

// Safety, at each commit: the state machine's transitions only.
CheckResult check_legal_transitions(const Ledger& ledger);
// Safety, at each commit: nothing changes a deleted resource.
CheckResult check_deleted_terminal(const Ledger& ledger);
// Safety, at each commit: a resource's version strictly increases.
CheckResult check_version_increases(const Ledger& ledger);
// Safety, at each commit: every change is based on the one before it (so
// none is overwritten unseen), and every acknowledged change committed.
CheckResult check_no_lost_update(const Ledger& ledger);
// Safety, at each provider write: the provider never accepts a write with a
// token below one it accepted before, nor one token from two workers.
CheckResult check_one_writer_per_epoch(const Ledger& ledger);
// Safety, at each judgement: a worker never trusts a lease the store has
// since granted to someone else.
CheckResult check_lease_judgement(const Ledger& ledger);
// Liveness, at the end (after the heal and the settle): no resource is left
// in an intermediate state, and the provider matches each settled one
// (ready: exists with its spec; deleted: gone; failed: unchecked).
CheckResult check_settled_and_matching(const Ledger& ledger, const ProviderState& provider);

}  // namespace detsim::rfsm
