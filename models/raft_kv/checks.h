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
// And the moment-of-truth checks (docs/raft_kv.md has when each runs): a
// promise is checked when it is made, not only by its consequences at the
// end of the run:
//
// - vote_durable: a granted vote is on stable storage (the durable meta
//   bytes say so) before the reply leaves (Figure 2);
// - one_vote_per_term: a server votes (for itself or a peer) for at most
//   one candidate per term (§5.2), across restarts, unless a disk fault
//   took its vote away (it then recovers with a vote floor);
// - term_adopted: a server that handled a message of a higher term has
//   adopted it (Figure 2, "Rules for Servers"), save a vote request it
//   ignores within the minimum election timeout of a leader (§4.2.3);
// - ack_durable: a follower's successful AppendEntries reply covers only
//   entries durable on its disk (Figure 2);
// - commit_durable_on_majority: at every commit a majority holds the entry
//   durably (§5.4);
// - commit_survives_elections: at every commit, no server lacking the
//   entry could win a majority's votes (§5.4.1): leader completeness,
//   checked when the commit is made instead of when a leader is elected;
// - apply_committed: a server applies only committed entries;
// - ack_after_commit: a client hears "ok" for a write only once it is
//   applied (hence committed) somewhere;
// - read_fresh: a read is answered from a state that includes every entry
//   committed anywhere when the read arrived (thesis §6.4).
//
// The first violation is kept; check() reports it as verdict safety.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "models/raft_kv/messages.h"
#include "sim/api/disk.h"
#include "sim/api/history.h"
#include "sim/api/model.h"

namespace detsim::raft_kv {

struct Counters {
  uint64_t elections = 0;       // campaigns started
  uint64_t elections_late = 0;  // campaigns started in the second half of the settle period
  uint64_t leader_changes = 0;  // terms that got a leader
  uint64_t commit_index_max = 0;
  uint64_t reads_lease = 0;
  uint64_t reads_index = 0;
  uint64_t reads_stale = 0;  // the stale_read bug's local reads
  uint64_t corruptions = 0;  // recoveries that found latent corruption
  uint64_t torn_tails = 0;
  uint64_t meta_lost = 0;
  uint64_t meta_repairs = 0;  // boots that rewrote two unequal meta slots
  uint64_t recoveries_done = 0;
  uint64_t holes_filled = 0;  // log holes filled from a peer (FetchEntries)  // recovering servers that caught up
  uint64_t client_retries = 0;
};

class Observer {
 public:
  // One per run, owned by the model; nodes hold references (model.h).
  Observer(const Observer&) = delete;
  Observer& operator=(const Observer&) = delete;
  explicit Observer(size_t servers)
      : logs_(servers),
        commits_(servers, 0),
        leader_term_(servers, 0),
        contact_(servers),
        fail_stopped_(servers, false),
        disks_(servers, nullptr),
        up_(servers, false),
        floors_(servers),
        votes_(servers) {}

