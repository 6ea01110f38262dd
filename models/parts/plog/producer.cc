#include "models/parts/plog/producer.h"

#include <algorithm>

#include "models/parts/plog/observer.h"
#include "models/parts/plog/partition_log.h"

namespace detsim::parts::plog {

const char* to_string(ProduceError error) {
  switch (error) {
    case ProduceError::none: return "none";
    case ProduceError::not_enough_replicas: return "not_enough_replicas";
    case ProduceError::timeout: return "timeout";
    case ProduceError::out_of_order_sequence: return "out_of_order_sequence";
    case ProduceError::preceding_batch_failed: return "preceding_batch_failed";
  }
  return "?";
}

// A partition's queue: tickets give call order, sequences the batches'
// place in the idempotent producer's numbering.
struct Lane {
  explicit Lane(Context& ctx) : turn(ctx) {}
  int64_t producer_id = -1;
  int32_t next_sequence = 0;
  uint64_t next_ticket = 0;
  uint64_t next_start = 0;
  int in_flight = 0;
  std::set<int32_t> unfinished;           // sequences in flight
  std::set<uint64_t> unfinished_tickets;  // their tickets
  bool fresh_id_needed = true;
  // Tickets below this fail without being sent: they were queued behind a
  // batch that failed (see produce_in_order).
  uint64_t failed_below = 0;
  WaitQueue turn;
};

struct Producer::State {
  State(Context& ctx, const Cluster& cluster, ProducerOptions options) : metadata(ctx, cluster), options(options) {}

  Lane& lane(TopicPartition tp) {
    auto it = lanes.find(tp);
    if (it == lanes.end()) it = lanes.emplace(tp, std::make_unique<Lane>(metadata.ctx())).first;
    return *it->second;
  }
  int64_t new_producer_id() {
    Context& ctx = metadata.ctx();
    const uint64_t number = metadata.endpoint().next_producer_index() % 4096;
    return static_cast<int64_t>((uint64_t{ctx.self().index()} + 1) << 32 | uint64_t{ctx.incarnation()} << 12 | number);
  }
  void wait_for_turn(Lane& lane, uint64_t ticket);
  void stamp(Lane& lane, ProduceRequest& request);
  ProduceResult produce_in_order(TopicPartition tp, const std::vector<Record>& records, uint64_t ticket, Time deadline);
  ProduceResult deliver(TopicPartition tp, const ProduceRequest& request, const Lane& lane, Time deadline);
  void record_acks(TopicPartition tp, const std::vector<Record>& records, const ProduceResult& result) const;

