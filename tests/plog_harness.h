// A small world running the replicated partitioned log
// (models/parts/plog): the controller and brokers as servers, test code as
// clients, and the observer's checks taken before the fibers unwind.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/parts/plog/cluster.h"
#include "models/parts/plog/consumer.h"
#include "models/parts/plog/observer.h"
#include "models/parts/plog/partition_log.h"
#include "models/parts/plog/producer.h"
#include "sim/world/world.h"

namespace detsim::testing {

using namespace time_literals;
namespace plog = parts::plog;

inline plog::LogConfig one_topic(int32_t partitions = 1, int32_t replication = 3, int32_t min_insync = 2) {
  plog::LogConfig config;
  config.topics.push_back({"events", partitions, replication, min_insync});
  return config;
}

struct PlogHarness {
  explicit PlogHarness(plog::LogConfig config, NetworkOptions network = {}, uint64_t seed = 1, Duration limit = 20_s,
                       DiskOptions disk = {})
      : cluster(std::move(config), &observer) {
    EngineOptions options;
    options.seed = seed;
    options.time_limit = Time::zero() + limit;
    engine = std::make_unique<Engine>(options);
    WorldOptions world_options;
    world_options.network = network;
    world_options.disk = disk;
    world = std::make_unique<World>(*engine, Rng(seed), world_options);
    cluster.add_servers(*world);
  }
  void client(std::string name, std::function<void(Context&)> main) { world->add_client(std::move(name), main); }
  // Runs to the time limit; the checks run with every fiber still in place.
  StopReason run() {
    world->start();
    return engine->run([this] {
      lost = observer.no_acked_record_lost();
      inconsistent_reads = observer.consistent_prefix();
      diverged = observer.replicas_consistent();
      if (before_unwind) before_unwind();
    });
  }
  // Runs action at the given time of the run (from a client fiber), for the
  // world's fault API: crash, restart, partition, heal_network.
  void at(Duration when, std::function<void()> action) {
    world->add_client(fmt::format("director{}", directors++), [when, action](Context& ctx) {
      ctx.sleep_until(Time::zero() + when);
      action();
    });
  }
  // Cuts the node off from every other node.
  void isolate(NodeId node) {
    std::vector<NodeId> others;
    for (uint32_t i = 0; i < world->node_count(); ++i) {
      if (NodeId(i) != node) others.push_back(NodeId(i));
    }
    world->partition({{node}, others});
  }
  NodeId broker(int32_t b) const { return cluster.brokers()[static_cast<size_t>(b)]; }
  // The broker's records of tp, offset by offset (empty if it is down).
  std::vector<std::string> values(int32_t b, plog::TopicPartition tp) const {
    std::vector<std::string> out;
    const plog::PartitionLog* log = observer.replica(b, tp);
    if (log == nullptr) return out;
    for (const plog::Batch& batch : log->batches()) {
      for (const plog::Record& record : batch.records) out.push_back(record.value);
    }
    return out;
  }

  plog::Observer observer;
  plog::Cluster cluster;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<World> world;
  std::function<void()> before_unwind;
  int directors = 0;
  std::optional<CheckResult> lost;
  std::optional<CheckResult> inconsistent_reads;
  std::optional<CheckResult> diverged;
};

inline std::vector<plog::Record> records(const std::string& prefix, int first, int count) {
  std::vector<plog::Record> out;
  for (int i = first; i < first + count; ++i) {
    out.push_back({static_cast<uint64_t>(i), fmt::format("{}{}", prefix, i), 0});
  }
  return out;
}

}  // namespace detsim::testing
