#include "models/cdc_fanin/loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>
#include <tuple>
#include <utility>
#include <vector>

#include "models/cdc_fanin/schema.h"
#include "models/parts/plog/consumer.h"
#include "models/parts/row_store.h"
#include "sim/api/sync.h"

namespace detsim::cdc {
namespace {

using parts::plog::FetchedRecord;
using parts::plog::TopicPartition;

// The events of one source transaction (part 0) or one DBLog chunk (part
// 1), as far as they have been fetched.
struct Group {
  int64_t first_offset = 0;
  uint32_t count = 0;
  std::map<uint32_t, ChangeEvent> events;  // by index; a redelivered event replaces its copy
  bool complete() const { return events.size() == count; }
};
using GroupId = std::pair<parts::Lsn, uint32_t>;  // (lsn, part)

// Merge order of a warehouse row's versions: (lsn, part, index).
std::tuple<int64_t, int64_t, int64_t> position_of(const parts::Row& row) {
  return {row[wh_col::lsn], row[wh_col::part], row[wh_col::index]};
}

parts::Row warehouse_row(const ChangeEvent& e) {
  parts::Row row{static_cast<int64_t>(e.lsn), e.part, e.index, e.erase ? 1 : 0};
  row.insert(row.end(), e.row.begin(), e.row.end());
  return row;
}

// Shared with its spawned fibers, which may still be unwinding after a
// crash when another fiber has let go of it.
class Loader : public std::enable_shared_from_this<Loader> {
 public:
  Loader(Context& ctx, const CdcParams& params, const parts::plog::Cluster& log, Observer& observer)
      : ctx_(ctx), params_(params), log_(log), observer_(observer), store_(ctx, options(observer)) {
    for (int64_t w = 0; w < params.loader_workers; ++w) workers_.push_back(std::make_unique<Mutex>(ctx));
    store_.open();
    observer_.on_warehouse_opened(store_, ctx.now());
    ctx.sometimes("loader_restarted_on_a_loaded_warehouse", store_.row_count(kWarehouseRows) > 0);
    observer_.on_loader_start();
  }

  // A worker is one sequential process (Kafka's poll loop): its
  // partitions are fetched by one fiber each, as a consumer prefetches
  // them, but merged and committed one batch at a time under its mutex.
  void partition_reader(int64_t worker, int32_t partition) {
    parts::plog::Consumer consumer(ctx_, log_, kLoaderGroup);
    const TopicPartition tp{log_.topic_id(kEventsTopic), partition};
    Cursor cursor{consumer.committed(tp).value_or(0), params_.batch_records};
    auto commits = std::make_shared<Mailbox<int64_t>>(ctx_);
    ctx_.spawn(fmt::format("commit-{}", partition),
               [self = shared_from_this(), tp, commits] { self->commit_loop(tp, *commits); });
    while (true) {
      if (!load_batch(consumer, tp, cursor, *workers_[static_cast<size_t>(worker)], *commits)) {
        ctx_.sleep_for(params_.poll);
      }
    }
  }

  // commitAsync: the partition's reader goes on fetching while its
  // offsets are committed (an acks=all produce to __consumer_offsets, a
  // few round trips). One commit at a time, the latest offset first: an
  // older commit never lands after a newer one, and a failed commit is
  // covered by the next. Waiting for each commit instead capped a
  // partition at one micro-batch per commit (seed 874 of the stock
  // scenario: a connector's snapshot loaded 6 s after its last chunk).
  void commit_loop(TopicPartition tp, Mailbox<int64_t>& commits) {
    parts::plog::Consumer committer(ctx_, log_, kLoaderGroup);
    while (true) {
      std::optional<int64_t> next = commits.pop();
      while (std::optional<int64_t> newer = commits.try_pop()) next = newer;
      committer.commit(tp, *next);
    }
  }

 private:
  struct Cursor {
    int64_t position = 0;
    int64_t fetch_size = 0;
  };

  static parts::RowStoreOptions options(Observer& observer) {
    parts::RowStoreOptions o;
    o.dir = "warehouse";
    o.on_commit = [&observer](const parts::DecodedTxn& txn) { observer.on_warehouse_commit(txn); };
    return o;
  }

