// What the Raft model observes from outside the nodes, checked as it
// happens: every server reports each state change (boot, became leader,
// append, truncate, commit advance, apply) and the observer keeps a mirror
// of every log, with a chained hash per position, to check Raft's Figure 3
// invariants continuously:
//
// - election_safety: at most one leader per term (§5.2);
// - leader_append_only: a leader never overwrites or deletes entries of its
//   log in its term (§5.3);
// - log_matching: two logs with an entry of the same index and term are
//   identical up to it (same chained hash), and terms never decrease
//   within a log (§5.3);
// - leader_completeness: a leader holds every entry committed before its
//   term (§5.4);
// - state_machine_safety: no two servers apply different commands at one
//   index, and no two servers commit different entries there (§5.4.3).
//
// The first violation is kept; check() reports it as verdict safety.
#pragma once

#include <cstdint>
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "models/raft_kv/messages.h"
#include "sim/api/history.h"
#include "sim/api/model.h"

namespace detsim::raft_kv {

struct Counters {
  uint64_t elections = 0;        // campaigns started
  uint64_t leader_changes = 0;   // terms that got a leader
  uint64_t commit_index_max = 0;
  uint64_t reads_lease = 0;
  uint64_t reads_index = 0;
  uint64_t reads_stale = 0;      // the stale_read bug's local reads
  uint64_t corruptions = 0;      // recoveries that found latent corruption
  uint64_t torn_tails = 0;
  uint64_t meta_lost = 0;
  uint64_t meta_repairs = 0;     // boots that rewrote two unequal meta slots
  uint64_t recoveries_done = 0;
  uint64_t holes_filled = 0;     // log holes filled from a peer (FetchEntries)  // recovering servers that caught up
  uint64_t client_retries = 0;
};

class Observer {
 public:
  explicit Observer(size_t servers) : logs_(servers), commits_(servers, 0), leader_term_(servers, 0) {}

  void on_boot(size_t server, const std::vector<Entry>& entries);
  void on_leader(size_t server, uint64_t term);
  void on_step_down(size_t server);
  void on_fail_stop(size_t server) { fail_stopped_.resize(logs_.size()); fail_stopped_[server] = true; }
  size_t servers_fail_stopped() const { return static_cast<size_t>(std::count(fail_stopped_.begin(), fail_stopped_.end(), true)); }
  void on_append(size_t server, uint64_t index, const Entry& entry);
  void on_truncate(size_t server, uint64_t from_index);
  // term: the committing server's current term.
  void on_commit(size_t server, uint64_t commit_index, uint64_t term);
  void on_apply(size_t server, uint64_t index, const Command& command);

  const std::optional<CheckResult>& violation() const { return violation_; }
  // The leader in the highest term so far, and whether it has committed
  // an entry after `since`.
  std::optional<size_t> leader_now() const;
  Counters& counters() { return counters_; }
  const Counters& counters() const { return counters_; }
  History& history() { return history_; }
  const History& history() const { return history_; }
  void record_probe(bool ok) { probes_ok_ += ok ? 1 : 0; probes_ += 1; }
  uint64_t probes() const { return probes_; }
  uint64_t probes_ok() const { return probes_ok_; }

 private:
  struct Position {
    uint64_t term = 0;
    uint64_t chain = 0;
  };
  void violate(std::string property, std::string detail);
  uint64_t chain_at(size_t server, uint64_t index) const;

  std::vector<std::vector<Position>> logs_;             // mirrors; entry i is index i + 1
  std::map<std::pair<uint64_t, uint64_t>, uint64_t> by_index_term_;  // (index, term) -> chain
  std::vector<uint64_t> committed_;                     // chain of each committed index
  std::vector<uint64_t> committed_in_;                  // the first term in which it was seen committed
  std::map<uint64_t, uint64_t> applied_;                // index -> command digest
  std::vector<uint64_t> commits_;                       // each server's commit index
  std::vector<uint64_t> leader_term_;                   // 0 when not leading
  std::map<uint64_t, size_t> leaders_;                  // term -> its leader
  std::optional<CheckResult> violation_;
  std::vector<bool> fail_stopped_;                     // servers that lost both meta slots
  Counters counters_;
  History history_;
  uint64_t probes_ = 0;
  uint64_t probes_ok_ = 0;
};

}  // namespace detsim::raft_kv
