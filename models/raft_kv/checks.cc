#include "models/raft_kv/checks.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "models/raft_kv/storage.h"

namespace detsim::raft_kv {

namespace {

// Servers are declared first, so server i is NodeId i (register.cc).
NodeId node_of(uint64_t server) { return NodeId(static_cast<uint32_t>(server)); }

}  // namespace

// Sessions are client index + 1 (client.cc), clients come after servers.
NodeId Observer::client_node(uint64_t session) const {
  return NodeId(static_cast<uint32_t>(logs_.size() + session - 1));
}

std::string Observer::node_name(NodeId node) const {
  if (node.index() < logs_.size()) return fmt::format("n{}", node.index());
  return fmt::format("c{}", node.index() - logs_.size());
}

// Session 0 is the leader's no-op entry (messages.h); a client's is its index + 1.
std::string Observer::session_name(uint64_t session) const {
  return session == 0 ? "no client" : node_name(client_node(session));
}

void Observer::violate(std::string property, std::string detail, std::vector<NodeId> nodes) {
  if (violation_) return;
  // A node named twice (a server that voted for itself) is one node.
  for (auto it = nodes.begin(); it != nodes.end(); ++it)
    nodes.erase(std::remove(it + 1, nodes.end(), *it), nodes.end());
  violation_ = CheckResult::safety(std::move(property), std::move(detail)).on(std::move(nodes));
  if (clock_) violation_->at(clock_());
}

uint64_t Observer::chain_at(size_t server, uint64_t index) const {
  return index == 0 ? 0 : logs_[server][index - 1].chain;
}

void Observer::on_boot(size_t server, const std::vector<Entry>& entries, const std::vector<uint64_t>& ends) {
  // Invariant: servers are declared before they boot.
  DETSIM_ASSERT(server < logs_.size());
  DETSIM_ASSERT(ends.size() == entries.size());
  logs_[server].clear();
  leader_term_[server] = 0;
  up_[server] = true;
  // A reboot keeps only what is durable; its commit index restarts at 0.
  commits_[server] = 0;
  for (size_t i = 0; i < entries.size(); ++i) on_append(server, i + 1, entries[i], ends[i]);
}

void Observer::on_leader(size_t server, uint64_t term, Time now) {
  DETSIM_ASSERT(server < logs_.size());
  DETSIM_ASSERT(term > 0);
  leader_term_[server] = term;
  // A new leader has just heard from a majority (its voters): the clock of
  // check quorum starts now for every peer.
  contact_[server].assign(logs_.size(), now);
  ++counters_.leader_changes;
  auto [it, fresh] = leaders_.emplace(term, server);
  // Raft §5.2 election safety: at most one leader can be elected in a term.
  if (!fresh && it->second != server) {
    violate("election_safety", fmt::format("n{} and n{} both became leader in term {}", it->second, server, term),
            {node_of(it->second), node_of(server)});
  }
  // Raft §5.4 leader completeness: every entry committed in an earlier
  // term is in the new leader's log. Commit terms ascend with the index,
  // so these are a prefix; a stale leader (elected late in a low term) need
  // not hold what later terms committed.
  const auto later = std::lower_bound(committed_in_.begin(), committed_in_.end(), term);
  const auto committed = static_cast<uint64_t>(later - committed_in_.begin());
  if (committed > 0 && (logs_[server].size() < committed || chain_at(server, committed) != committed_[committed - 1])) {
    violate("leader_completeness",
            fmt::format("n{} became leader of term {} with {} entries but lacks committed index {}", server, term,
                        logs_[server].size(), committed),
            {node_of(server)});
  }
}

void Observer::on_step_down(size_t server) { leader_term_[server] = 0; }

void Observer::on_leader_contact(size_t leader, size_t peer, Time now) {
  if (leader_term_[leader] == 0) return;
  DETSIM_ASSERT(peer < contact_[leader].size());
  contact_[leader][peer] = std::max(contact_[leader][peer], now);
}

// The observer times contact by when replies arrive, the server by when
// the round they answer was sent, so the observer is the more lenient of
// the two: a correct leader steps down before this fires.
void Observer::on_heartbeat(size_t leader, Time now) {
  if (!quorum_limit_ || leader_term_[leader] == 0) return;
  std::vector<Time> heard = contact_[leader];
  heard[leader] = now;
  // The majority-th most recent contact: a majority heard from since then.
  const size_t majority = heard.size() / 2 + 1;
  std::nth_element(heard.begin(), heard.begin() + static_cast<std::ptrdiff_t>(majority - 1), heard.end(),
                   std::greater<>());
  const Time quorum_heard = heard[majority - 1];
  if (now - quorum_heard > *quorum_limit_) {
    violate("leader_steps_down_without_quorum",
            fmt::format("n{} still leads term {} at {:.3f}s, but has heard from no majority since {:.3f}s", leader,
                        leader_term_[leader], now.to_seconds(), quorum_heard.to_seconds()),
            {node_of(leader)});
  }
}

void Observer::on_down(size_t server) {
  leader_term_[server] = 0;
  up_[server] = false;
}

void Observer::on_append(size_t server, uint64_t index, const Entry& entry, uint64_t end) {
  std::vector<Position>& log = logs_[server];
  // Invariant: servers append at the end of their log (truncate first).
  DETSIM_ASSERT(index == log.size() + 1);
  // Raft §5.3: terms never decrease along a log.
  if (!log.empty() && entry.term < log.back().term) {
    violate("log_matching",
            fmt::format("n{} appended index {} of term {} after an entry of term {}", server, index, entry.term,
                        log.back().term),
            {node_of(server)});
  }
  const uint64_t chain = hash_word(hash_word(chain_at(server, index - 1), entry.term), entry.command.digest());
  log.push_back({entry.term, chain, end});
  auto [it, fresh] = by_index_term_.emplace(std::make_pair(index, entry.term), chain);
  // Raft §5.3 log matching: the same index and term means the same prefix.
  if (!fresh && it->second != chain) {
    violate("log_matching",
            fmt::format("n{} holds index {} term {} with a prefix or command that differs from "
                        "another server's",
                        server, index, entry.term),
            {node_of(server)});
  }
}

void Observer::on_truncate(size_t server, uint64_t from_index) {
  std::vector<Position>& log = logs_[server];
  // Invariant: a truncation removes existing entries.
  DETSIM_ASSERT(from_index >= 1);
  DETSIM_ASSERT(from_index <= log.size());
  // Raft §5.3 leader append-only: a leader never deletes its own entries.
  if (leader_term_[server] != 0) {
    violate("leader_append_only",
            fmt::format("n{}, leader of term {}, deleted its entries from index {}", server, leader_term_[server],
                        from_index),
            {node_of(server)});
  }
  if (from_index <= commits_[server]) {
    violate("state_machine_safety",
            fmt::format("n{} deleted index {} after committing up to {}", server, from_index, commits_[server]),
            {node_of(server)});
  }
  log.resize(from_index - 1);
}

void Observer::on_commit(size_t server, uint64_t commit_index, uint64_t term) {
  // Invariant: a server commits only entries it holds, and never goes back.
  DETSIM_ASSERT(commit_index <= logs_[server].size());
  DETSIM_ASSERT(commit_index >= commits_[server]);
  for (uint64_t index = commits_[server] + 1; index <= commit_index; ++index) {
    const uint64_t chain = chain_at(server, index);
    if (index > committed_.size()) {
      committed_.push_back(chain);
      committed_in_.push_back(term);
    } else if (committed_[index - 1] != chain) {
      // Raft §5.4.3: once committed at an index, no other entry is.
      violate(
          "state_machine_safety",
          fmt::format("n{} committed at index {} an entry other than the one committed there before", server, index),
          {node_of(server)});
    }
  }
  // The moment of truth: the leader's commit is the promise.
  if (leader_term_[server] == term && commit_index > commits_[server]) {
    check_commit_durable(server, commit_index);
    check_commit_survives(server, commit_index);
  }
  commits_[server] = commit_index;
  counters_.commit_index_max = std::max(counters_.commit_index_max, commit_index);
}

void Observer::on_apply(size_t server, uint64_t index, const Command& command) {
  // Raft §5.3: an entry is applied only once it is committed.
  if (index > commits_[server] || !holds_committed(server, index)) {
    violate("apply_committed",
            fmt::format("n{} applied index {} with its commit index at {} ({} committed anywhere)", server, index,
                        commits_[server], committed_.size()),
            {node_of(server)});
  }
  if (command.client != 0) {
    if (applied_seq_.size() <= command.client) applied_seq_.resize(command.client + 1, 0);
    applied_seq_[command.client] = std::max(applied_seq_[command.client], command.seq);
  }
  auto [it, fresh] = applied_.emplace(index, command.digest());
  // Raft §5.4.3 state machine safety: one command per index, everywhere.
  if (!fresh && it->second != command.digest()) {
    violate("state_machine_safety",
            fmt::format("n{} applied at index {} a command ({} {} from {} seq {}) other servers did not", server, index,
                        to_string(command.kind), command.key, session_name(command.client), command.seq),
            {node_of(server)});
  }
}

bool Observer::holds_committed(size_t server, uint64_t index) const {
  return index >= 1 && index <= committed_.size() && logs_[server].size() >= index &&
         chain_at(server, index) == committed_[index - 1];
}

// A server that is down counts with the entries its mirror holds: each was
// durable when acknowledged (ack_durable), and its disk's view of what the
// model synced starts over at the crash (sim/api/disk.h durable_prefix).
bool Observer::holds_durably(size_t server, uint64_t index) const {
  const Disk* disk = disks_[server];
  if (disk == nullptr || logs_[server].size() < index) return false;
  if (!up_[server]) return true;
  const std::optional<uint64_t> durable = disk->durable_prefix(Storage::kLogPath);
  return durable && *durable >= logs_[server][index - 1].end;
}

// (last term, last index) as the server's votes compare them (§5.4.1),
// raised to its vote floor while it recovers.
std::pair<uint64_t, uint64_t> Observer::last_of(size_t server) const {
  const std::vector<Position>& log = logs_[server];
  const std::pair<uint64_t, uint64_t> last{log.empty() ? 0 : log.back().term, log.size()};
  return std::max(last, floors_[server]);
}

bool Observer::may_vote(size_t server) const { return !fail_stopped_[server]; }

// Figure 2: a server persists the vote before the reply that grants it. The
// durable meta slots are read as the server's own recovery would read them.
void Observer::on_vote_granted(size_t server, uint64_t term, size_t candidate) {
  const Disk* disk = disks_[server];
  DETSIM_ASSERT(disk != nullptr);
  const std::string slot0 = disk->durable_read(Storage::kMetaPath, 0, Storage::kSlotBytes).value_or("");
  const std::string slot1 =
      disk->durable_read(Storage::kMetaPath, Storage::kSlotOffset, Storage::kSlotBytes).value_or("");
  const std::optional<Meta> meta = Storage::choose_meta(slot0, slot1).meta;
  if (!meta || meta->term != term || meta->voted_for != static_cast<int64_t>(candidate)) {
    violate("vote_durable",
            fmt::format("n{} granted its vote in term {} to n{} while its disk holds term {} vote {}", server, term,
                        candidate, meta ? meta->term : 0, meta ? meta->voted_for : -1),
            {node_of(server), node_of(candidate)});
  }
  record_vote(server, term, candidate);
}

void Observer::record_vote(size_t server, uint64_t term, size_t candidate) {
  const auto [it, first] = votes_[server].emplace(term, candidate);
  if (!first && it->second != candidate) {
    violate("one_vote_per_term",
            fmt::format("n{} voted for n{} in term {}, having voted for n{} in that term", server, candidate, term,
                        it->second),
            {node_of(server), node_of(candidate)});
  }
}

void Observer::on_recovered_vote(size_t server, uint64_t term, int64_t voted_for) {
  std::map<uint64_t, size_t>& votes = votes_[server];
  if (votes.empty()) return;
  const auto& [last_term, last_candidate] = *votes.rbegin();
  const bool kept = last_term < term || (last_term == term && static_cast<int64_t>(last_candidate) == voted_for);
  if (!kept) votes.clear();
}

void Observer::on_message_handled(size_t server, uint64_t seen, uint64_t term) {
  if (seen <= term) return;
  violate("term_adopted", fmt::format("n{} handled a message of term {} and stayed in term {}", server, seen, term),
          {node_of(server)});
}

// Figure 2: a follower persists entries before it acknowledges them.
void Observer::on_append_acked(size_t server, uint64_t match_index) {
  if (match_index == 0 || holds_durably(server, match_index)) return;
  violate("ack_durable",
          fmt::format("n{} acknowledged entries up to index {} that are not durable on its disk", server, match_index),
          {node_of(server)});
}

void Observer::check_commit_durable(size_t leader, uint64_t index) {
  // A server recovering from latent corruption holds what its vote floor
  // covers, in its log or its salvage file (node.h): a disk fault, not the
  // protocol, took it out of the log.
  const std::pair<uint64_t, uint64_t> entry{logs_[leader][index - 1].term, index};
  size_t holders = 0;
  for (size_t server = 0; server < logs_.size(); ++server) {
    const bool salvaged = floors_[server].second != 0 && floors_[server] >= entry;
    holders += (holds_committed(server, index) && holds_durably(server, index)) || salvaged ? 1 : 0;
  }
  if (holders * 2 > logs_.size()) return;
  violate("commit_durable_on_majority",
          fmt::format("n{} committed index {} while only {} of {} servers hold it durably", leader, index, holders,
                      logs_.size()),
          {node_of(leader)});
}

// §5.4.1: a committed entry must be on every log that can win an election.
// A server lacking it that a majority would vote for (each voter grants a
// candidate at least as up-to-date as itself) could lead and overwrite it.
void Observer::check_commit_survives(size_t leader, uint64_t index) {
  for (size_t candidate = 0; candidate < logs_.size(); ++candidate) {
    if (holds_committed(candidate, index) || !may_vote(candidate) || floors_[candidate].second != 0) continue;
    const std::pair<uint64_t, uint64_t> candidate_last = last_of(candidate);
    size_t voters = 0;
    for (size_t voter = 0; voter < logs_.size(); ++voter) {
      voters += may_vote(voter) && candidate_last >= last_of(voter) ? 1 : 0;
    }
    if (voters * 2 <= logs_.size()) continue;
    violate("commit_survives_elections",
            fmt::format("n{} committed index {}, but n{} lacks it and {} of {} servers would vote for it", leader,
                        index, candidate, voters, logs_.size()),
            {node_of(leader), node_of(candidate)});
    return;
  }
}

void Observer::on_write_acked(size_t server, uint64_t client, uint64_t seq) {
  if (client < applied_seq_.size() && applied_seq_[client] >= seq) return;
  violate("ack_after_commit",
          fmt::format("n{} acknowledged {} seq {} before any server applied it", server, session_name(client), seq),
          {node_of(server), client_node(client)});
}

void Observer::on_read_served(size_t server, NodeId reader, uint64_t committed_at_arrival, uint64_t applied_index) {
  if (applied_index >= committed_at_arrival) return;
  violate("read_fresh",
          fmt::format("n{} answered {}'s read from index {}, but index {} was committed when it arrived", server,
                      node_name(reader), applied_index, committed_at_arrival),
          {node_of(server), reader});
}

std::optional<size_t> Observer::leader_now() const {
  std::optional<size_t> best;
  uint64_t best_term = 0;
  for (size_t server = 0; server < leader_term_.size(); ++server) {
    if (leader_term_[server] > best_term) {
      best_term = leader_term_[server];
      best = server;
    }
  }
  return best;
}

}  // namespace detsim::raft_kv
