#include "models/parts/plog/cluster.h"

#include <fmt/format.h>

#include "models/parts/plog/broker.h"
#include "models/parts/plog/controller.h"
#include "models/parts/plog/observer.h"

namespace detsim::parts::plog {

Cluster::Cluster(LogConfig config, Observer* observer) : config_(std::move(config)), observer_(observer) {
  const int32_t replication = std::min(3, config_.brokers);
  config_.topics.push_back(TopicSpec{kOffsetsTopic, config_.offsets_partitions, replication, std::min(2, replication)});
}

void Cluster::add_servers(Setup& setup, const std::string& prefix) {
  controller_ = setup.add_server(prefix + "ctl", [this](Context& ctx) { Controller(ctx, *this).run(); });
  for (int32_t b = 0; b < config_.brokers; ++b) {
    brokers_.push_back(setup.add_server(fmt::format("{}b{}", prefix, b),
                                        [this, b](Context& ctx) { std::make_shared<Broker>(ctx, *this, b)->run(); }));
  }
  if (observer_ != nullptr) {
    observer_->set_clock(setup.sim_time());
    observer_->set_brokers(brokers_);
  }
}

int32_t Cluster::topic_id(std::string_view name) const {
  for (size_t i = 0; i < config_.topics.size(); ++i) {
    if (config_.topics[i].name == name) return static_cast<int32_t>(i);
  }
  return -1;
}

std::vector<TopicPartition> Cluster::partitions() const {
  std::vector<TopicPartition> out;
  for (size_t t = 0; t < config_.topics.size(); ++t) {
    for (int32_t p = 0; p < config_.topics[t].partitions; ++p) out.push_back({static_cast<int32_t>(t), p});
  }
  return out;
}

std::vector<int32_t> Cluster::replicas(TopicPartition tp) const {
  int32_t n = tp.partition;
  for (int32_t t = 0; t < tp.topic; ++t) n += config_.topics[static_cast<size_t>(t)].partitions;
  const int32_t factor = std::min(topic(tp.topic).replication_factor, config_.brokers);
  std::vector<int32_t> out;
  for (int32_t i = 0; i < factor; ++i) out.push_back((n + i) % config_.brokers);
  return out;
}

int32_t Cluster::broker_index(NodeId node) const {
  for (size_t b = 0; b < brokers_.size(); ++b) {
    if (brokers_[b] == node) return static_cast<int32_t>(b);
  }
  return -1;
}

void Cluster::share_endpoints(const Cluster& owner) {
  // Invariant: one level of sharing, never a cycle.
  DETSIM_ASSERT(owner.endpoint_owner_ == nullptr && &owner != this);
  endpoint_owner_ = &owner;
}

Endpoint& Cluster::endpoint(Context& ctx) const {
  if (endpoint_owner_ != nullptr) return endpoint_owner_->endpoint(ctx);
  Slot& slot = endpoints_[ctx.self().index()];
  if (slot.endpoint && slot.incarnation == ctx.incarnation() && &slot.endpoint->context() == &ctx) {
    return *slot.endpoint;
  }
  if (slot.endpoint) retired_.push_back(std::move(slot.endpoint));
  slot.incarnation = ctx.incarnation();
  slot.endpoint = std::make_unique<Endpoint>(ctx);
  return *slot.endpoint;
}

}  // namespace detsim::parts::plog
