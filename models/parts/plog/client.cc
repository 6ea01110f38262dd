#include "models/parts/plog/client.h"

#include <tuple>

namespace detsim::parts::plog {

MetadataCache::MetadataCache(Context& ctx, const Cluster& cluster)
    : ctx_(ctx), cluster_(cluster), endpoint_(cluster.endpoint(ctx)) {}

std::optional<NodeId> MetadataCache::leader(TopicPartition tp) {
  auto it = partitions_.find(tp);
  if (it == partitions_.end() || it->second.leader < 0) {
    refresh();
    it = partitions_.find(tp);
  }
  if (it == partitions_.end() || it->second.leader < 0) return std::nullopt;
  return cluster_.brokers()[static_cast<size_t>(it->second.leader)];
}

bool MetadataCache::refresh() {
  std::vector<NodeId> sources{cluster_.controller()};
  sources.insert(sources.end(), cluster_.brokers().begin(), cluster_.brokers().end());
  for (size_t attempt = 0; attempt < sources.size(); ++attempt) {
    const NodeId source = sources[next_source_ % sources.size()];
    std::optional<Message> reply = endpoint_.call(source, MetadataRequest{}, cluster_.config().client_timeout);
    const auto* metadata = reply ? reply->get_if<MetadataReply>() : nullptr;
    if (metadata == nullptr || metadata->partitions.empty()) {
      ++next_source_;
      continue;
    }
    // The next refresh asks the next source: one that keeps answering with
    // a stale view (cut off from the controller's pushes) cannot pin the
    // client, and the newest state of each partition wins below.
    ++next_source_;
    for (const PartitionState& state : metadata->partitions) {
      auto [it, fresh] = partitions_.try_emplace(state.tp, state);
      if (!fresh && std::tie(state.leader_epoch, state.partition_epoch) >
                        std::tie(it->second.leader_epoch, it->second.partition_epoch)) {
        it->second = state;
      }
    }
    return true;
  }
  return false;
}

}  // namespace detsim::parts::plog
