#include "models/raft_kv/checks.h"

#include <fmt/format.h>

namespace detsim::raft_kv {

void Observer::violate(std::string property, std::string detail) {
  if (!violation_) violation_ = CheckResult::safety(std::move(property), std::move(detail));
}

uint64_t Observer::chain_at(size_t server, uint64_t index) const {
  return index == 0 ? 0 : logs_[server][index - 1].chain;
}

void Observer::on_boot(size_t server, const std::vector<Entry>& entries) {
  // Invariant: servers are declared before they boot.
  DETSIM_ASSERT(server < logs_.size());
  logs_[server].clear();
  leader_term_[server] = 0;
  // A reboot keeps only what is durable; its commit index restarts at 0.
  commits_[server] = 0;
  for (size_t i = 0; i < entries.size(); ++i) on_append(server, i + 1, entries[i]);
}

void Observer::on_leader(size_t server, uint64_t term) {
  DETSIM_ASSERT(server < logs_.size());
  DETSIM_ASSERT(term > 0);
  leader_term_[server] = term;
  ++counters_.leader_changes;
  auto [it, fresh] = leaders_.emplace(term, server);
  // Raft §5.2 election safety: at most one leader can be elected in a term.
  if (!fresh && it->second != server) {
    violate("election_safety", fmt::format("n{} and n{} both became leader in term {}", it->second, server, term));
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
                        logs_[server].size(), committed));
  }
}

void Observer::on_step_down(size_t server) { leader_term_[server] = 0; }

void Observer::on_append(size_t server, uint64_t index, const Entry& entry) {
  std::vector<Position>& log = logs_[server];
  // Invariant: servers append at the end of their log (truncate first).
  DETSIM_ASSERT(index == log.size() + 1);
  // Raft §5.3: terms never decrease along a log.
  if (!log.empty() && entry.term < log.back().term) {
    violate("log_matching", fmt::format("n{} appended index {} of term {} after an entry of term {}", server, index,
                                        entry.term, log.back().term));
  }
  const uint64_t chain = hash_word(hash_word(chain_at(server, index - 1), entry.term), entry.command.digest());
  log.push_back({entry.term, chain});
  auto [it, fresh] = by_index_term_.emplace(std::make_pair(index, entry.term), chain);
  // Raft §5.3 log matching: the same index and term means the same prefix.
  if (!fresh && it->second != chain) {
    violate("log_matching", fmt::format("n{} holds index {} term {} with a prefix or command that differs from "
                                        "another server's",
                                        server, index, entry.term));
  }
}

void Observer::on_truncate(size_t server, uint64_t from_index) {
  std::vector<Position>& log = logs_[server];
  // Invariant: a truncation removes existing entries.
  DETSIM_ASSERT(from_index >= 1);
  DETSIM_ASSERT(from_index <= log.size());
  // Raft §5.3 leader append-only: a leader never deletes its own entries.
  if (leader_term_[server] != 0) {
    violate("leader_append_only", fmt::format("n{}, leader of term {}, deleted its entries from index {}", server,
                                              leader_term_[server], from_index));
  }
  if (from_index <= commits_[server]) {
    violate("state_machine_safety", fmt::format("n{} deleted index {} after committing up to {}", server, from_index,
                                                commits_[server]));
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
      violate("state_machine_safety",
              fmt::format("n{} committed at index {} an entry other than the one committed there before", server,
                          index));
    }
  }
  commits_[server] = commit_index;
  counters_.commit_index_max = std::max(counters_.commit_index_max, commit_index);
}

void Observer::on_apply(size_t server, uint64_t index, const Command& command) {
  auto [it, fresh] = applied_.emplace(index, command.digest());
  // Raft §5.4.3 state machine safety: one command per index, everywhere.
  if (!fresh && it->second != command.digest()) {
    violate("state_machine_safety",
            fmt::format("n{} applied at index {} a command ({} {} c{} seq {}) other servers did not", server, index,
                        to_string(command.kind), command.key, command.client, command.seq));
  }
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
