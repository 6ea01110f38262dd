// The geo-mirroring model's oracle and meter: told by the source producers
// what each source acknowledged, by the mirror tasks what the target
// acknowledged and what they committed, and by the failover consumers
// where they failed over and what they read after it. At the end it takes
// the source and target partitions' logs (what the clusters hold) and
// checks the invariants of checks.h (docs/log_mirror.md, "Invariants").
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "models/log_mirror/params.h"
#include "models/parts/plog/messages.h"
#include "sim/api/metrics.h"
#include "sim/api/model.h"

namespace detsim::mirror {

// One source partition: its key (region, partition).
using SourcePartition = std::pair<int, int32_t>;

// What the clusters hold at the end: each partition's sequence numbers in
// offset order, and the offset of each.
struct PartitionLogs {
  std::vector<uint64_t> source;
  std::vector<uint64_t> target;
};

class Observer {
 public:
  explicit Observer(const MirrorParams& params);
  Observer(const Observer&) = delete;
  Observer& operator=(const Observer&) = delete;

  // ---- the model (setup): what a violation's time and nodes
  // (CheckResult::at/on) are read from. A region's mirror tasks move its
  // records; its app fails over; end_at is the liveness deadline.
  struct RegionNodes {
    std::vector<NodeId> mirrors;
    NodeId app;
  };
  void set_nodes(std::map<int, RegionNodes> regions, std::function<Time()> clock, Time end_at);

  // ---- source producers
  void on_source_acked(int region, int32_t partition, uint64_t seq, int64_t offset);
  // ---- mirror tasks
  void on_mirror_start() { ++mirror_starts_; }
  void on_target_acked(int region, int32_t partition, const std::vector<parts::plog::Record>& records, Time at);
  void on_mirror_committed(int region, int32_t partition, int64_t next_offset);
  void on_lag(int region, int32_t partition, int64_t records);
  // ---- failover consumers
  // The consumer processed source offsets [0, committed) and reads the
  // target from `translated` on.
  void on_failover(int region, int32_t partition, int64_t committed, int64_t translated);
  void on_read_after_failover(int region, int32_t partition, uint64_t seq);

  // The invariants, given each source partition's logs at the end.
  CheckResult check(const std::map<SourcePartition, PartitionLogs>& logs) const;
  void report(MetricList& metrics, const std::map<SourcePartition, PartitionLogs>& logs) const;

 private:
  struct Failover {
    int64_t committed = 0;
    int64_t translated = 0;
    std::vector<uint64_t> read;
    Time at;
  };
  struct Partition {
    std::map<uint64_t, int64_t> acked;  // seq -> source offset, acknowledged to its producer
    int64_t committed = 0;              // the mirror's highest committed source offset
    uint64_t mirrored_up_to = 0;        // the highest seq the target acknowledged (for first deliveries)
    int64_t lag_last = 0;
    int64_t lag_max = 0;
    std::optional<Failover> failover;
    std::map<uint64_t, Time> acked_at;                   // seq -> when its source acknowledged it
    std::map<uint64_t, Time> target_acked_at;            // seq -> when the target first acknowledged it
    std::vector<std::pair<int64_t, Time>> commit_moves;  // the committed offset as it moved, and when
  };
  Time now() const { return clock_ ? clock_() : Time::zero(); }
  // The first time the mirror committed past offset; the end if never.
  Time committed_past(const Partition& p, int64_t offset) const;
  std::vector<NodeId> mirrors_of(int region) const;
  CheckResult placed(CheckResult result, int region, Time at) const;
  std::optional<CheckResult> check_partition(SourcePartition key, const Partition& p, const PartitionLogs& logs,
                                             std::optional<CheckResult>* liveness) const;

  MirrorParams params_;
  std::map<SourcePartition, Partition> partitions_;
  Histogram age_;  // produce -> target acknowledged, first delivery of each record
  uint64_t mirrored_bytes_ = 0;
  std::optional<Time> first_mirrored_;
  Time last_mirrored_;
  uint64_t mirror_starts_ = 0;
  std::map<int, RegionNodes> regions_;
  std::function<Time()> clock_;
  Time end_at_;
};

}  // namespace detsim::mirror
