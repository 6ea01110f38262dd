#include "models/parts/plog/broker.h"

#include <fmt/format.h>

#include <algorithm>

#include "models/parts/plog/observer.h"

namespace detsim::parts::plog {

Broker::Broker(Context& ctx, const Cluster& cluster, int32_t index)
    : ctx_(ctx), cluster_(cluster), endpoint_(cluster.endpoint(ctx)), index_(index) {
  for (TopicPartition tp : cluster.partitions()) {
    if (!contains(cluster.replicas(tp), index)) continue;
    replicas_.push_back(std::make_unique<Replica>(ctx, fmt::format("plog-{}-{}.log", tp.topic, tp.partition),
                                                  cluster.config().fsync, tp));
  }
}

Broker::~Broker() {
  if (cluster_.observer() == nullptr) return;
  for (const auto& r : replicas_) cluster_.observer()->detach(index_, r->tp, &r->log);
}

void Broker::run() {
  for (const auto& r : replicas_) {
    r->log.recover();
    if (cluster_.observer() != nullptr) cluster_.observer()->attach(index_, r->tp, &r->log);
  }
  std::shared_ptr<Broker> self = shared_from_this();
  ctx_.spawn("plog-heartbeat", [self] { self->heartbeats(); });
  ctx_.spawn("plog-isr", [self] { self->isr_loop(); });
  for (const auto& r : replicas_) {
    Replica* replica = r.get();
    ctx_.spawn("plog-fetcher", [self, replica] { self->fetch_loop(*replica); });
  }
  serve();
}

Broker::Replica* Broker::find(TopicPartition tp) {
  for (const auto& r : replicas_) {
    if (r->tp == tp) return r.get();
  }
  return nullptr;
}

Duration Broker::request_timeout() const {
  return std::max(cluster_.config().fetch_wait * 2, Duration::milliseconds(100));
}

void Broker::serve() {
  while (true) {
    std::optional<Envelope> in = endpoint_.receive();
    if (!in) continue;
    const Message& m = in->message;
    if (const auto* push = m.get_if<LeaderAndIsr>()) on_leader_and_isr(*push);
    if (const auto* produce = m.get_if<ProduceRequest>()) on_produce(in->from, *produce);
    if (const auto* fetch = m.get_if<FetchRequest>()) on_fetch(in->from, *fetch);
    if (const auto* request = m.get_if<MetadataRequest>()) {
      endpoint_.send(in->from, MetadataReply{request->rid, metadata_version_, metadata_});
    }
  }
}

void Broker::on_leader_and_isr(const LeaderAndIsr& push) {
  if (push.version <= metadata_version_) return;
  metadata_version_ = push.version;
  metadata_ = push.partitions;
  for (const PartitionState& state : push.partitions) {
    if (Replica* r = find(state.tp)) apply_state(*r, state);
  }
}

// A newer leader epoch changes the role; a newer partition epoch in the
// same leader epoch only the ISR. Anything older is a late datagram.
void Broker::apply_state(Replica& r, const PartitionState& state) {
  if (r.known && state.leader_epoch < r.state.leader_epoch) return;
  if (r.known && state.leader_epoch == r.state.leader_epoch && state.partition_epoch <= r.state.partition_epoch) return;
  const bool new_epoch = !r.known || state.leader_epoch != r.state.leader_epoch;
  const bool was_leading = leading(r);
  r.state = state;
  r.known = true;
  if (new_epoch) {
    if (was_leading) fail_waiting(r, ErrorCode::not_leader);
    r.pending_isr.clear();
    r.followers.clear();
    if (leading(r)) {
      r.epoch_start_offset = r.log.end_offset();
      // A new leader gives every follower a full replica_lag_max to show up.
      for (int32_t b : state.replicas) {
        if (b != index_) r.followers[b] = FollowerProgress{-1, ctx_.now(), ctx_.now(), 0};
      }
    }
  }
  advance_high_watermark(r);
}

void Broker::on_produce(NodeId from, const ProduceRequest& request) {
  Replica* r = find(request.tp);
  auto reply = [&](ErrorCode error) {
    if (request.acks != 0) endpoint_.send(from, ProduceReply{request.rid, error, -1});
  };
  if (r == nullptr || !leading(*r)) return reply(ErrorCode::not_leader);
  const TopicSpec& topic = cluster_.topic(request.tp.topic);
  if (request.acks == -1 && static_cast<int32_t>(r->state.isr.size()) < topic.min_insync) {
    return reply(ErrorCode::not_enough_replicas);
  }
  LockGuard lock(r->mutex);
  if (!leading(*r)) return reply(ErrorCode::not_leader);
  if (request.producer_id >= 0) {
    // KIP-98: a retry of a batch in the window is answered, not appended.
    if (std::optional<int64_t> base = r->log.duplicate_of(request.producer_id, request.base_sequence)) {
      return acknowledge(*r, from, request, *base);
    }
    if (request.base_sequence != r->log.last_sequence(request.producer_id) + 1) {
      return reply(ErrorCode::out_of_order_sequence);
    }
  }
  Batch batch{r->log.end_offset(), r->state.leader_epoch, request.producer_id, request.base_sequence, request.records};
  const int32_t epoch = r->state.leader_epoch;
  r->log.append(batch);
  // The append blocked on the disk: the partition may have moved on.
  if (!leading(*r) || r->state.leader_epoch != epoch) return reply(ErrorCode::not_leader);
  acknowledge(*r, from, request, batch.base_offset);
}

void Broker::acknowledge(Replica& r, NodeId to, const ProduceRequest& request, int64_t base_offset) {
  const int64_t end = base_offset + static_cast<int64_t>(request.records.size());
  if (request.acks == 1) endpoint_.send(to, ProduceReply{request.rid, ErrorCode::none, base_offset});
  if (request.acks == -1) r.waiting.push_back({end, to, request.rid, base_offset});
  advance_high_watermark(r);
}

void Broker::on_fetch(NodeId from, const FetchRequest& request) {
  Replica* r = find(request.tp);
  FetchReply reply;
  if (r == nullptr || !leading(*r)) {
    reply.error = ErrorCode::not_leader;
  } else if (request.leader_epoch >= 0 && request.leader_epoch < r->state.leader_epoch) {
    reply.error = ErrorCode::fenced_leader_epoch;
  } else if (request.leader_epoch > r->state.leader_epoch) {
    reply.error = ErrorCode::unknown_leader_epoch;
  } else {
    reply = leader_fetch(*r, request);
  }
  reply.rid = request.rid;
  endpoint_.send(from, std::move(reply));
}

FetchReply Broker::leader_fetch(Replica& r, const FetchRequest& request) {
  FetchReply reply;
  reply.leader_epoch = r.state.leader_epoch;
  const size_t max_records = static_cast<size_t>(std::max(request.max_records, 1));
  if (request.replica < 0) {
    // Consumers read below the high watermark only.
    reply.high_watermark = r.high_watermark;
    reply.batches = r.log.read(request.fetch_offset, r.high_watermark, max_records);
    return reply;
  }
  // KIP-279 in the fetch: does the follower's log end in an epoch and at an
  // offset that this log has too?
  if (request.fetch_offset > 0) {
    const auto [epoch, end] = r.log.end_offset_for_epoch(request.last_fetched_epoch);
    if (epoch != request.last_fetched_epoch || end < request.fetch_offset) {
      reply.diverging_epoch = epoch;
      reply.diverging_end_offset = end;
      reply.high_watermark = r.high_watermark;
      return reply;
    }
  }
  track_follower(r, request.replica, request.fetch_offset);
  reply.high_watermark = r.high_watermark;
  reply.batches = r.log.read(request.fetch_offset, r.log.counted_end(), max_records);
  return reply;
}

// Kafka's lastCaughtUpTime: a follower is caught up at a fetch that
// reaches the leader's end, or at its previous fetch if this one reaches
// what the leader's end was then.
void Broker::track_follower(Replica& r, int32_t follower, int64_t fetch_offset) {
  auto it = r.followers.find(follower);
  if (it == r.followers.end()) return;
  FollowerProgress& progress = it->second;
  if (fetch_offset >= r.log.counted_end()) {
    progress.last_caught_up = ctx_.now();
  } else if (fetch_offset >= progress.leader_end_at_last_fetch) {
    progress.last_caught_up = std::max(progress.last_caught_up, progress.last_fetch);
  }
  progress.end = fetch_offset;
  progress.last_fetch = ctx_.now();
  progress.leader_end_at_last_fetch = r.log.counted_end();
  advance_high_watermark(r);
}

// HW = the minimum counted end over the ISR, and over the members an
// in-flight AlterPartition adds (KIP-497); it never moves back.
void Broker::advance_high_watermark(Replica& r) {
  if (!leading(r)) return;
  int64_t candidate = r.log.counted_end();
  auto count = [&](int32_t b) {
    if (b == index_) return;
    auto it = r.followers.find(b);
    candidate = std::min(candidate, it == r.followers.end() ? -1 : it->second.end);
  };
  for (int32_t b : r.state.isr) count(b);
  for (int32_t b : r.pending_isr) count(b);
  r.high_watermark = std::max(r.high_watermark, candidate);
  // The HW passing a batch means every ISR member has it; with fewer than
  // min_insync of them that is not what acks=all promised.
  const bool enough = static_cast<int32_t>(r.state.isr.size()) >= cluster_.topic(r.tp.topic).min_insync;
  std::vector<WaitingAck> still;
  for (const WaitingAck& ack : r.waiting) {
    if (ack.end_offset <= r.high_watermark) {
      endpoint_.send(ack.to, enough ? ProduceReply{ack.rid, ErrorCode::none, ack.base_offset}
                                    : ProduceReply{ack.rid, ErrorCode::not_enough_replicas_after_append, -1});
    } else {
      still.push_back(ack);
    }
  }
  r.waiting = std::move(still);
}

void Broker::fail_waiting(Replica& r, ErrorCode error) {
  for (const WaitingAck& ack : r.waiting) endpoint_.send(ack.to, ProduceReply{ack.rid, error, -1});
  r.waiting.clear();
}

}  // namespace detsim::parts::plog