  // The simulated time (Setup::sim_time), to stamp the first violation.
  void set_clock(std::function<Time()> clock) { clock_ = std::move(clock); }
  // The server's disk, for the durability checks: it outlives incarnations.
  void attach_disk(size_t server, const Disk* disk) { disks_[server] = disk; }
  // ends[i]: the byte offset where entry i + 1's record ends in the log.
  void on_boot(size_t server, const std::vector<Entry>& entries, const std::vector<uint64_t>& ends);
  // A recovering server votes only for candidates at least this
  // up-to-date; (0, 0) when it is not recovering (node.h).
  void set_vote_floor(size_t server, uint64_t term, uint64_t index) { floors_[server] = {term, index}; }
  void on_vote_granted(size_t server, uint64_t term, size_t candidate);
  // one_vote_per_term alone (on_vote_granted also checks vote_durable).
  void record_vote(size_t server, uint64_t term, size_t candidate);
  // The term and vote a server booted with. If its disk lost a vote it
  // granted (vote_durable held then, so a disk fault did it), that
  // server's earlier votes are forgotten: it may vote again.
  void on_recovered_vote(size_t server, uint64_t term, int64_t voted_for);
  // After a server handled a message carrying `seen` (0: none, or exempt).
  void on_message_handled(size_t server, uint64_t seen, uint64_t term);
  void on_append_acked(size_t server, uint64_t match_index);
  void on_write_acked(size_t server, uint64_t client, uint64_t seq);
  // The highest index committed anywhere so far.
  uint64_t committed_max() const { return committed_.size(); }
  // reader: the node that asked (a client), named in the violation.
  void on_read_served(size_t server, NodeId reader, uint64_t committed_at_arrival, uint64_t applied_index);
  void on_leader(size_t server, uint64_t term, Time now);
  void on_step_down(size_t server);
  // Check quorum (thesis §6.2): a leader that has heard from no majority
  // for longer than `limit` (true time) must have stepped down.
  void set_quorum_limit(Duration limit) { quorum_limit_ = limit; }
  // The leader handled a reply of its own term from `peer` at `now`.
  void on_leader_contact(size_t leader, size_t peer, Time now);
  // The leader starts a heartbeat round at `now`: it still acts as leader.
  void on_heartbeat(size_t leader, Time now);
  // Campaigns from `from` on count as late (Counters::elections_late): the
  // second half of the settle period, when the cluster should be stable.
  void set_settled_from(Time from) { settled_from_ = from; }
  void on_campaign(Time now) {
    if (settled_from_ && now >= *settled_from_) ++counters_.elections_late;
  }
  // The server's incarnation is gone (crashed, or the run ended).
  void on_down(size_t server);
  void on_fail_stop(size_t server) { fail_stopped_[server] = true; }
  size_t servers_fail_stopped() const {
    return static_cast<size_t>(std::count(fail_stopped_.begin(), fail_stopped_.end(), true));
  }
  // end: where the entry's record ends in the server's log file.
  void on_append(size_t server, uint64_t index, const Entry& entry, uint64_t end);
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
  void record_probe(bool ok) {
    probes_ok_ += ok ? 1 : 0;
    probes_ += 1;
  }
  uint64_t probes() const { return probes_; }
  uint64_t probes_ok() const { return probes_ok_; }

 private:
  struct Position {
    uint64_t term = 0;
    uint64_t chain = 0;
    uint64_t end = 0;  // byte offset where its record ends in the log file
  };
  // The first violation wins; it is stamped with the clock's time.
  void violate(std::string property, std::string detail, std::vector<NodeId> nodes);
  // The client of a session (Command::client): clients are declared
  // after the servers, in order (register.cc).
  NodeId client_node(uint64_t session) const;
  // A node as the outputs name it (register.cc): "n2" for server 2, "c3"
  // for the client that is node servers + 3.
  std::string node_name(NodeId node) const;
  std::string session_name(uint64_t session) const;
  uint64_t chain_at(size_t server, uint64_t index) const;
  bool holds_committed(size_t server, uint64_t index) const;
  bool holds_durably(size_t server, uint64_t index) const;
  std::pair<uint64_t, uint64_t> last_of(size_t server) const;
  bool may_vote(size_t server) const;
  void check_commit_durable(size_t leader, uint64_t index);
  void check_commit_survives(size_t leader, uint64_t index);

  std::vector<std::vector<Position>> logs_;                          // mirrors; entry i is index i + 1
  std::map<std::pair<uint64_t, uint64_t>, uint64_t> by_index_term_;  // (index, term) -> chain
  std::vector<uint64_t> committed_;                                  // chain of each committed index
  std::vector<uint64_t> committed_in_;                               // the first term in which it was seen committed
  std::map<uint64_t, uint64_t> applied_;                             // index -> command digest
  std::vector<uint64_t> commits_;                                    // each server's commit index
  std::vector<uint64_t> leader_term_;                                // 0 when not leading
  std::vector<std::vector<Time>> contact_;  // by leader: when it last heard each peer (term start at most)
  std::optional<Duration> quorum_limit_;
  std::optional<Time> settled_from_;
  std::map<uint64_t, size_t> leaders_;  // term -> its leader
  std::optional<CheckResult> violation_;
  std::function<Time()> clock_;
  std::vector<bool> fail_stopped_;                     // servers that lost both meta slots
  std::vector<const Disk*> disks_;                     // by server
  std::vector<bool> up_;                               // by server: booted and not yet down
  std::vector<std::pair<uint64_t, uint64_t>> floors_;  // vote floors (term, index), by server
  std::vector<std::map<uint64_t, size_t>> votes_;      // per server: term -> the candidate it voted for
  std::vector<uint64_t> applied_seq_;                  // by client: the highest seq applied anywhere
  Counters counters_;
  History history_;
  uint64_t probes_ = 0;
  uint64_t probes_ok_ = 0;
};

}  // namespace detsim::raft_kv
