// Holes in a damaged log (storage.h): a server that found intact records
// after a bad one keeps them (the salvage) and fills the holes before them,
// from a leader's AppendEntries or from any peer (FetchEntries), accepting
// fill only when it is vouched for by log matching (Raft §5.3): a log that
// holds our intact entry (index, term) equals ours up to that index. Once
// the log holds every salvaged entry again it is the log it durably held,
// and the server leaves the recovering state (protocol-aware recovery,
// Alagappan et al., FAST 2018, simplified).
#include "models/raft_kv/node.h"

namespace detsim::raft_kv {

// After the log changed: what it holds leaves the salvage; if its last
// entry was salvaged, the salvaged entries right after it join the log.
void Server::reconcile_salvage() {
  if (salvaged_.empty()) return;
  if (reconcile_salvage_entries()) absorb_salvage();
  if (salvaged_.empty()) storage_.save_salvage(salvaged_);
  maybe_finish_repair();
}

bool Server::reconcile_salvage_entries() { return raft_kv::reconcile_salvage(log_, salvaged_); }

// Appends the salvaged entries that continue the log without a hole.
void Server::absorb_salvage() {
  std::vector<Entry> entries;
  for (auto it = salvaged_.begin(); it != salvaged_.end() && it->first == last_index() + 1 + entries.size();) {
    entries.push_back(it->second);
    it = salvaged_.erase(it);
  }
  if (entries.empty()) return;
  append_local(last_index() + 1, std::move(entries));
  ctx_.log("salvage joined the log: last={}", last_index());
}

// Entries durable in our log from `first` on, reported to the observer.
void Server::append_local(uint64_t first, std::vector<Entry> entries) {
  // Invariant: the log grows at its end.
  DETSIM_ASSERT(first == last_index() + 1);
  DETSIM_ASSERT(!entries.empty());
  storage_.append(first, entries);
  storage_.sync_log();
  for (size_t i = 0; i < entries.size(); ++i) {
    observer_.on_append(self_, first + i, entries[i], storage_.record_end(first + i));
    log_.push_back(std::move(entries[i]));
  }
}

// The log holds its vote floor entry again: it is at least as up-to-date as
// before the damage, so it votes and campaigns as an undamaged server.
void Server::maybe_finish_repair() {
  if (!recovering_ || !salvaged_.empty()) return;
  if (last_index() < recover_target_ || term_at(recover_target_) != floor_term_) return;
  finish_recovery("holes filled");
}

void Server::finish_recovery(const char* why) {
  recovering_ = false;
  recover_target_ = 0;
  floor_term_ = 0;
  persist_meta();
  observer_.set_vote_floor(self_, 0, 0);
  ++observer_.counters().recoveries_done;
  ctx_.log("recovered from corruption: {}", why);
}

// Asks every peer for the first hole: from the log's end to the first
// salvaged entry, vouched for by that entry's term.
void Server::request_fill() {
  fill_deadline_ = ctx_.monotonic_now() + params_.heartbeat_interval;
  if (salvaged_.empty()) return;
  const auto& [index, entry] = *salvaged_.begin();
  const FetchEntries request{last_index() + 1, index, entry.term};
  for (const auto& [peer, state] : peers_) ctx_.net().send(ctx_.servers()[peer], request);
}

void Server::on_fetch(NodeId from, const FetchEntries& message) {
  if (message.first_index == 0 || message.first_index > message.last_index) return;
  if (message.last_index > last_index() || term_at(message.last_index) != message.last_term) return;
  FetchReply reply{message.first_index, term_at(message.first_index - 1), {}};
  for (uint64_t index = message.first_index; index <= message.last_index; ++index) {
    reply.entries.push_back(log_[index - 1]);
  }
  ctx_.net().send(from, std::move(reply));
}

// Accepted only if it continues our log (same term before it, which by log
// matching means the same prefix) and ends with a salvaged entry of ours.
void Server::on_fetch_reply(const FetchReply& message) {
  if (salvaged_.empty() || message.entries.empty() || message.first_index != last_index() + 1) return;
  if (term_at(message.first_index - 1) != message.prev_term) return;
  const uint64_t end = message.first_index + message.entries.size() - 1;
  auto vouch = salvaged_.find(end);
  if (vouch == salvaged_.end() || vouch->second.term != message.entries.back().term) return;
  ++observer_.counters().holes_filled;
  append_local(message.first_index, message.entries);
  reconcile_salvage();
}

}  // namespace detsim::raft_kv
