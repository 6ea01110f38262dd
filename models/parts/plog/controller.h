// The controller: one server node that owns the partitions' metadata
// (leader, leader epoch, ISR, partition epoch) on its disk, tracks broker
// liveness by heartbeats, elects leaders and pushes LeaderAndIsr. It
// stands in for Kafka's controller quorum (KRaft, KIP-500) with a single
// node: while it is down nothing fails over, and it restarts from its disk.
//
// Elections follow the Kafka design's "Replication" section: a clean
// election picks a live ISR member; with none the partition stays offline,
// unless unclean_election lets any live replica lead. A broker whose
// session expires (or that comes back as a new incarnation) leaves every
// ISR of which it is not the last member, as KRaft fences it.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "models/parts/plog/cluster.h"
#include "models/parts/plog/messages.h"

namespace detsim::parts::plog {

class Controller {
 public:
  Controller(Context& ctx, const Cluster& cluster);
  void run();

 private:
  struct Liveness {
    bool alive = true;
    bool incarnation_known = false;
    uint32_t incarnation = 0;
    Time last_heartbeat;
    int64_t applied_version = -1;
  };

  void load();
  void persist();
  void tick();
  void on_heartbeat(NodeId from, const Heartbeat& heartbeat);
  void on_alter_partition(NodeId from, const AlterPartition& request);
  void broker_failed(int32_t broker);
  // Picks a leader for state if its leader is gone; true if it changed.
  bool elect(PartitionState& state);
  void commit_changes();
  void push(int32_t broker);
  PartitionState* find(TopicPartition tp);

  Context& ctx_;
  const Cluster& cluster_;
  Endpoint& endpoint_;
  std::vector<PartitionState> partitions_;
  int64_t version_ = 0;
  std::vector<Liveness> brokers_;
  bool dirty_ = false;
};

}  // namespace detsim::parts::plog
