#include "models/log_mirror/mirror.h"

#include <fmt/format.h>

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "models/log_mirror/checks.h"
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

// How many offset-syncs a partition keeps for translation: enough to reach
// back to a consumer group a few seconds behind the mirror.
constexpr size_t kSyncsKept = 1024;

// One target batch in flight: the source offsets it carries.
struct InFlight {
  int64_t first = 0;  // source offset of its first record
  int64_t next = 0;   // source offset after its last record
  std::vector<Record> records;
  Future<ProduceResult> result;
};

// A partition's pipeline, shared by its fetcher and acker fibers.
struct Pipeline {
  explicit Pipeline(Context& ctx) : changed(ctx), commits(ctx) {}
  TopicPartition source;
  TopicPartition target;
  int64_t position = 0;  // the next source offset to fetch
  uint64_t epoch = 0;    // bumped when a failed batch rewinds position
  bool draining = false;
  std::deque<InFlight> window;
  WaitQueue changed;                 // the window or the epoch changed
  Mailbox<int64_t> commits;          // source offsets to commit, latest wins
  std::map<int64_t, int64_t> syncs;  // acknowledged upstream -> downstream offsets
  bool sync_pending = false;         // a newer sync than the last one written
  int64_t committed = -1;            // the highest source offset committed
};

// Shared with its spawned fibers, which may still be unwinding after a
// crash when another fiber has let go of it.
class MirrorTask : public std::enable_shared_from_this<MirrorTask> {
 public:
  MirrorTask(Context& ctx, const MirrorParams& params, int region, int64_t task, const parts::plog::Cluster& source,
             const parts::plog::Cluster& target, Observer& observer)
      : ctx_(ctx),
        params_(params),
        region_(region),
        task_(task),
        source_(source),
        target_(target),
        observer_(observer) {}

  void start() {
    const std::string remote_topic = fmt::format("{}.{}", region_name(region_), kSourceTopic);
    for (int32_t p = 0; p < static_cast<int32_t>(params_.partitions); ++p) {
      if (p % params_.mirror_tasks != task_) continue;
      auto pipe = std::make_shared<Pipeline>(ctx_);
      pipe->source = {source_.topic_id(kSourceTopic), p};
      pipe->target = {target_.topic_id(remote_topic), p};
      pipelines_.push_back(pipe);
      auto self = shared_from_this();
      ctx_.spawn(fmt::format("mirror-{}", p), [self, pipe] { self->fetch_loop(*pipe); });
      ctx_.spawn(fmt::format("acker-{}", p), [self, pipe] { self->ack_loop(*pipe); });
      ctx_.spawn(fmt::format("commit-{}", p), [self, pipe] { self->commit_loop(*pipe); });
    }
    auto self = shared_from_this();
    ctx_.spawn("checkpoints", [self] { self->checkpoint_loop(); });
  }

 private:
  std::string group() const { return fmt::format("mm2-{}", region_name(region_)); }

  // Fetches from the source and sends each fetch as one target batch, at
  // most `inflight` of them unacknowledged. The acker fiber settles them.
  void fetch_loop(Pipeline& pipe) {
    Consumer consumer(ctx_, source_, group());
    pipe.position = consumer.committed(pipe.source).value_or(0);
    ctx_.sometimes("mirror_resumed_from_a_commit", pipe.position > 0);
    ProducerOptions options;
    options.max_in_flight = static_cast<int>(params_.inflight);
    options.request_timeout = wan_request_timeout(params_);
    Producer producer(ctx_, target_, options);
    while (true) {
      while (pipe.draining || pipe.window.size() >= static_cast<size_t>(params_.inflight)) {
        pipe.changed.wait_until(Time::max());
      }
      const uint64_t epoch = pipe.epoch;
      const int64_t from = pipe.position;
      const auto fetched = consumer.fetch(pipe.source, from, static_cast<size_t>(params_.batch_records), params_.poll);
      if (!fetched || fetched->empty() || epoch != pipe.epoch || pipe.draining) continue;
      std::vector<Record> records;
      for (const FetchedRecord& r : *fetched) records.push_back(r.record);
      Future<ProduceResult> result = producer.send_async(pipe.target, records);
      InFlight batch{fetched->front().offset, fetched->back().offset + 1, std::move(records), std::move(result)};
      pipe.position = batch.next;
      // The planted bug: the source offset is committed as the batch
      // leaves, not when the target has it.
      if (params_.commit_before_produce) pipe.commits.push(batch.next);
      pipe.window.push_back(std::move(batch));
      pipe.changed.notify_all();
    }
  }

