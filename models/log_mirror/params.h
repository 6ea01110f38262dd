// Knobs and planted bugs of the geo-mirroring model (docs/log_mirror.md):
// two regional plog clusters mirrored into an aggregate cluster in a third
// region over a WAN, as Kafka's MirrorMaker 2 does (KIP-382, KIP-545).
#pragma once

#include <cstdint>

#include "sim/api/bindings.h"

namespace detsim::mirror {

// Names of topics and groups, after MM2's conventions.
inline constexpr const char* kSourceTopic = "orders";
inline constexpr const char* kOffsetSyncsTopic = "mm2-offset-syncs";
inline constexpr const char* kAppGroup = "app";
inline constexpr int kRegions = 2;
inline const char* region_name(int region) { return region == 0 ? "us" : "eu"; }

struct MirrorParams {
  int64_t partitions = 2;                        // of `orders` in each region (and of `<region>.orders`)
  int64_t mirror_tasks = 1;                      // per region; task t mirrors partitions p with p % tasks == t
  double rate = 100;                             // records per second, per source partition
  double load_mbps = 0;                          // if > 0: the total offered MB/s of both regions, replacing rate
  int64_t record_bytes = 200;                    // payload bytes per record
  Duration linger = Duration::milliseconds(20);  // a source producer's batching interval
  int64_t batch_records = 64;                    // records per mirror fetch, and so per target batch
  int64_t inflight = 3;                          // target batches in flight per partition (<= 5)
  Duration wan_rtt = Duration::milliseconds(80);
  double wan_mbps = 10;                         // megabytes per second of each WAN link (one direction, node pair)
  Duration poll = Duration::milliseconds(100);  // a mirror fetch's wait for data when idle
  Duration sync_interval = Duration::milliseconds(200);  // offset-syncs, checkpoints and the lag sample
  Duration app_commit_interval = Duration::milliseconds(300);
  // Planted bugs.
  bool acks_one = false;
  bool unclean_election = false;
  bool translate_off_by_one = false;
  bool commit_before_produce = false;
};

inline const ParamBindings<MirrorParams>& bindings() {
  using P = MirrorParams;
  static const auto b =
      ParamBindings<P>()
          .integer("partitions", &P::partitions, "partitions of `orders` per region", 1, 64)
          .integer("mirror_tasks", &P::mirror_tasks, "mirror task nodes per region (partitions split by index)", 1, 64)
          .real("rate", &P::rate, "records per second per source partition", 0, 1e6)
          .swarm({"20", "60", "150"})
          .real("load_mbps", &P::load_mbps,
                "if > 0, the MB/s both regions offer in all (record bytes as plog counts them), spread evenly over "
                "the partitions; replaces rate",
                0, 1e6)
          .integer("record_bytes", &P::record_bytes, "payload bytes per record", 0, 1 << 20)
          .duration("linger", &P::linger, "a source producer's batching interval", 0.001, 10)
          .integer("batch_records", &P::batch_records, "records per mirror fetch and target batch", 1, 100'000)
          .swarm({"64", "256", "1024"})
          .integer("inflight", &P::inflight, "target batches in flight per partition", 1, 5)
          .swarm({"1", "3", "5"})
          .duration("wan_rtt", &P::wan_rtt, "round trip between regions (half each way)", 0, 10)
          .swarm({"20ms", "80ms", "200ms"})
          .real("wan_mbps", &P::wan_mbps, "MB/s of each WAN link, per direction and node pair (0: unlimited)", 0, 1e6)
          .duration("poll", &P::poll, "how long an idle mirror fetch waits for data", 0.001, 10)
          .duration("sync_interval", &P::sync_interval, "offset-syncs, checkpoints and lag samples, per task", 0.001,
                    60)
          .duration("app_commit_interval", &P::app_commit_interval, "the app consumer's commit interval", 0.001, 60)
          .bug("acks_one", &P::acks_one,
               "source producers use acks=1: a leader failover loses acknowledged records the mirror never saw")
          .bug("unclean_election", &P::unclean_election,
               "the source clusters let an out-of-sync replica lead: acknowledged records vanish")
          .bug("translate_off_by_one", &P::translate_off_by_one,
               "checkpoints translate a committed offset one record too far: a failed-over consumer skips one")
          .bug("commit_before_produce", &P::commit_before_produce,
               "the mirror commits the source offset when it sends a batch, before the target acknowledged it: "
               "a crash in between skips the batch");
  return b;
}

// A record's bytes as plog counts them (Record::size_bytes): key, timestamp
// and framing (24), the OrderRecord header (24) and the payload.
inline double record_size(const MirrorParams& params) { return 48.0 + static_cast<double>(params.record_bytes); }

// Records per second per source partition.
inline double partition_rate(const MirrorParams& params) {
  if (params.load_mbps <= 0) return params.rate;
  return params.load_mbps * 1e6 / record_size(params) / static_cast<double>(kRegions * params.partitions);
}

// Requests to the aggregate cluster cross the WAN: a produce attempt, or a
// fetch, waits for longer than a round trip (a call that gives up before
// its reply can come never succeeds).
inline Duration wan_request_timeout(const MirrorParams& params) {
  return Duration::milliseconds(500) + params.wan_rtt * 2;
}

}  // namespace detsim::mirror
