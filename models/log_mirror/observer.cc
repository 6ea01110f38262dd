#include "models/log_mirror/observer.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "models/log_mirror/checks.h"
#include "models/log_mirror/records.h"

namespace detsim::mirror {
namespace {

std::string name(SourcePartition key) { return fmt::format("{}/orders-{}", region_name(key.first), key.second); }

}  // namespace

Observer::Observer(const MirrorParams& params) : params_(params) {}

void Observer::set_nodes(std::map<int, RegionNodes> regions, std::function<Time()> clock, Time end_at) {
  regions_ = std::move(regions);
  clock_ = std::move(clock);
  end_at_ = end_at;
}

std::vector<NodeId> Observer::mirrors_of(int region) const {
  auto it = regions_.find(region);
  return it == regions_.end() ? std::vector<NodeId>{} : it->second.mirrors;
}

CheckResult Observer::placed(CheckResult result, int region, Time at) const {
  return std::move(result.at(at).on(mirrors_of(region)));
}

Time Observer::committed_past(const Partition& p, int64_t offset) const {
  for (const auto& [committed, at] : p.commit_moves) {
    if (committed > offset) return at;
  }
  return end_at_;
}

void Observer::on_source_acked(int region, int32_t partition, uint64_t seq, int64_t offset) {
  Partition& p = partitions_[{region, partition}];
  p.acked[seq] = offset;
  p.acked_at.emplace(seq, now());
}

void Observer::on_target_acked(int region, int32_t partition, const std::vector<parts::plog::Record>& records,
                               Time at) {
  Partition& p = partitions_[{region, partition}];
  for (const parts::plog::Record& record : records) {
    p.target_acked_at.try_emplace(record.key, at);
    if (record.key <= p.mirrored_up_to) continue;  // a re-delivery (sequence numbers start at 1)
    p.mirrored_up_to = record.key;
    age_.record(at - Time::zero() - Duration::nanoseconds(record.timestamp_ns));
    mirrored_bytes_ += record.size_bytes();
    if (!first_mirrored_) first_mirrored_ = at;
    last_mirrored_ = at;
  }
}

void Observer::on_mirror_committed(int region, int32_t partition, int64_t next_offset) {
  Partition& p = partitions_[{region, partition}];
  if (next_offset > p.committed) p.commit_moves.emplace_back(next_offset, now());
  p.committed = std::max(p.committed, next_offset);
}

void Observer::on_lag(int region, int32_t partition, int64_t records) {
  Partition& p = partitions_[{region, partition}];
  p.lag_last = records;
  p.lag_max = std::max(p.lag_max, records);
}

void Observer::on_failover(int region, int32_t partition, int64_t committed, int64_t translated) {
  partitions_[{region, partition}].failover = Failover{committed, translated, {}, now()};
}

void Observer::on_read_after_failover(int region, int32_t partition, uint64_t seq) {
  Partition& p = partitions_[{region, partition}];
  if (p.failover) p.failover->read.push_back(seq);
}

std::optional<CheckResult> Observer::check_partition(SourcePartition key, const Partition& p, const PartitionLogs& logs,
                                                     std::optional<CheckResult>* liveness) const {
  uint64_t record = 0;
  if (std::optional<std::string> disorder = first_disorder(logs.source, logs.target, -1, &record)) {
    // Found in the final logs; the step is the target taking the record
    // out of order, from one of the region's mirror tasks.
    auto written = p.target_acked_at.find(record);
    return placed(CheckResult::safety("target_in_order", fmt::format("{}: {}", name(key), *disorder)), key.first,
                  written == p.target_acked_at.end() ? end_at_ : written->second);
  }
  const std::set<uint64_t> in_target(logs.target.begin(), logs.target.end());
  std::map<uint64_t, int64_t> source_offset;
  for (size_t i = 0; i < logs.source.size(); ++i) source_offset.emplace(logs.source[i], static_cast<int64_t>(i));
  for (const auto& [seq, acked_offset] : p.acked) {
    auto at = source_offset.find(seq);
    const int64_t offset = at == source_offset.end() ? -1 : at->second;
    switch (acked_fate(in_target.count(seq) > 0, offset, p.committed)) {
      case AckedFate::mirrored: break;
      case AckedFate::lost_at_source:
        return placed(CheckResult::safety("no_acked_record_lost",
                                          fmt::format("{}: record {} acknowledged at offset {} is gone from the source "
                                                      "log",
                                                      name(key), seq, acked_offset)),
                      key.first, p.acked_at.count(seq) > 0 ? p.acked_at.at(seq) : end_at_);
      case AckedFate::skipped:
        // The step: the mirror committed past a record it never produced.
        return placed(
            CheckResult::safety("no_acked_record_lost",
                                fmt::format("{}: record {} at source offset {} is not in the target, yet the mirror "
                                            "committed {}",
                                            name(key), seq, offset, p.committed)),
            key.first, committed_past(p, offset));
      case AckedFate::not_yet_mirrored:
        if (!*liveness) {
          *liveness = placed(CheckResult::liveness("mirror_lag_zero_after_heal",
                                                   fmt::format("{}: acknowledged record {} (offset {}) not mirrored "
                                                               "by the end",
                                                               name(key), seq, offset)),
                             key.first, end_at_);
        }
        break;
    }
  }
  if (p.failover) {
    if (std::optional<std::string> skip = first_disorder(logs.source, p.failover->read, p.failover->committed - 1)) {
      CheckResult skipped = CheckResult::safety(
          "failover_never_skips", fmt::format("{}: failed over at committed offset {} to target offset "
                                              "{}: {}",
                                              name(key), p.failover->committed, p.failover->translated, *skip));
      // The step is the failover's offset translation, by the region's app.
      std::vector<NodeId> nodes;
      if (auto region = regions_.find(key.first); region != regions_.end()) nodes.push_back(region->second.app);
      return std::move(skipped.at(p.failover->at).on(std::move(nodes)));
    }
  }
  const auto source_end = static_cast<int64_t>(logs.source.size());
  if (!*liveness && (covered_end(logs.source, logs.target) + 1 < source_end || p.committed < source_end)) {
    *liveness = placed(CheckResult::liveness(
                           "mirror_lag_zero_after_heal",
                           fmt::format("{}: the source holds {} records, the target covers {}, the mirror "
                                       "committed {}",
                                       name(key), source_end, covered_end(logs.source, logs.target) + 1, p.committed)),
                       key.first, end_at_);
  }
  return std::nullopt;
}

CheckResult Observer::check(const std::map<SourcePartition, PartitionLogs>& logs) const {
  std::optional<CheckResult> liveness;
  for (const auto& [key, partition_logs] : logs) {
    auto it = partitions_.find(key);
    const Partition empty;
    if (auto failure = check_partition(key, it == partitions_.end() ? empty : it->second, partition_logs, &liveness)) {
      return *failure;
    }
  }
  return liveness ? *liveness : CheckResult::ok();
}

void Observer::report(MetricList& metrics, const std::map<SourcePartition, PartitionLogs>& logs) const {
  uint64_t dupes = 0;
  uint64_t target_records = 0;
  uint64_t source_records = 0;
  for (const auto& [key, l] : logs) {
    dupes += duplicates(l.target);
    target_records += l.target.size();
    source_records += l.source.size();
  }
  uint64_t acked = 0;
  int64_t lag_max = 0;
  int64_t lag_last = 0;
  uint64_t failovers = 0;
  for (const auto& [key, p] : partitions_) {
    acked += p.acked.size();
    lag_max = std::max(lag_max, p.lag_max);
    lag_last = std::max(lag_last, p.lag_last);
    failovers += p.failover ? 1 : 0;
  }
  const double span = first_mirrored_ ? (last_mirrored_ - *first_mirrored_).to_seconds() : 0;
  const double partitions = static_cast<double>(params_.partitions * kRegions);
  const double rtt = params_.wan_rtt.to_seconds();
  const double window_bytes = static_cast<double>(params_.inflight * params_.batch_records) * record_size(params_);
  metrics.push_back({"source_records", static_cast<double>(source_records)});
  metrics.push_back({"acked_records", static_cast<double>(acked)});
  metrics.push_back({"target_records", static_cast<double>(target_records)});
  metrics.push_back({"duplicates", static_cast<double>(dupes)});
  metrics.push_back({"lag_max_records", static_cast<double>(lag_max)});
  metrics.push_back({"lag_last_records", static_cast<double>(lag_last)});
  metrics.push_back({"age_p50_s", age_.quantile_s(0.5)});
  metrics.push_back({"age_p99_s", age_.quantile_s(0.99)});
  metrics.push_back({"age_p999_s", age_.quantile_s(0.999)});
  metrics.push_back({"age_max_s", age_.max().to_seconds()});
  metrics.push_back({"mirror_mbps", span > 0 ? static_cast<double>(mirrored_bytes_) / span / 1e6 : 0});
  metrics.push_back({"offered_mbps", partition_rate(params_) * record_size(params_) * partitions / 1e6});
  // The window bound: a partition has at most `inflight` batches of
  // `batch_records` unacknowledged, each acknowledged one RTT after it left.
  metrics.push_back({"window_bound_mbps", rtt > 0 ? window_bytes / rtt * partitions / 1e6 : 0});
  metrics.push_back({"mirror_starts", static_cast<double>(mirror_starts_)});
  metrics.push_back({"failovers", static_cast<double>(failovers)});
}

}  // namespace detsim::mirror
