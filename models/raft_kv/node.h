// A Raft server (Ongaro & Ousterhout 2014, "In Search of an Understandable
// Consensus Algorithm"; Figure 2 is the reference for every handler) with
// a key-value state machine and client sessions (Ongaro's thesis §6.3) and
// linearizable reads by read-index or leader lease (thesis §6.4, §6.4.1).
//
// One fiber runs the whole protocol: it receives a datagram, handles it
// (blocking on the disk where Raft says state must be durable), drains
// whatever else has arrived, then flushes: the leader writes the client
// commands gathered meanwhile as one batch (group commit, one fsync), and
// sends AppendEntries. Timers are deadlines on the node's monotonic clock.
//
// Recovery from latent corruption (a simplified version of protocol-aware
// recovery, Alagappan et al., FAST 2018): a server whose log shows a bad
// record before its end keeps the intact records after it (salvage.cc) and
// is "recovering" (persisted in its meta file): it votes only as its
// undamaged log would have (the vote floor: its last intact entry) and does
// not campaign until its holes are filled from peers or a leader, or a
// leader has shown it a commit index at or past everything its log held and
// its log matches that leader's up to there. Limits: see storage.h
// (corruption in the last write looks torn) and docs/raft_kv.md.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "models/raft_kv/checks.h"
#include "models/raft_kv/messages.h"
#include "models/raft_kv/params.h"
#include "models/raft_kv/state_machine.h"
#include "models/raft_kv/storage.h"
#include "sim/api/context.h"

namespace detsim::raft_kv {

enum class Role { follower, candidate, leader };

class Server {
 public:
  Server(Context& ctx, const RaftParams& params, Observer& observer);
  ~Server();
  static void main(Context& ctx, const RaftParams& params, Observer& observer);

 private:
  struct Peer {
    uint64_t next_index = 1;
    uint64_t match_index = 0;
    uint64_t round_acked = 0;
    // Searching back for the point where the logs agree (after a failed
    // consistency check): one AppendEntries at a time, no pipelining.
    bool probing = false;
  };
  struct Waiter {  // a client waiting for its write to apply
    uint64_t seq = 0;
    NodeId client;
  };
  struct PendingRead {
    NodeId client;
    uint64_t seq = 0;
    std::string key;
    uint64_t read_index = 0;
    uint64_t round = 0;
    uint64_t committed_at_arrival = 0;  // the observer's read_fresh check
  };

  // node.cc: lifecycle, timers, elections, persistence.
  void run();
  void recover();
  void fail_stop(const RecoveredLog& recovered);
  void handle(const Envelope& envelope);
  void dispatch(NodeId from, const Message& message);
  void on_timer();
  Duration until_deadline() const;
  void reset_election_deadline();
  void start_election();
  void request_votes();
  void on_request_vote(NodeId from, const RequestVote& message);
  void on_vote_reply(NodeId from, const VoteReply& message);
  void become_leader();
  void step_down(uint64_t term);
  void persist_meta(bool sync = true);
  bool heard_from_leader_recently() const;
  void report_boot();
  uint64_t last_index() const { return log_.size(); }
  uint64_t term_at(uint64_t index) const { return index == 0 ? 0 : log_[index - 1].term; }
  size_t majority() const { return (peers_.size() + 1) / 2 + 1; }
  size_t index_of(NodeId node) const { return node.index(); }

  // replication.cc: AppendEntries both ways, commit and apply.
  void flush();
  void persist_batch();
  void send_append(NodeId peer_node, Peer& peer);
  void broadcast_round();
  void on_append_entries(NodeId from, const AppendEntries& message);
  bool merge_entries(const AppendEntries& message);
  void on_append_reply(NodeId from, const AppendReply& message);
  void append_reply(NodeId to, AppendReply reply);
  void advance_commit();
  void set_commit(uint64_t index);
  void apply_committed();
  void maybe_finish_recovery(uint64_t leader_commit, uint64_t match);

  // salvage.cc: filling the holes of a damaged log.
  void reconcile_salvage();
  bool reconcile_salvage_entries();
  void absorb_salvage();
  void append_local(uint64_t first, std::vector<Entry> entries);
  void maybe_finish_repair();
  void finish_recovery(const char* why);
  void request_fill();
  void on_fetch(NodeId from, const FetchEntries& message);
  void on_fetch_reply(const FetchReply& message);
  void truncate_log(uint64_t from_index);

  // requests.cc: clients, sessions and reads.
  void on_client_request(NodeId from, const ClientRequest& message);
  void on_write(NodeId from, const Command& command);
  void on_read(NodeId from, const Command& command);
  void serve_reads();
  bool lease_valid() const;
  uint64_t confirmed_round() const;
  void update_lease();
  void reply_result(NodeId to, uint64_t seq, const Result& result);
  void reply_not_leader(NodeId to, uint64_t seq);
  void rebuild_log_seqs();
  void drop_client_state();

  Context& ctx_;
  RaftParams params_;
  Observer& observer_;
  size_t self_;
  Storage storage_;
  // Persistent state (Figure 2), mirrored on disk.
  uint64_t term_ = 0;
  int64_t voted_for_ = -1;
  bool recovering_ = false;
  bool fail_stopped_ = false;    // both meta slots lost (node.cc fail_stop)
  uint64_t recover_target_ = 0;  // the vote floor's index
  uint64_t floor_term_ = 0;      // and term (storage.h Meta)
  std::vector<Entry> log_;
  Salvage salvaged_;  // intact entries past the log's end, with holes before them (storage.h)
  // Volatile state.
  Role role_ = Role::follower;
  int64_t leader_ = -1;
  uint64_t commit_index_ = 0;
  uint64_t applied_index_ = 0;
  StateMachine machine_;
  Time election_deadline_;    // monotonic
  Time heartbeat_deadline_;   // monotonic, leader
  Time vote_retry_deadline_;  // monotonic, candidate
  Time fill_deadline_;        // monotonic, a server with holes asks peers again
  Time last_heard_;           // monotonic: the last AppendEntries of a current leader
  std::vector<size_t> votes_;
  // Leader state.
  std::map<size_t, Peer> peers_;           // every other server
  uint64_t term_start_index_ = 0;          // the first index of this leader's term
  std::vector<Command> batch_;             // commands waiting to be written
  std::map<uint64_t, Waiter> waiters_;     // client -> its pending write
  std::map<uint64_t, uint64_t> log_seqs_;  // client -> highest seq in the unapplied log suffix
  std::vector<PendingRead> reads_;
  uint64_t round_ = 0;
  bool round_wanted_ = false;
  std::map<uint64_t, Time> round_sent_;  // round -> monotonic send time
  Time leader_since_;                    // monotonic
  Time lease_start_;                     // monotonic start of the last majority-acked round
  bool has_lease_ = false;
};

}  // namespace detsim::raft_kv
