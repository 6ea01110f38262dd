#include "models/parts/plog/client.h"

#include <tuple>

namespace detsim::parts::plog {

namespace {
constexpr Duration kMetadataTimeout = Duration::milliseconds(200);
}  // namespace

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
    std::optional<Message> reply = endpoint_.call(source, MetadataRequest{}, kMetadataTimeout);
    const auto* metadata = reply ? reply->get_if<MetadataReply>() : nullptr;
    if (metadata == nullptr || metadata->partitions.empty()) {
      ++next_source_;
      continue;
    }
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
