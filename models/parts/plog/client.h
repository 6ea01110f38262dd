// What the client libraries (Producer, Consumer) share: the node's
// Endpoint and a metadata cache filled from the controller or any broker.
#pragma once

#include <map>
#include <optional>

#include "models/parts/plog/cluster.h"
#include "models/parts/plog/messages.h"

namespace detsim::parts::plog {

class MetadataCache {
 public:
  MetadataCache(Context& ctx, const Cluster& cluster);
  // The partition's leader as last heard; refreshes once if it is unknown.
  std::optional<NodeId> leader(TopicPartition tp);
  // Asks the controller, then each broker in turn, until one answers; keeps
  // each partition's newest state (highest leader and partition epochs).
  bool refresh();

  Context& ctx() const { return ctx_; }
  const Cluster& cluster() const { return cluster_; }
  Endpoint& endpoint() const { return endpoint_; }

 private:
  Context& ctx_;
  const Cluster& cluster_;
  Endpoint& endpoint_;
  std::map<TopicPartition, PartitionState> partitions_;
  size_t next_source_ = 0;
};

}  // namespace detsim::parts::plog
