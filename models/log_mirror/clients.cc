#include "models/log_mirror/clients.h"

#include <fmt/format.h>

#include <cmath>
#include <deque>
#include <map>
#include <utility>
#include <vector>

#include "models/log_mirror/records.h"
#include "models/parts/plog/consumer.h"
#include "models/parts/plog/producer.h"
#include "sim/api/sync.h"

namespace detsim::mirror {
namespace {

using parts::plog::Consumer;
using parts::plog::FetchedRecord;
using parts::plog::ProduceError;
using parts::plog::Producer;
using parts::plog::ProduceResult;
using parts::plog::ProducerOptions;
using parts::plog::Record;
using parts::plog::TopicPartition;

// Batches a producer lets wait for their answer before it blocks.
constexpr size_t kPendingBatches = 16;

struct Pending {
  Future<ProduceResult> result;
  std::vector<uint64_t> seqs;
};

void settle(Pending& pending, Observer& observer, int region, int32_t partition) {
  const ProduceResult result = *pending.result.get();
  // A failed batch is not retried: its records carry no promise, and the
  // next batch goes out under a fresh producer id (docs/parts.md).
  if (result.error != ProduceError::none) return;
  for (size_t i = 0; i < pending.seqs.size(); ++i) {
    observer.on_source_acked(region, partition, pending.seqs[i], result.base_offset + static_cast<int64_t>(i));
  }
}

void produce_partition(Context& ctx, const MirrorParams& params, int region, int32_t partition,
                       const parts::plog::Cluster& source, Observer& observer, Time stop_at) {
  ProducerOptions options;
  options.acks = params.acks_one ? 1 : -1;
  Producer producer(ctx, source, options);
  const TopicPartition tp{source.topic_id(kSourceTopic), partition};
  std::deque<Pending> pending;
  double due = 0;
  uint64_t seq = 0;
  while (ctx.now() < stop_at) {
    ctx.sleep_for(params.linger);
    due += partition_rate(params) * params.linger.to_seconds();
    const auto count = static_cast<uint64_t>(std::floor(due));
    due -= static_cast<double>(count);
    if (count > 0) {
      std::vector<Record> batch;
      std::vector<uint64_t> seqs;
      for (uint64_t i = 0; i < count; ++i) {
        const OrderRecord order{static_cast<uint32_t>(region), static_cast<uint32_t>(partition), ++seq,
                                (ctx.now() - Time::zero()).count_ns()};
        batch.push_back(order.encode(static_cast<size_t>(params.record_bytes)));
        seqs.push_back(seq);
      }
      pending.push_back({producer.send_async(tp, std::move(batch)), std::move(seqs)});
    }
    while (!pending.empty() && (pending.front().result.ready() || pending.size() > kPendingBatches)) {
      settle(pending.front(), observer, region, partition);
      pending.pop_front();
    }
  }
  for (Pending& p : pending) settle(p, observer, region, partition);
}

// The latest checkpoint of every partition of the region: the topic read
// from its start up to its end as of the failover (the mirror keeps adding
// to it, so "until a fetch finds nothing" might never come).
std::map<int32_t, OffsetPair> read_checkpoints(Context& ctx, const MirrorParams& params, int region,
                                               const parts::plog::Cluster& target) {
  Consumer reader(ctx, target, "app-failover");
  const TopicPartition tp{target.topic_id(fmt::format("{}.checkpoints", region_name(region))), 0};
  std::optional<int64_t> end;
  while (!end) end = reader.end_offset(tp);  // nullopt: the aggregate region is cut off
  std::map<int32_t, OffsetPair> latest;
  int64_t position = 0;
  while (position < *end) {
    const auto fetched = reader.fetch(tp, position, 500, params.poll + wan_request_timeout(params));
    for (const FetchedRecord& r : fetched.value_or(std::vector<FetchedRecord>{})) {
      if (const std::optional<OffsetPair> checkpoint = OffsetPair::decode(r.record)) {
        latest[static_cast<int32_t>(checkpoint->partition)] = *checkpoint;
      }
      position = r.offset + 1;
    }
  }
  return latest;
}

void consume_partition(Context& ctx, const MirrorParams& params, int region, int32_t partition,
                       const parts::plog::Cluster& source, const parts::plog::Cluster& target, Observer& observer,
                       Time failover_at) {
  Consumer consumer(ctx, source, kAppGroup);
  const TopicPartition tp{source.topic_id(kSourceTopic), partition};
  int64_t next = 0;
  Time last_commit = ctx.now();
  while (ctx.now() < failover_at) {
    const auto fetched = consumer.fetch(tp, next, 100, std::min(params.poll, failover_at - ctx.now()));
    for (const FetchedRecord& r : fetched.value_or(std::vector<FetchedRecord>{})) next = r.offset + 1;
    if (ctx.now() - last_commit >= params.app_commit_interval) {
      consumer.commit(tp, next);
      last_commit = ctx.now();
    }
  }
  // The region is gone for this consumer: what it read since its last
  // checkpointed commit is lost with it, and it resumes in the aggregate.
  const std::map<int32_t, OffsetPair> checkpoints = read_checkpoints(ctx, params, region, target);
  auto it = checkpoints.find(partition);
  const int64_t committed = it == checkpoints.end() ? 0 : it->second.upstream;
  int64_t position = it == checkpoints.end() ? 0 : it->second.downstream;
  ctx.sometimes("app_failed_over_with_a_checkpoint", it != checkpoints.end());
  observer.on_failover(region, partition, committed, position);
  Consumer remote(ctx, target, kAppGroup);
  const TopicPartition remote_tp{target.topic_id(fmt::format("{}.{}", region_name(region), kSourceTopic)), partition};
  while (true) {
    const auto fetched = remote.fetch(remote_tp, position, 100, params.poll + wan_request_timeout(params));
    for (const FetchedRecord& r : fetched.value_or(std::vector<FetchedRecord>{})) {
      observer.on_read_after_failover(region, partition, r.record.key);
      position = r.offset + 1;
    }
  }
}

}  // namespace

void producer_main(Context& ctx, const MirrorParams& params, int region, const parts::plog::Cluster& source,
                   Observer& observer, Time stop_at) {
  source.endpoint(ctx);
  for (int32_t p = 0; p < static_cast<int32_t>(params.partitions); ++p) {
    ctx.spawn(fmt::format("produce-{}", p), [&ctx, &params, region, p, &source, &observer, stop_at] {
      produce_partition(ctx, params, region, p, source, observer, stop_at);
    });
  }
  while (true) ctx.sleep_for(Duration::seconds(3600));
}

void app_main(Context& ctx, const MirrorParams& params, int region, const parts::plog::Cluster& source,
              const parts::plog::Cluster& target, Observer& observer, Time heal_at) {
  source.endpoint(ctx);
  // Somewhere in the faulty stretch of the run, so that the checkpoint it
  // finds may be recent or stale.
  const Duration earliest = (heal_at - Time::zero()) * 3 / 10;
  const Duration latest = (heal_at - Time::zero()) * 9 / 10;
  const Time failover_at = Time::zero() + ctx.rng().uniform(earliest, latest);
  for (int32_t p = 0; p < static_cast<int32_t>(params.partitions); ++p) {
    ctx.spawn(fmt::format("app-{}", p), [&ctx, &params, region, p, &source, &target, &observer, failover_at] {
      consume_partition(ctx, params, region, p, source, target, observer, failover_at);
    });
  }
  while (true) ctx.sleep_for(Duration::seconds(3600));
}

}  // namespace detsim::mirror
