#include "models/outbox/consumer.h"

#include <fmt/format.h>

#include <memory>

#include "models/outbox/messages.h"
#include "models/outbox/schema.h"
#include "models/parts/plog/consumer.h"
#include "models/parts/row_store.h"

namespace detsim::outbox {
namespace {

class ConsumerNode {
 public:
  ConsumerNode(Context& ctx, const OutboxParams& params, const parts::plog::Cluster& log, Observer& observer,
               size_t index)
      : ctx_(ctx),
        params_(params),
        observer_(observer),
        store_(ctx, store_options(observer, index)),
        consumer_(ctx, log, fmt::format("consumer-{}", index)),
        topic_(log.topic_id(kTopicName)) {
    store_.open();
  }

  // Reads one partition from its committed offset, forever.
  void run_partition(int32_t partition) {
    const parts::plog::TopicPartition tp{topic_, partition};
    // Never committed, or unreadable now: from the start. Redelivery is
    // safe, the effects are de-duplicated.
    int64_t position = consumer_.committed(tp).value_or(0);
    while (true) {
      const auto records =
          consumer_.fetch(tp, position, static_cast<size_t>(params_.consumer_batch), params_.request_timeout);
      if (!records) {  // no leader answered: wait out the failover
        ctx_.sleep_for(params_.poll_interval);
        continue;
      }
      int64_t next = position;
      for (const parts::plog::FetchedRecord& fetched : *records) {
        observer_.on_delivered();
        const std::optional<OrderEvent> event = OrderEvent::decode(fetched.record.value);
        // Invariant: only the service and the relay produce to this topic.
        DETSIM_ASSERT(event.has_value());
        ctx_.log("fetched p{} offset {} change {} order {} v{}", partition, fetched.offset, event->change, event->order,
                 event->version);
        if (!apply(*event)) break;
        next = fetched.offset + 1;
      }
      if (next == position) continue;
      // A failed commit is covered by the next one; until then a crash
      // redelivers, which the de-duplication absorbs.
      consumer_.commit(tp, next);
      position = next;
    }
  }

 private:
  static parts::RowStoreOptions store_options(Observer& observer, size_t index) {
    parts::RowStoreOptions options;
    options.dir = "consumer_db";
    options.on_commit = [&observer, index](const parts::DecodedTxn& txn) { observer.on_consumer_commit(index, txn); };
    options.on_replay = [&observer, index](const parts::DecodedTxn& txn) { observer.on_consumer_replay(index, txn); };
    return options;
  }

  // False when the effect could not be made durable: stop, and fetch again.
  bool apply(const OrderEvent& event) {
    const auto change = static_cast<parts::Key>(event.change);
    if (!params_.consumer_no_dedup && store_.get(kApplied, change) != nullptr) return true;
    ctx_.log("apply change {} order {} v{}", event.change, event.order, event.version);
    parts::RowStore::Txn txn = store_.begin();
    txn.put(kApplied, change, {event.order, event.version});
    txn.put(kOrderCopy, event.order, {event.version, event.status, event.amount});
    return store_.commit(std::move(txn)).status == parts::CommitStatus::committed;
  }

  Context& ctx_;
  const OutboxParams& params_;
  Observer& observer_;
  parts::RowStore store_;
  parts::plog::Consumer consumer_;
  int32_t topic_;
};

}  // namespace

void consumer_main(Context& ctx, const OutboxParams& params, const parts::plog::Cluster& log, Observer& observer,
                   size_t index) {
  auto node = std::make_shared<ConsumerNode>(ctx, params, log, observer, index);
  for (int32_t p = 1; p < params.partitions; ++p) {
    ctx.spawn(fmt::format("partition-{}", p), [node, p] { node->run_partition(p); });
  }
  node->run_partition(0);
}

}  // namespace detsim::outbox
