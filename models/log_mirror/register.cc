#include "models/log_mirror/register.h"

#include <fmt/format.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/log_mirror/clients.h"
#include "models/log_mirror/mirror.h"
#include "models/log_mirror/observer.h"
#include "models/log_mirror/params.h"
#include "models/parts/plog/cluster.h"
#include "models/parts/plog/observer.h"
#include "models/parts/plog/partition_log.h"

namespace detsim::mirror {
namespace {

namespace plog = parts::plog;

// A regional cluster: `orders`, RF 3, min.insync 2.
plog::LogConfig source_config(const MirrorParams& params) {
  plog::LogConfig config;
  config.topics.push_back({kSourceTopic, static_cast<int32_t>(params.partitions), 3, 2});
  config.unclean_election = params.unclean_election;
  return config;
}

// The aggregate cluster: MM2's remote topics `<region>.orders`, its
// offset-syncs topic and a checkpoints topic per source region.
plog::LogConfig aggregate_config(const MirrorParams& params) {
  plog::LogConfig config;
  for (int region = 0; region < kRegions; ++region) {
    config.topics.push_back(
        {fmt::format("{}.{}", region_name(region), kSourceTopic), static_cast<int32_t>(params.partitions), 3, 2});
  }
  config.topics.push_back({kOffsetSyncsTopic, 1, 3, 2});
  for (int region = 0; region < kRegions; ++region) {
    config.topics.push_back({fmt::format("{}.checkpoints", region_name(region)), 1, 3, 2});
  }
  // Its clients (mirror tasks, failed-over consumers) are across the WAN.
  config.client_timeout = Duration::milliseconds(200) + params.wan_rtt * 2;
  return config;
}

// The sequence numbers (record keys) a partition's log holds, in offset
// order: the leader's log, or, while it is down, the longest live replica's.
std::vector<uint64_t> log_keys(const plog::Observer& observer, const plog::Cluster& cluster, plog::TopicPartition tp) {
  const plog::PartitionState state = observer.state(tp);
  const plog::PartitionLog* log = state.leader >= 0 ? observer.replica(state.leader, tp) : nullptr;
  if (log == nullptr) {
    for (int32_t broker : cluster.replicas(tp)) {
      const plog::PartitionLog* replica = observer.replica(broker, tp);
      if (replica != nullptr && (log == nullptr || replica->end_offset() > log->end_offset())) log = replica;
    }
  }
  std::vector<uint64_t> keys;
  if (log == nullptr) return keys;
  for (const plog::Batch& batch : log->batches()) {
    for (const plog::Record& record : batch.records) keys.push_back(record.key);
  }
  return keys;
}

class MirrorModel final : public Model {
 public:
  explicit MirrorModel(const MirrorParams& params)
      : params_(params),
        sources_{std::make_unique<plog::Cluster>(source_config(params), &source_observers_[0]),
                 std::make_unique<plog::Cluster>(source_config(params), &source_observers_[1])},
        aggregate_(aggregate_config(params), &aggregate_observer_),
        observer_(params) {
    // Mirror tasks and failover consumers talk to two clusters.
    sources_[1]->share_endpoints(*sources_[0]);
    aggregate_.share_endpoints(*sources_[0]);
  }

  void setup(Setup& setup) override {
    std::vector<std::vector<NodeId>> regions(kRegions + 1);
    const Time stop_at = setup.heal_time();
    const Time failover_window_end = std::min(setup.heal_time(), setup.end_time());
    std::map<int, Observer::RegionNodes> placed;
    for (int region = 0; region < kRegions; ++region) {
      const plog::Cluster& source = *sources_[static_cast<size_t>(region)];
      sources_[static_cast<size_t>(region)]->add_servers(setup, fmt::format("{}-log-", region_name(region)));
      auto& nodes = regions[static_cast<size_t>(region)];
      nodes.push_back(source.controller());
      nodes.insert(nodes.end(), source.brokers().begin(), source.brokers().end());
      for (int64_t task = 0; task < params_.mirror_tasks; ++task) {
        nodes.push_back(setup.add_server(fmt::format("{}-mm{}", region_name(region), task),
                                         [this, region, task, &source](Context& ctx) {
                                           mirror_main(ctx, params_, region, task, source, aggregate_, observer_);
                                         }));
        placed[region].mirrors.push_back(nodes.back());
      }
      nodes.push_back(
          setup.add_client(fmt::format("{}-prod", region_name(region)), [this, region, &source, stop_at](Context& ctx) {
            producer_main(ctx, params_, region, source, observer_, stop_at);
          }));
      nodes.push_back(setup.add_client(
          fmt::format("{}-app", region_name(region)), [this, region, &source, failover_window_end](Context& ctx) {
            app_main(ctx, params_, region, source, aggregate_, observer_, failover_window_end);
          }));
      placed[region].app = nodes.back();
    }
    observer_.set_nodes(std::move(placed), setup.sim_time(), setup.end_time());
    aggregate_.add_servers(setup, "agg-log-");
    auto& agg = regions[kRegions];
    agg.push_back(aggregate_.controller());
    agg.insert(agg.end(), aggregate_.brokers().begin(), aggregate_.brokers().end());
    set_wan(setup, regions);
  }

