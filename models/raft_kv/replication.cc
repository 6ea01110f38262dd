// Log replication (Raft §5.3) both ways, the commit rule (§5.4.2) and
// applying committed entries to the state machine.
#include <algorithm>

#include "models/raft_kv/node.h"

namespace detsim::raft_kv {

// After a burst of messages: the leader makes the gathered commands durable
// as one batch and sends them on, and starts a heartbeat round if a read
// asked for one.
void Server::flush() {
  if (role_ != Role::leader) return;
  if (!batch_.empty()) persist_batch();
  if (role_ != Role::leader) return;
  if (round_wanted_) {
    broadcast_round();
    return;
  }
  for (auto& [index, peer] : peers_) {
    if (!peer.probing && peer.next_index <= last_index()) send_append(ctx_.servers()[index], peer);
  }
}

// Group commit: one append and one fsync for every command gathered. The
// leader counts its own copy only once it is durable (Figure 2: persist
// before responding; here, before it counts toward a majority).
void Server::persist_batch() {
  std::vector<Entry> entries;
  entries.reserve(batch_.size());
  for (Command& command : batch_) entries.push_back(Entry{term_, std::move(command)});
  batch_.clear();
  const uint64_t first = last_index() + 1;
  storage_.append(first, entries);
  storage_.sync_log();
  for (size_t i = 0; i < entries.size(); ++i) {
    observer_.on_append(self_, first + i, entries[i], storage_.record_end(first + i));
    if (params_.ack_before_commit && entries[i].command.kind != OpKind::cas) {
      // The planted bug: answer a write as soon as it is in our own log.
      auto it = waiters_.find(entries[i].command.client);
      if (it != waiters_.end() && it->second.seq == entries[i].command.seq) {
        observer_.on_write_acked(self_, entries[i].command.client, it->second.seq);
        reply_result(it->second.client, it->second.seq, Result{});
        waiters_.erase(it);
      }
    }
    log_.push_back(std::move(entries[i]));
  }
  advance_commit();
}

void Server::send_append(NodeId peer_node, Peer& peer) {
  // Invariant: nextIndex stays within the log, past what the peer matched.
  DETSIM_ASSERT(peer.next_index >= 1);
  DETSIM_ASSERT(peer.next_index <= last_index() + 1);
  AppendEntries message;
  message.term = term_;
  message.prev_index = peer.next_index - 1;
  message.prev_term = term_at(message.prev_index);
  message.leader_commit = commit_index_;
  message.round = round_;
  const uint64_t end = std::min<uint64_t>(last_index(), message.prev_index + params_.entries_per_append_max);
  for (uint64_t index = peer.next_index; index <= end; ++index) message.entries.push_back(log_[index - 1]);
  // Pipelining: assume delivery; a failure or the next heartbeat resets it.
  if (!peer.probing) peer.next_index = end + 1;
  ctx_.net().send(peer_node, std::move(message));
}

// A heartbeat round: every peer gets an AppendEntries from its match point
// (which also retransmits whatever was lost). Rounds are numbered; a
// majority's acks of round r confirm leadership as of its start (thesis
// §6.4 read-index; §6.4.1 lease).
void Server::broadcast_round() {
  ++round_;
  round_wanted_ = false;
  round_sent_[round_] = ctx_.monotonic_now();
  for (auto& [index, peer] : peers_) {
    if (!peer.probing) peer.next_index = peer.match_index + 1;
    send_append(ctx_.servers()[index], peer);
  }
  heartbeat_deadline_ = ctx_.monotonic_now() + params_.heartbeat_interval;
  update_lease();
  serve_reads();
}

void Server::on_append_entries(NodeId from, const AppendEntries& message) {
  AppendReply reply;
  reply.round = message.round;
  reply.request_term = message.term;
  reply.prev_index = message.prev_index;
  if (message.term < term_) {
    reply.term = term_;
    append_reply(from, reply);
    return;
  }
  // A current leader: we follow it (Figure 2, candidates: "If
  // AppendEntries RPC received from new leader: convert to follower").
  if (message.term > term_ || role_ != Role::follower) step_down(message.term);
  // Invariant: two leaders in one term would be an election-safety bug.
  DETSIM_ASSERT(role_ == Role::follower);
  leader_ = static_cast<int64_t>(index_of(from));
  last_heard_ = ctx_.monotonic_now();
  reset_election_deadline();
  reply.term = term_;
  // §5.3 consistency check, with the fast backoff of §5.3's closing note:
  // tell the leader where our log diverges.
  if (message.prev_index > last_index()) {
    reply.conflict_index = last_index() + 1;
    append_reply(from, reply);
    return;
  }
  if (term_at(message.prev_index) != message.prev_term) {
    reply.conflict_term = term_at(message.prev_index);
    uint64_t first = message.prev_index;
    while (first > 1 && term_at(first - 1) == reply.conflict_term) --first;
    reply.conflict_index = first;
    append_reply(from, reply);
    return;
  }
  merge_entries(message);
  reply.success = true;
  reply.match_index = message.prev_index + message.entries.size();
  observer_.on_append_acked(self_, reply.match_index);
  // Figure 2: commitIndex = min(leaderCommit, index of last new entry).
  const uint64_t commit = std::min(message.leader_commit, reply.match_index);
  if (commit > commit_index_) set_commit(commit);
  maybe_finish_recovery(message.leader_commit, reply.match_index);
  append_reply(from, reply);
}

// Figure 2, AppendEntries step 3 and 4: an entry that conflicts with a new
// one (same index, other term) goes, with all that follow it; new entries
// are appended. Durable before the reply. Entries we already hold are left
// alone, so a stale, reordered AppendEntries never cuts the log.
bool Server::merge_entries(const AppendEntries& message) {
  size_t skip = 0;
  while (skip < message.entries.size()) {
    const uint64_t index = message.prev_index + 1 + skip;
    if (index > last_index() || term_at(index) != message.entries[skip].term) break;
    ++skip;
  }
  if (skip == message.entries.size()) return false;
  const uint64_t first = message.prev_index + 1 + skip;
  std::vector<Entry> fresh(message.entries.begin() + static_cast<std::ptrdiff_t>(skip), message.entries.end());
  std::vector<Entry> kept;
  ctx_.sometimes("conflicting_suffix_truncated", first <= last_index());
  if (first <= last_index()) {
    // The planted bug no_truncate_on_conflict: overwrite in place and keep
    // whatever followed the conflicting entries.
    const uint64_t overwritten_end = first + fresh.size();
    if (params_.no_truncate_on_conflict && overwritten_end <= last_index()) {
      kept.assign(log_.begin() + static_cast<std::ptrdiff_t>(overwritten_end - 1), log_.end());
    }
    truncate_log(first);
  }
  fresh.insert(fresh.end(), kept.begin(), kept.end());
  append_local(first, std::move(fresh));
  // Entries that passed the consistency check vouch for salvaged ones.
  reconcile_salvage();
  return true;
}

void Server::truncate_log(uint64_t from_index) {
  // Invariant: a leader never deletes its own entries (§5.3), and nothing
  // committed is ever deleted.
  DETSIM_ASSERT(role_ != Role::leader);
  DETSIM_ASSERT(from_index > commit_index_ || params_.commit_previous_term || params_.no_truncate_on_conflict ||
                params_.vote_not_persisted);
  observer_.on_truncate(self_, from_index);
  storage_.truncate_from(from_index);
  log_.resize(from_index - 1);
  rebuild_log_seqs();
}

void Server::append_reply(NodeId to, AppendReply reply) { ctx_.net().send(to, reply); }

void Server::on_append_reply(NodeId from, const AppendReply& message) {
  if (message.term > term_) {
    step_down(message.term);
    return;
  }
  if (role_ == Role::leader && message.term == term_) observer_.on_leader_contact(self_, index_of(from), ctx_.now());
  // Only answers to this leader's own requests count: a reply to a previous
  // incarnation's AppendEntries (same server, lower term, delayed) may carry
  // our term and a round number of its own.
  if (role_ != Role::leader || !acks_own_round(message, term_, round_)) return;
  auto it = peers_.find(index_of(from));
  if (it == peers_.end()) return;
  Peer& peer = it->second;
  peer.round_acked = std::max(peer.round_acked, message.round);
  if (message.success) {
    peer.match_index = std::max(peer.match_index, message.match_index);
    peer.next_index = std::max(peer.next_index, peer.match_index + 1);
    peer.probing = false;
    advance_commit();
  } else if (message.conflict_index == 0) {
    // Rejected for its term (we have since reached the rejecter's term): nothing learned.
  } else if (message.conflict_term == 0 && message.conflict_index <= peer.match_index) {
    // The follower's log is shorter than what it acknowledged: it cut a
    // corrupted log on recovery (or this is a stale reply; resending is
    // harmless). Its vote floor keeps what it lost safe; resend from there.
    peer.match_index = message.conflict_index - 1;
    peer.next_index = message.conflict_index;
    peer.probing = false;
    send_append(from, peer);
  } else if (message.prev_index >= peer.match_index + (peer.probing ? 0 : 1) &&
             (!peer.probing || message.prev_index + 1 == peer.next_index)) {
    // Only the answer to the current probe moves the search (duplicates
    // and answers to pipelined messages would start parallel searches).
    // Fast backoff: skip the follower's whole conflicting term, or to the
    // end of our entries of that term if we have any.
    uint64_t next = message.conflict_index;
    if (message.conflict_term != 0) {
      // Terms ascend along the log: find our last entry of that term.
      auto after = std::upper_bound(log_.begin(), log_.end(), message.conflict_term,
                                    [](uint64_t term, const Entry& entry) { return term < entry.term; });
      const auto last_of_term = static_cast<uint64_t>(after - log_.begin());
      if (last_of_term > 0 && term_at(last_of_term) == message.conflict_term) next = last_of_term + 1;
    }
    // Each failure moves strictly back (at most to the rejected prevLogIndex),
    // so the exchange ends.
    next = std::min({next, message.prev_index, last_index() + 1});
    peer.next_index = std::max(next, peer.match_index + 1);
    peer.probing = true;
    send_append(from, peer);
  }
  update_lease();
  serve_reads();
}

// Raft §5.4.2: the leader commits an index only if a majority stores it AND
// its entry is of the current term; earlier entries commit with it. The
// planted bug commit_previous_term counts replicas for any term (Figure 8).
void Server::advance_commit() {
  std::vector<uint64_t> matches{last_index()};
  for (const auto& [index, peer] : peers_) matches.push_back(peer.match_index);
  std::sort(matches.begin(), matches.end(), std::greater<>());
  const uint64_t candidate = matches[majority() - 1];
  if (candidate <= commit_index_) return;
  if (!params_.commit_previous_term && term_at(candidate) != term_) return;
  set_commit(candidate);
}

void Server::set_commit(uint64_t index) {
  // Invariant: the commit index only grows, within the log.
  DETSIM_ASSERT(index > commit_index_);
  DETSIM_ASSERT(index <= last_index());
  commit_index_ = index;
  observer_.on_commit(self_, index, term_);
  apply_committed();
}

void Server::apply_committed() {
  while (applied_index_ < commit_index_) {
    ++applied_index_;
    const Command& command = log_[applied_index_ - 1].command;
    const Result result = machine_.apply(command);
    observer_.on_apply(self_, applied_index_, command);
    auto it = waiters_.find(command.client);
    if (it != waiters_.end() && it->second.seq == command.seq) {
      observer_.on_write_acked(self_, command.client, command.seq);
      reply_result(it->second.client, command.seq, result);
      waiters_.erase(it);
    }
    auto seq = log_seqs_.find(command.client);
    if (seq != log_seqs_.end() && seq->second <= command.seq) log_seqs_.erase(seq);
  }
  serve_reads();
}

// A recovering server rejoins the electorate once a leader's commit index
// covers everything its damaged log may have held, and its log matches the
// leader's up to that commit index.
void Server::maybe_finish_recovery(uint64_t leader_commit, uint64_t match) {
  if (!recovering_ || leader_commit < recover_target_ || match < leader_commit) return;
  finish_recovery("log matches the leader up to its commit index");
}

}  // namespace detsim::raft_kv
