// The configuration of a replicated partitioned log (models/parts/plog):
// topics, brokers, the timings of the replication protocol and the two
// switches whose guarantees docs/parts.md compares (unclean election,
// fsync before counting).
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/api/basics.h"

namespace detsim::parts::plog {

struct TopicSpec {
  std::string name;
  int32_t partitions = 1;
  int32_t replication_factor = 3;
  // acks=all is refused (NOT_ENOUGH_REPLICAS) while the ISR is smaller.
  int32_t min_insync = 2;
};

struct TopicPartition {
  int32_t topic = 0;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

struct LogConfig {
  std::vector<TopicSpec> topics;
  int32_t brokers = 3;
  Duration heartbeat = Duration::milliseconds(100);
  Duration session_timeout = Duration::seconds(1);
  Duration replica_lag_max = Duration::seconds(1);
  Duration fetch_wait = Duration::milliseconds(50);
  // Any live replica may lead when no ISR member is alive, losing what it lacks.
  bool unclean_election = false;
  // Brokers fsync a batch before they count it (leader) or report it in
  // their fetch offset (follower).
  bool fsync = true;
  // The internal topic of committed consumer offsets.
  int32_t offsets_partitions = 3;
  // How long a client waits for a metadata reply, and at least for a
  // fetch reply. Raise it above the RTT for clients across a WAN: a reply
  // slower than this never counts, however often it is asked for.
  Duration client_timeout = Duration::milliseconds(200);
};

// The name of the internal topic that holds committed consumer offsets.
inline constexpr const char* kOffsetsTopic = "__consumer_offsets";

// What the controller decides for a partition (Kafka's PartitionRegistration):
// replicas are broker indexes (0 .. brokers-1), leader -1 means offline.
struct PartitionState {
  TopicPartition tp;
  std::vector<int32_t> replicas;
  int32_t leader = -1;
  int32_t leader_epoch = 0;
  std::vector<int32_t> isr;
  // Bumped on every change, the leader's and the ISR's (KIP-497 checks it).
  int32_t partition_epoch = 0;
  bool operator==(const PartitionState&) const = default;
};

inline bool contains(const std::vector<int32_t>& set, int32_t broker) {
  for (int32_t b : set) {
    if (b == broker) return true;
  }
  return false;
}

}  // namespace detsim::parts::plog