  CheckResult check() override {
    // The clusters' own promises first: a record an ISR lost is the log's
    // fault before it is the mirror's.
    for (const plog::Observer* log : {&source_observers_[0], &source_observers_[1], &aggregate_observer_}) {
      for (const auto& failure : {log->no_acked_record_lost(), log->consistent_prefix()}) {
        if (failure) return *failure;
      }
    }
    return observer_.check(final_logs());
  }

  void report(MetricList& metrics) const override {
    observer_.report(metrics, final_logs());
    size_t unclean = 0;
    for (const plog::Observer& log : source_observers_) unclean += log.unclean_elections();
    metrics.push_back({"source_unclean_elections", static_cast<double>(unclean)});
  }

 private:
  // Every link between two regions: RTT/2 each way and the WAN bandwidth.
  void set_wan(Setup& setup, const std::vector<std::vector<NodeId>>& regions) const {
    const DurationDist one_way = DurationDist::constant(params_.wan_rtt / 2);
    const double bytes_per_s = params_.wan_mbps * 1e6;
    for (size_t a = 0; a < regions.size(); ++a) {
      for (size_t b = 0; b < regions.size(); ++b) {
        if (a == b) continue;
        for (NodeId from : regions[a]) {
          for (NodeId to : regions[b]) {
            setup.set_link_latency(from, to, one_way);
            if (bytes_per_s > 0) setup.set_link_bandwidth(from, to, bytes_per_s);
          }
        }
      }
    }
  }

  std::map<SourcePartition, PartitionLogs> final_logs() const {
    std::map<SourcePartition, PartitionLogs> logs;
    std::map<int, Observer::RegionNodes> placed;
    for (int region = 0; region < kRegions; ++region) {
      const plog::Cluster& source = *sources_[static_cast<size_t>(region)];
      const int32_t remote = aggregate_.topic_id(fmt::format("{}.{}", region_name(region), kSourceTopic));
      for (int32_t p = 0; p < static_cast<int32_t>(params_.partitions); ++p) {
        PartitionLogs& l = logs[{region, p}];
        l.source = log_keys(source_observers_[region], source, {source.topic_id(kSourceTopic), p});
        l.target = log_keys(aggregate_observer_, aggregate_, {remote, p});
      }
    }
    return logs;
  }

  MirrorParams params_;
  plog::Observer source_observers_[kRegions];
  std::unique_ptr<plog::Cluster> sources_[kRegions];
  plog::Observer aggregate_observer_;
  plog::Cluster aggregate_;
  Observer observer_;
};

}  // namespace

ModelInfo model_info() {
  return ModelInfo{
      .name = "log_mirror",
      .summary =
          "MirrorMaker-2-style geo-mirroring: two regional replicated logs mirrored over a WAN into an aggregate "
          "cluster, with offset-syncs, checkpoints and a consumer that fails over to the aggregate",
      .params = bindings().specs(),
      .bugs = bindings().bugs(),
      .probes =
          {
              {"mirror_batch_failed_and_rewound", "a target batch failed; the mirror re-read from its first record"},
              {"app_failed_over_with_a_checkpoint", "a failover consumer found a checkpoint for its partition"},
              {"mirror_resumed_from_a_commit", "a mirror task (re)started at a committed source offset above 0"},
          },
      .make = [](const Params& params) -> std::unique_ptr<Model> {
        return std::make_unique<MirrorModel>(bindings().read(params));
      },
  };
}

}  // namespace detsim::mirror
