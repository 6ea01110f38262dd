// The log's oracle, owned by the model (Cluster takes an optional pointer):
// told by producers what was acknowledged, by consumers what they read, by
// the controller what it decided, and by brokers where their replicas are,
// it checks the log's promises when the run ends. Every check returns
// nullopt when it holds, else a CheckResult (safety) with the property's
// name and one line of detail.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "models/parts/plog/config.h"
#include "sim/api/model.h"

namespace detsim::parts::plog {

class PartitionLog;

class Observer {
 public:
  Observer() = default;
  Observer(const Observer&) = delete;
  Observer& operator=(const Observer&) = delete;

  // ---- told by the cluster (Cluster::add_servers): what a violation's
  // time and nodes (CheckResult::at/on) are read from.
  void set_clock(std::function<Time()> clock) { clock_ = std::move(clock); }
  void set_brokers(std::vector<NodeId> brokers) { brokers_ = std::move(brokers); }

  // ---- told by the parts
  void on_acked(TopicPartition tp, int64_t offset, uint64_t key, uint64_t digest, int acks);
  void on_consumed(TopicPartition tp, int64_t offset, uint64_t key, uint64_t digest);
  void on_election(TopicPartition tp, int32_t leader, int32_t leader_epoch, bool clean);
  void on_partition_state(const PartitionState& state);
  void on_truncated(int32_t broker, TopicPartition tp, int64_t from, int64_t to);
  void attach(int32_t broker, TopicPartition tp, const PartitionLog* log);
  void detach(int32_t broker, TopicPartition tp, const PartitionLog* log);

  // ---- checks
  // Every record acknowledged with acks=all (and with acks=1 too if
  // include_acks_one) is at its offset in the current leader's log, or,
  // while the leader is down, in the log of every live ISR member.
  std::optional<CheckResult> no_acked_record_lost(bool include_acks_one = false) const;
  // Any two consumers that read the same offset of a partition saw the
  // same record.
  std::optional<CheckResult> consistent_prefix() const;
  // The live replicas of each partition agree on every offset below the
  // shortest one's end (a follower truncated what diverged).
  std::optional<CheckResult> replicas_consistent() const;

  // ---- what happened
  struct Election {
    TopicPartition tp;
    int32_t leader = -1;
    int32_t leader_epoch = 0;
    bool clean = true;
  };
  const std::vector<Election>& elections() const { return elections_; }
  size_t unclean_elections() const;
  size_t acked_records() const { return acked_count_; }
  size_t truncations() const { return truncations_; }
  // The controller's latest state of the partition (leader -1 before any).
  PartitionState state(TopicPartition tp) const;
  // The attached replica of broker, or nullptr if it is down.
  const PartitionLog* replica(int32_t broker, TopicPartition tp) const;

 private:
  struct Seen {
    uint64_t key = 0;
    uint64_t digest = 0;
    int acks = -1;
    Time at;  // when it was acknowledged (or first read)
  };
  struct Truncation {
    Time at;
    int64_t to = 0;  // the log's end after it
  };
  std::optional<CheckResult> lost(TopicPartition tp, int64_t offset, const Seen& acked) const;
  Time now() const { return clock_ ? clock_() : Time::zero(); }
  // The broker's node, for CheckResult::on; none for an unknown broker.
  std::vector<NodeId> broker_nodes(std::initializer_list<int32_t> brokers) const;
  // When broker's log of tp lost offset: its last truncation below it
  // after `since`, else `since` (the acknowledgement) itself.
  Time lost_at(int32_t broker, TopicPartition tp, int64_t offset, Time since) const;

  // Every record acknowledged at an offset: after a loss a later one may
  // take the same offset, and both must be checked.
  std::map<std::pair<TopicPartition, int64_t>, std::vector<Seen>> acked_;
  size_t acked_count_ = 0;
  std::map<std::pair<TopicPartition, int64_t>, Seen> consumed_;
  std::optional<CheckResult> inconsistent_read_;
  std::vector<Election> elections_;
  std::map<TopicPartition, PartitionState> states_;
  std::map<std::pair<int32_t, TopicPartition>, const PartitionLog*> replicas_;
  size_t truncations_ = 0;
  std::map<std::pair<int32_t, TopicPartition>, std::vector<Truncation>> truncated_;
  std::function<Time()> clock_;
  std::vector<NodeId> brokers_;
};

}  // namespace detsim::parts::plog
