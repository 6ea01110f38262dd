// A replicated partitioned log after Kafka (docs/parts.md, "Replicated
// partitioned log"): one controller node and `brokers` broker nodes, built
// in a Model's setup(). The Cluster holds the static layout (topics,
// replica assignment, node ids) and each node incarnation's Endpoint; the
// nodes' state lives on their fibers and disks.
//
//   Cluster cluster(config, &observer);           // a Model member
//   cluster.add_servers(setup, "log-");           // in Model::setup
//   Producer producer(ctx, cluster, {});          // on any node's fiber
//   producer.send({cluster.topic_id("orders"), 0}, {Record{1, "v"}});
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "models/parts/plog/config.h"
#include "models/parts/plog/endpoint.h"
#include "sim/api/model.h"

namespace detsim::parts::plog {

class Observer;

class Cluster {
 public:
  // Adds the internal topic __consumer_offsets after config.topics.
  explicit Cluster(LogConfig config, Observer* observer = nullptr);
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // Adds the controller and the brokers as servers named prefix+"ctl",
  // prefix+"b0", ...
  void add_servers(Setup& setup, const std::string& prefix = "");

  const LogConfig& config() const { return config_; }
  const std::vector<NodeId>& brokers() const { return brokers_; }
  NodeId controller() const { return controller_; }
  // The topic's index, or -1 if there is none of that name.
  int32_t topic_id(std::string_view name) const;

  // ---- for the parts of the log
  const std::vector<TopicSpec>& topics() const { return config_.topics; }
  const TopicSpec& topic(int32_t id) const { return config_.topics.at(static_cast<size_t>(id)); }
  int32_t offsets_topic() const { return static_cast<int32_t>(config_.topics.size()) - 1; }
  std::vector<TopicPartition> partitions() const;
  // Deterministic round robin (Kafka's assignment without the random
  // start): the n-th partition of the cluster, counted over topics in
  // order, has replicas n, n+1, ... modulo the broker count.
  std::vector<int32_t> replicas(TopicPartition tp) const;
  // The broker's index, or -1 if the node is not a broker.
  int32_t broker_index(NodeId node) const;
  Observer* observer() const { return observer_; }
  // The node incarnation's Endpoint (endpoint.h), created on first use.
  Endpoint& endpoint(Context& ctx) const;
  // For nodes that are clients of several clusters (a mirror reads one and
  // writes another): this cluster's endpoint(ctx) becomes owner's, so one
  // dispatcher owns the node's receive loop. Two Endpoints on one node
  // would each take datagrams meant for the other's calls. Call it in the
  // Model's constructor or setup(), before any node runs; owner must not
  // share another's itself and must outlive this cluster's nodes.
  void share_endpoints(const Cluster& owner);

 private:
  LogConfig config_;
  Observer* observer_;
  const Cluster* endpoint_owner_ = nullptr;
  NodeId controller_;
  std::vector<NodeId> brokers_;
  // By node: the current incarnation's endpoint. Replaced ones are kept
  // (retired_) because a crashed incarnation's fibers may still unwind
  // through them.
  struct Slot {
    uint32_t incarnation = 0;
    std::unique_ptr<Endpoint> endpoint;
  };
  mutable std::map<uint32_t, Slot> endpoints_;
  mutable std::vector<std::unique_ptr<Endpoint>> retired_;
};

}  // namespace detsim::parts::plog
