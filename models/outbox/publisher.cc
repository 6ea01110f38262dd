#include "models/outbox/publisher.h"

#include <map>

namespace detsim::outbox {
namespace {

parts::plog::ProducerOptions producer_options(const OutboxParams& params) {
  parts::plog::ProducerOptions options;
  options.acks = -1;  // all
  // Kafka keeps up to five batches in flight per partition; only the
  // idempotent producer keeps their order through retries (KIP-98).
  options.idempotent = !params.inflight_without_idempotence;
  options.max_in_flight = 5;
  // acks=all takes two or three round trips (the followers' fetches move
  // the high watermark): a request timeout below that only makes retries.
  options.request_timeout = params.request_timeout;
  options.delivery_timeout = params.request_timeout * 4;
  return options;
}

}  // namespace

Publisher::Publisher(Context& ctx, const parts::plog::Cluster& log, const OutboxParams& params, Observer& observer)
    : ctx_(ctx),
      params_(params),
      observer_(observer),
      producer_(ctx, log, producer_options(params)),
      topic_(log.topic_id(kTopicName)) {}

std::vector<bool> Publisher::publish(const std::vector<OrderEvent>& events) {
  // Per partition, in order, batches of up to publish_batch events, several
  // in flight: an order's events can be in flight together, which is where
  // keeping their order through retries matters.
  std::map<int32_t, std::vector<size_t>> by_partition;
  for (size_t i = 0; i < events.size(); ++i) {
    by_partition[static_cast<int32_t>(events[i].order % params_.partitions)].push_back(i);
  }
  struct Pending {
    std::vector<size_t> events;
    Future<parts::plog::ProduceResult> result;
  };
  std::vector<Pending> pending;
  const auto batch = static_cast<size_t>(params_.publish_batch);
  for (const auto& [partition, indexes] : by_partition) {
    for (size_t first = 0; first < indexes.size(); first += batch) {
      const std::vector<size_t> part(indexes.begin() + static_cast<ptrdiff_t>(first),
                                     indexes.begin() + static_cast<ptrdiff_t>(std::min(first + batch, indexes.size())));
      std::vector<parts::plog::Record> records;
      for (size_t i : part) records.push_back(record_of(events[i]));
      pending.push_back({part, producer_.send_async({topic_, partition}, std::move(records))});
    }
  }
  std::vector<bool> acked(events.size(), false);
  for (Pending& p : pending) {
    const std::optional<parts::plog::ProduceResult> result = p.result.get();
    const bool ok = result && result->error == parts::plog::ProduceError::none;
    ctx_.log("publish {} events from change {}: {}", p.events.size(), events[p.events.front()].change,
             result ? to_string(result->error) : "no answer");
    for (size_t i : p.events) {
      acked[i] = ok;
      if (ok) observer_.on_published(events[i].change, ctx_.now());
    }
  }
  return acked;
}

parts::plog::Record Publisher::record_of(const OrderEvent& event) const {
  parts::plog::Record record;
  record.key = static_cast<uint64_t>(event.order);
  record.value = event.encode();
  record.timestamp_ns = ctx_.now().count_ns();
  return record;
}

}  // namespace detsim::outbox