  // Settles the window in order: an acknowledged batch commits its source
  // offset and records an offset-sync; a failed one rewinds the fetcher to
  // its first record once every later batch is settled too (the producer
  // fails those without sending them, so the target holds a prefix).
  void ack_loop(Pipeline& pipe) {
    while (true) {
      while (pipe.window.empty()) pipe.changed.wait_until(Time::max());
      const ProduceResult result = *pipe.window.front().result.get();
      InFlight done = std::move(pipe.window.front());
      pipe.window.pop_front();
      if (result.error == ProduceError::none) {
        on_acked(pipe, done, result.base_offset);
      } else {
        rewind(pipe, done.first);
      }
      pipe.changed.notify_all();
    }
  }

  void on_acked(Pipeline& pipe, const InFlight& batch, int64_t base_offset) {
    if (!params_.commit_before_produce) pipe.commits.push(batch.next);
    pipe.syncs[batch.first] = base_offset;
    while (pipe.syncs.size() > kSyncsKept) pipe.syncs.erase(pipe.syncs.begin());
    pipe.sync_pending = true;
    observer_.on_target_acked(region_, pipe.source.partition, batch.records, ctx_.now());
  }

  void rewind(Pipeline& pipe, int64_t first) {
    pipe.draining = true;
    ++pipe.epoch;
    ctx_.sometimes("mirror_batch_failed_and_rewound", true);
    while (!pipe.window.empty()) {
      const ProduceResult later = *pipe.window.front().result.get();
      if (later.error == ProduceError::none) on_acked(pipe, pipe.window.front(), later.base_offset);
      pipe.window.pop_front();
    }
    pipe.position = first;
    pipe.draining = false;
  }

  // Commits the source offset in the source cluster's __consumer_offsets,
  // one commit at a time, the latest first (commitAsync).
  void commit_loop(Pipeline& pipe) {
    Consumer committer(ctx_, source_, group());
    while (true) {
      std::optional<int64_t> next = pipe.commits.pop();
      while (std::optional<int64_t> newer = pipe.commits.try_pop()) next = newer;
      if (*next <= pipe.committed) continue;
      if (committer.commit(pipe.source, *next)) {
        pipe.committed = *next;
        observer_.on_mirror_committed(region_, pipe.source.partition, *next);
      }
    }
  }

  // Every sync_interval: MM2's offset-syncs (the latest acknowledged
  // upstream -> downstream pair), then the `app` group's checkpoints
  // (its committed source offset, translated), and a lag sample.
  void checkpoint_loop() {
    ProducerOptions options;
    options.request_timeout = wan_request_timeout(params_);
    Producer producer(ctx_, target_, options);
    Consumer app(ctx_, source_, kAppGroup);
    const TopicPartition syncs_tp{target_.topic_id(kOffsetSyncsTopic), 0};
    const TopicPartition checkpoints_tp{target_.topic_id(fmt::format("{}.checkpoints", region_name(region_))), 0};
    while (true) {
      ctx_.sleep_for(params_.sync_interval);
      for (const auto& pipe : pipelines_) {
        if (pipe->sync_pending && !pipe->syncs.empty()) {
          pipe->sync_pending = false;
          const auto& [upstream, downstream] = *pipe->syncs.rbegin();
          producer.send(syncs_tp, {OffsetPair{static_cast<uint32_t>(region_),
                                              static_cast<uint32_t>(pipe->source.partition), upstream, downstream}
                                       .encode()});
        }
        write_checkpoint(*pipe, app, producer, checkpoints_tp);
        if (const std::optional<int64_t> end = app.end_offset(pipe->source)) {
          observer_.on_lag(region_, pipe->source.partition, *end - std::max<int64_t>(pipe->committed, 0));
        }
      }
    }
  }

  void write_checkpoint(Pipeline& pipe, Consumer& app, Producer& producer, TopicPartition checkpoints_tp) {
    const std::optional<int64_t> committed = app.committed(pipe.source);
    if (!committed) return;
    const std::optional<int64_t> translated = translate(pipe.syncs, *committed, params_.translate_off_by_one);
    if (!translated) return;
    producer.send(checkpoints_tp, {OffsetPair{static_cast<uint32_t>(region_),
                                              static_cast<uint32_t>(pipe.source.partition), *committed, *translated}
                                       .encode()});
  }

  Context& ctx_;
  const MirrorParams& params_;
  int region_;
  int64_t task_;
  const parts::plog::Cluster& source_;
  const parts::plog::Cluster& target_;
  Observer& observer_;
  std::vector<std::shared_ptr<Pipeline>> pipelines_;
};

}  // namespace

void mirror_main(Context& ctx, const MirrorParams& params, int region, int64_t task, const parts::plog::Cluster& source,
                 const parts::plog::Cluster& target, Observer& observer) {
  observer.on_mirror_start();
  // The clusters share one Endpoint per node (Cluster::share_endpoints):
  // it owns the node's receive loop.
  source.endpoint(ctx);
  auto mirror = std::make_shared<MirrorTask>(ctx, params, region, task, source, target, observer);
  mirror->start();
  while (true) ctx.sleep_for(Duration::seconds(3600));
}

}  // namespace detsim::mirror
