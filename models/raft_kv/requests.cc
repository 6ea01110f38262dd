// Client requests at a server: writes go through the log with session
// deduplication (thesis §6.3); reads are answered without the log, after
// read-index (thesis §6.4) or under a leader lease (thesis §6.4.1).
#include <algorithm>

#include "models/raft_kv/node.h"

namespace detsim::raft_kv {

void Server::on_client_request(NodeId from, const ClientRequest& message) {
  const Command& command = message.command;
  if (role_ != Role::leader) {
    reply_not_leader(from, command.seq);
    return;
  }
  if (command.kind == OpKind::get) {
    on_read(from, command);
  } else {
    on_write(from, command);
  }
}

void Server::on_write(NodeId from, const Command& command) {
  // Invariant: clients are numbered from 1; 0 is the no-op's.
  DETSIM_ASSERT(command.client != 0);
  DETSIM_ASSERT(command.kind != OpKind::noop);
  // Already applied: answer from the session; an older seq is a stale
  // retry its client has given up on.
  ctx_.sometimes("retry_answered_from_session", machine_.applied(command.client, command.seq));
  if (machine_.applied(command.client, command.seq)) {
    if (std::optional<Result> result = machine_.applied_result(command.client, command.seq)) {
      observer_.on_write_acked(self_, command.client, command.seq);
      reply_result(from, command.seq, *result);
    }
    return;
  }
  // A client has one operation in flight, so only a newer (or the same,
  // retried) seq replaces its waiter: a delayed older request must not.
  auto waiter = waiters_.find(command.client);
  if (waiter == waiters_.end() || command.seq >= waiter->second.seq)
    waiters_[command.client] = Waiter{command.seq, from};
  // Already in the log (or the batch), not yet applied: wait for it.
  auto seq = log_seqs_.find(command.client);
  if (seq != log_seqs_.end() && seq->second >= command.seq) return;
  log_seqs_[command.client] = command.seq;
  batch_.push_back(command);
}

void Server::on_read(NodeId from, const Command& command) {
  if (params_.stale_read) {
    // The planted bug: whatever this server has applied, leader or not.
    ++observer_.counters().reads_stale;
    observer_.on_read_served(self_, from, observer_.committed_max(), applied_index_);
    reply_result(from, command.seq, machine_.read(command.key));
    return;
  }
  // Thesis §6.4.1: a lease read needs an entry of this term committed, so
  // that the commit index covers every write acknowledged before the term.
  if (params_.reads == ReadMode::lease && !params_.lease_fallback && lease_valid() &&
      commit_index_ >= term_start_index_) {
    ++observer_.counters().reads_lease;
    observer_.on_read_served(self_, from, observer_.committed_max(), applied_index_);
    reply_result(from, command.seq, machine_.read(command.key));
    return;
  }
  // Thesis §6.4 read-index: note the commit index, confirm leadership
  // with a heartbeat round that a majority acknowledges, then answer once
  // the state machine has applied that far.
  reads_.push_back(PendingRead{from, command.seq, command.key, commit_index_, round_ + 1, observer_.committed_max()});
  round_wanted_ = true;
}

// The latest heartbeat round a majority (counting us) has acknowledged.
uint64_t Server::confirmed_round() const {
  std::vector<uint64_t> rounds{round_};
  for (const auto& [index, peer] : peers_) rounds.push_back(peer.round_acked);
  std::sort(rounds.begin(), rounds.end(), std::greater<>());
  return rounds[majority() - 1];
}

void Server::serve_reads() {
  if (role_ != Role::leader || reads_.empty()) return;
  const uint64_t confirmed = confirmed_round();
  std::erase_if(reads_, [&](const PendingRead& read) {
    // Thesis §6.4 step 1: the read index must be at least the first entry
    // of this term, which commits every earlier acknowledged write.
    const uint64_t index = std::max(read.read_index, term_start_index_);
    if (read.round > confirmed || commit_index_ < index || applied_index_ < index) return false;
    ++observer_.counters().reads_index;
    observer_.on_read_served(self_, read.client, read.committed_at_arrival, applied_index_);
    reply_result(read.client, read.seq, machine_.read(read.key));
    return true;
  });
}

// Thesis §6.4.1: the lease runs from the START of the last heartbeat round
// a majority acknowledged, for less than the minimum election timeout by
// the clock drift bound: followers grant no vote within the minimum
// election timeout of hearing from us (node.cc), measured on their clocks;
// ours may run slow and theirs fast by up to the bound.
bool Server::lease_valid() const {
  if (!has_lease_) return false;
  const double bound = params_.lease_drift_bound_ppm * 1e-6;
  const Duration lease = Duration::from_seconds(params_.election_timeout_min.to_seconds() * (1 - bound) / (1 + bound));
  return ctx_.monotonic_now() < lease_start_ + lease;
}

void Server::update_lease() {
  if (role_ != Role::leader) return;
  const uint64_t confirmed = confirmed_round();
  auto it = round_sent_.find(confirmed);
  if (it == round_sent_.end()) return;
  lease_start_ = it->second;
  has_lease_ = true;
  // Older rounds can no longer be the latest confirmed one.
  round_sent_.erase(round_sent_.begin(), it);
}

void Server::reply_result(NodeId to, uint64_t seq, const Result& result) {
  ClientReply reply;
  reply.seq = seq;
  reply.status = result.ok ? ReplyStatus::ok : ReplyStatus::fail;
  reply.has_value = result.has_value;
  reply.value = result.value;
  ctx_.net().send(to, std::move(reply));
}

void Server::reply_not_leader(NodeId to, uint64_t seq) {
  ClientReply reply;
  reply.seq = seq;
  reply.status = ReplyStatus::not_leader;
  reply.leader_hint = leader_;
  ctx_.net().send(to, std::move(reply));
}

// The highest seq of each client in the unapplied part of the log.
void Server::rebuild_log_seqs() {
  log_seqs_.clear();
  for (uint64_t index = applied_index_ + 1; index <= last_index(); ++index) {
    const Command& command = log_[index - 1].command;
    if (command.client == 0) continue;
    uint64_t& seq = log_seqs_[command.client];
    seq = std::max(seq, command.seq);
  }
  for (const Command& command : batch_) {
    if (command.client != 0) log_seqs_[command.client] = std::max(log_seqs_[command.client], command.seq);
  }
}

// A deposed leader forgets who waits on it: clients time out and retry
// elsewhere. Batched commands never written are dropped (never answered).
void Server::drop_client_state() {
  ctx_.sometimes("read_dropped_unconfirmed", !reads_.empty());
  waiters_.clear();
  reads_.clear();
  batch_.clear();
  round_wanted_ = false;
  has_lease_ = false;
  rebuild_log_seqs();
}

}  // namespace detsim::raft_kv