  // One micro-batch of one partition; false if there was nothing to load.
  bool load_batch(parts::plog::Consumer& consumer, TopicPartition tp, Cursor& cursor, Mutex& worker,
                  Mailbox<int64_t>& commits) {
    const auto fetched =
        consumer.fetch(tp, cursor.position, static_cast<size_t>(cursor.fetch_size), params_.rpc_timeout);
    if (!fetched || fetched->empty()) return false;
    std::map<GroupId, Group> groups;
    for (const FetchedRecord& record : *fetched) {
      std::optional<ChangeEvent> event = ChangeEvent::decode(record.record.value);
      DETSIM_ASSERT(event.has_value());  // only connectors write this topic
      Group& group = groups[{event->lsn, event->part}];
      if (group.events.empty()) group.first_offset = record.offset;
      group.count = event->count;
      group.events[event->index] = std::move(*event);
    }
    // Whole transactions only. A group cut off by the fetch's end is
    // fetched again next time; an incomplete group with complete ones
    // after it was cut by a connector crash, and its retry follows.
    std::vector<const Group*> ready;
    const Group* last = nullptr;
    for (const auto& [id, group] : groups) {
      if (group.complete()) ready.push_back(&group);
      if (!last || group.first_offset > last->first_offset) last = &group;
    }
    const int64_t next = last->complete() ? fetched->back().offset + 1 : last->first_offset;
    std::sort(ready.begin(), ready.end(),
              [](const Group* a, const Group* b) { return a->first_offset < b->first_offset; });
    ready.erase(std::remove_if(ready.begin(), ready.end(), [next](const Group* g) { return g->first_offset >= next; }),
                ready.end());
    if (ready.empty()) {
      cursor.fetch_size = std::min<int64_t>(cursor.fetch_size * 2, 1 << 16);  // a transaction larger than a fetch
      return true;
    }
    cursor.fetch_size = params_.batch_records;
    observer_.on_delivered(fetched->size(), 0);
    if (params_.offset_before_write) {
      consumer.commit(tp, next);
      cursor.position = next;
      write(tp.partition, ready, worker);
      return true;
    }
    if (!write(tp.partition, ready, worker)) return true;  // not durable: fetch the same records again
    commits.push(next);                                    // commitAsync, outside the worker's mutex
    cursor.position = next;
    return true;
  }

  // One warehouse transaction: the groups' rows and the source's watermark.
  bool write(int64_t source, const std::vector<const Group*>& groups, Mutex& worker) {
    const Time queued = ctx_.now();
    LockGuard busy(worker);
    const Time started = ctx_.now();
    parts::RowStore::Txn txn = store_.begin();
    const parts::Row* mark = store_.get(kWarehouseMarks, source);
    parts::Row watermark = mark ? *mark : parts::Row{0, 0};
    uint64_t stale = 0;
    for (const Group* group : groups) {
      for (const auto& [index, event] : group->events) {
        if (event.snapshot_done) watermark[1] = 1;
        if (event.part == 0) watermark[0] = std::max<int64_t>(watermark[0], static_cast<int64_t>(event.lsn));
        if (is_data_table(event.table) && !merge(txn, event)) ++stale;
      }
    }
    txn.put(kWarehouseMarks, source, watermark);
    observer_.on_delivered(0, stale);
    ctx_.sometimes("loader_skipped_a_redelivered_event", stale > 0);
    size_t events = 0;
    for (const Group* group : groups) events += group->events.size();
    const Duration merge_cost = params_.merge_fixed + params_.merge_per_event * static_cast<int64_t>(events);
    if (merge_cost > Duration::zero()) ctx_.sleep_for(merge_cost);
    const bool committed = store_.commit(std::move(txn)).status == parts::CommitStatus::committed;
    observer_.on_batch(started - queued, ctx_.now() - started, started);
    return committed;
  }

  // MERGE ... WHEN MATCHED AND newer THEN UPDATE: upsert by key, deletes
  // as tombstones, and a version older than the row's (a redelivery, a
  // replay after a crash) changes nothing. False if it was stale.
  bool merge(parts::RowStore::Txn& txn, const ChangeEvent& e) {
    WarehouseKey key{e.source, e.table, 0, e.id};
    if (params_.loader_insert_not_upsert && e.insert) {
      // INSERT: a key that is there already gets another copy.
      while (txn.get(kWarehouseRows, pack(key)) != nullptr && key.copy + 1 < (int64_t{1} << kCopyBits)) ++key.copy;
      txn.put(kWarehouseRows, pack(key), warehouse_row(e));
      return true;
    }
    const parts::Row* existing = txn.get(kWarehouseRows, pack(key));
    const parts::Row incoming = warehouse_row(e);
    if (existing && position_of(*existing) >= position_of(incoming)) return false;
    txn.put(kWarehouseRows, pack(key), incoming);
    return true;
  }

  Context& ctx_;
  const CdcParams& params_;
  const parts::plog::Cluster& log_;
  Observer& observer_;
  std::vector<std::unique_ptr<Mutex>> workers_;
  parts::RowStore store_;
};

}  // namespace

void loader_main(Context& ctx, const CdcParams& params, const parts::plog::Cluster& log, Observer& observer) {
  auto loader = std::make_shared<Loader>(ctx, params, log, observer);
  for (int32_t p = 0; p < static_cast<int32_t>(params.sources); ++p) {
    const int64_t worker = p % params.loader_workers;
    ctx.spawn(fmt::format("partition-{}", p), [loader, worker, p] { loader->partition_reader(worker, p); });
  }
  // The node has no messages of its own; plog's Endpoint owns its receive loop.
  log.endpoint(ctx);
  while (true) ctx.sleep_for(Duration::seconds(3600));
}

}  // namespace detsim::cdc
