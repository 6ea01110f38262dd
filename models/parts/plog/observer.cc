#include "models/parts/plog/observer.h"

#include <fmt/format.h>

#include <algorithm>

#include "models/parts/plog/partition_log.h"

namespace detsim::parts::plog {

void Observer::on_acked(TopicPartition tp, int64_t offset, uint64_t key, uint64_t digest, int acks) {
  acked_[{tp, offset}].push_back(Seen{key, digest, acks, now()});
  ++acked_count_;
}

void Observer::on_consumed(TopicPartition tp, int64_t offset, uint64_t key, uint64_t digest) {
  auto [it, fresh] = consumed_.try_emplace({tp, offset}, Seen{key, digest, -1, now()});
  if (fresh || inconsistent_read_) return;
  if (it->second.key != key || it->second.digest != digest) {
    // The second read is the violating step; the leader served it.
    inconsistent_read_ =
        CheckResult::safety("consistent_prefix",
                            fmt::format("{}/{} offset {}: one consumer read key {}, another key {} (or another value)",
                                        tp.topic, tp.partition, offset, it->second.key, key))
            .at(now())
            .on(broker_nodes({state(tp).leader}));
  }
}

void Observer::on_election(TopicPartition tp, int32_t leader, int32_t leader_epoch, bool clean) {
  elections_.push_back({tp, leader, leader_epoch, clean});
}

void Observer::on_partition_state(const PartitionState& state) { states_[state.tp] = state; }

void Observer::on_truncated(int32_t broker, TopicPartition tp, int64_t from, int64_t to) {
  if (to >= from) return;
  ++truncations_;
  truncated_[{broker, tp}].push_back({now(), to});
}

std::vector<NodeId> Observer::broker_nodes(std::initializer_list<int32_t> brokers) const {
  std::vector<NodeId> nodes;
  for (int32_t b : brokers) {
    if (b < 0 || static_cast<size_t>(b) >= brokers_.size()) continue;
    const NodeId node = brokers_[static_cast<size_t>(b)];
    if (std::find(nodes.begin(), nodes.end(), node) == nodes.end()) nodes.push_back(node);
  }
  return nodes;
}

Time Observer::lost_at(int32_t broker, TopicPartition tp, int64_t offset, Time since) const {
  auto it = truncated_.find({broker, tp});
  if (it == truncated_.end()) return since;
  for (auto cut = it->second.rbegin(); cut != it->second.rend(); ++cut) {
    if (cut->at < since) break;
    if (cut->to <= offset) return cut->at;
  }
  return since;
}

void Observer::attach(int32_t broker, TopicPartition tp, const PartitionLog* log) { replicas_[{broker, tp}] = log; }

void Observer::detach(int32_t broker, TopicPartition tp, const PartitionLog* log) {
  auto it = replicas_.find({broker, tp});
  if (it != replicas_.end() && it->second == log) replicas_.erase(it);
}

size_t Observer::unclean_elections() const {
  return static_cast<size_t>(
      std::count_if(elections_.begin(), elections_.end(), [](const Election& e) { return !e.clean; }));
}

PartitionState Observer::state(TopicPartition tp) const {
  auto it = states_.find(tp);
  if (it != states_.end()) return it->second;
  PartitionState unknown;
  unknown.tp = tp;
  return unknown;
}

const PartitionLog* Observer::replica(int32_t broker, TopicPartition tp) const {
  auto it = replicas_.find({broker, tp});
  return it == replicas_.end() ? nullptr : it->second;
}

std::optional<CheckResult> Observer::lost(TopicPartition tp, int64_t offset, const Seen& acked) const {
  const PartitionState current = state(tp);
  std::vector<int32_t> holders;
  if (replica(current.leader, tp) != nullptr) {
    holders.push_back(current.leader);
  } else {
    for (int32_t b : current.isr) {
      if (replica(b, tp) != nullptr) holders.push_back(b);
    }
  }
  for (int32_t b : holders) {
    const Record* record = replica(b, tp)->find(offset);
    if (record != nullptr && record->key == acked.key && record->digest() == acked.digest) continue;
    return CheckResult::safety(
               "no_acked_record_lost",
               fmt::format("{}/{} offset {} (key {}, acks={}) acknowledged but {} in b{}'s log (leader b{}, epoch {})",
                           tp.topic, tp.partition, offset, acked.key, acked.acks,
                           record == nullptr ? "missing" : "another record", b, current.leader, current.leader_epoch))
        .at(lost_at(b, tp, offset, acked.at))
        .on(broker_nodes({b, current.leader}));
  }
  return std::nullopt;
}

std::optional<CheckResult> Observer::no_acked_record_lost(bool include_acks_one) const {
  for (const auto& [where, seen_here] : acked_) {
    for (const Seen& seen : seen_here) {
      if (seen.acks == 0 || (seen.acks == 1 && !include_acks_one)) continue;
      if (std::optional<CheckResult> failure = lost(where.first, where.second, seen)) return failure;
    }
  }
  return std::nullopt;
}

std::optional<CheckResult> Observer::consistent_prefix() const { return inconsistent_read_; }

std::optional<CheckResult> Observer::replicas_consistent() const {
  for (const auto& [tp, state] : states_) {
    const PartitionLog* first = nullptr;
    int32_t first_broker = -1;
    for (int32_t b : state.replicas) {
      const PartitionLog* log = replica(b, tp);
      if (log == nullptr) continue;
      if (first == nullptr) {
        first = log;
        first_broker = b;
        continue;
      }
      const int64_t end = std::min(first->counted_end(), log->counted_end());
      for (int64_t offset = 0; offset < end; ++offset) {
        const Record* a = first->find(offset);
        const Record* c = log->find(offset);
        if (a != nullptr && c != nullptr && a->key == c->key && a->value == c->value) continue;
        // Compared at the end: the run's last instant, the two brokers.
        return CheckResult::safety("replicas_consistent",
                                   fmt::format("{}/{} offset {}: b{} and b{} hold different records", tp.topic,
                                               tp.partition, offset, first_broker, b))
            .at(now())
            .on(broker_nodes({first_broker, b}));
      }
    }
  }
  return std::nullopt;
}

}  // namespace detsim::parts::plog