  MetadataCache metadata;
  ProducerOptions options;
  std::map<TopicPartition, std::unique_ptr<Lane>> lanes;
};

Producer::Producer(Context& ctx, const Cluster& cluster, ProducerOptions options)
    : state_(std::make_shared<State>(ctx, cluster, options)) {}

ProduceResult Producer::send(TopicPartition tp, std::vector<Record> batch) {
  return send_async(tp, std::move(batch)).get().value();
}

Future<ProduceResult> Producer::send_async(TopicPartition tp, std::vector<Record> batch) {
  Promise<ProduceResult> promise(state_->metadata.ctx());
  const uint64_t ticket = state_->lane(tp).next_ticket++;
  std::shared_ptr<State> state = state_;
  // As Kafka's delivery.timeout.ms, it counts from the send, queueing included.
  const Time deadline = state_->metadata.ctx().now() + state_->options.delivery_timeout;
  state_->metadata.ctx().spawn("plog-produce",
                               [state, tp, batch = std::move(batch), ticket, deadline, promise]() mutable {
                                 promise.set(state->produce_in_order(tp, batch, ticket, deadline));
                               });
  return promise.future();
}

// Waits for the batch's turn and a free slot; a fresh producer id waits
// for the old id's batches to finish. The slot is counted from the oldest
// unfinished batch, not by how many are unfinished: its reply may be lost
// while later ones are acknowledged, and the leader must still find it
// among the producer's last kProducerWindow batches when it is retried
// (TCP keeps Kafka's in-flight requests in order; datagrams do not).
// Kafka, too, requires max.in.flight <= 5 for idempotence.
void Producer::State::wait_for_turn(Lane& lane, uint64_t ticket) {
  const auto window = static_cast<uint64_t>(options.idempotent ? std::min<int>(options.max_in_flight, kProducerWindow)
                                                               : options.max_in_flight);
  auto window_full = [&] {
    return !lane.unfinished_tickets.empty() &&
           ticket >= *lane.unfinished_tickets.begin() + std::max<uint64_t>(window, 1);
  };
  while (lane.next_start != ticket || window_full() ||
         (options.idempotent && lane.fresh_id_needed && lane.in_flight > 0)) {
    lane.turn.wait_until(Time::max());
  }
}

// Gives the batch its producer id and sequence, in start order.
void Producer::State::stamp(Lane& lane, ProduceRequest& request) {
  if (options.idempotent) {
    if (lane.fresh_id_needed) {
      lane.producer_id = new_producer_id();
      lane.next_sequence = 0;
      lane.fresh_id_needed = false;
    }
    request.producer_id = lane.producer_id;
    request.base_sequence = lane.next_sequence;
    lane.next_sequence += static_cast<int32_t>(request.records.size());
    lane.unfinished.insert(request.base_sequence);
  }
}

ProduceResult Producer::State::produce_in_order(TopicPartition tp, const std::vector<Record>& records, uint64_t ticket,
                                                Time deadline) {
  Lane& lane = this->lane(tp);
  wait_for_turn(lane, ticket);
  if (options.idempotent && ticket < lane.failed_below) {
    ++lane.next_start;
    lane.turn.notify_all();
    return {ProduceError::preceding_batch_failed, -1};
  }
  // Knows the leader before it lets the next batch start: a batch that had
  // to refresh metadata after the next one started would be sent after it,
  // be refused as out of order and retry behind a backoff while later
  // batches overtake it again, a cascade that held a pipelining producer
  // to a fraction of its window (docs/log_mirror.md, "Capacity").
  metadata.leader(tp);
  ProduceRequest request;
  request.tp = tp;
  request.acks = options.acks;
  request.records = records;
  stamp(lane, request);
  ++lane.next_start;
  ++lane.in_flight;
  lane.unfinished_tickets.insert(ticket);
  lane.turn.notify_all();
  const ProduceResult result = deliver(tp, request, lane, deadline);
  --lane.in_flight;
  lane.unfinished.erase(request.base_sequence);
  lane.unfinished_tickets.erase(ticket);
  if (result.error != ProduceError::none && options.idempotent) {
    // What the log holds of one idempotent producer's partition is a prefix
    // of what was sent, in order: a batch queued behind a failed one fails
    // too rather than land after a gap (Kafka's idempotent producer before
    // KIP-360 treated this as fatal; its transactional one aborts). One
    // already in flight lands only if the failed one did land (its sequence
    // follows). So a caller that retries what failed never reorders.
    lane.fresh_id_needed = true;
    lane.failed_below = lane.next_ticket;
  }
  lane.turn.notify_all();
  record_acks(tp, records, result);
  return result;
}

// Retries until the delivery timeout, re-reading metadata whenever the
// leader is unknown, moved or silent.
ProduceResult Producer::State::deliver(TopicPartition tp, const ProduceRequest& request, const Lane& lane,
                                       Time deadline) {
  Context& ctx = metadata.ctx();
  const Duration backoff = options.request_timeout / 5;
  ProduceError last = ProduceError::timeout;
  while (ctx.now() < deadline) {
    std::optional<NodeId> leader = metadata.leader(tp);
    if (!leader) {
      ctx.sleep_for(std::min(backoff, deadline - ctx.now()));
      continue;
    }
    if (options.acks == 0) {
      metadata.endpoint().send(*leader, request);
      return {ProduceError::none, -1};
    }
    std::optional<Message> reply =
        metadata.endpoint().call(*leader, request, std::min(options.request_timeout, deadline - ctx.now()));
    const auto* answer = reply ? reply->get_if<ProduceReply>() : nullptr;
    if (answer == nullptr) {
      metadata.refresh();
      continue;
    }
    switch (answer->error) {
      case ErrorCode::none: return {ProduceError::none, answer->base_offset};
      case ErrorCode::not_enough_replicas:
      case ErrorCode::not_enough_replicas_after_append: last = ProduceError::not_enough_replicas; break;
      case ErrorCode::out_of_order_sequence: {
        // Retriable only while an earlier batch may still land first.
        if (lane.unfinished.empty() || *lane.unfinished.begin() >= request.base_sequence) {
          return {ProduceError::out_of_order_sequence, -1};
        }
        break;
      }
      default: metadata.refresh(); break;
    }
    ctx.sleep_for(std::max(Duration::zero(), std::min(backoff, deadline - ctx.now())));
  }
  return {last, -1};
}

void Producer::State::record_acks(TopicPartition tp, const std::vector<Record>& records,
                                  const ProduceResult& result) const {
  Observer* observer = metadata.cluster().observer();
  if (observer == nullptr || result.error != ProduceError::none || result.base_offset < 0) return;
  for (size_t i = 0; i < records.size(); ++i) {
    observer->on_acked(tp, result.base_offset + static_cast<int64_t>(i), records[i].key, records[i].digest(),
                       options.acks);
  }
}

}  // namespace detsim::parts::plog
