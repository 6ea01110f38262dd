// The broker's background fibers: the follower's fetcher (one per
// replica), the leader's ISR checker and the heartbeat to the controller.
#include <algorithm>

#include "models/parts/plog/broker.h"
#include "models/parts/plog/observer.h"

namespace detsim::parts::plog {

namespace {
// Records per follower fetch (Kafka bounds it in bytes, replica.fetch.max.bytes).
constexpr int32_t kReplicaFetchRecords = 500;
}  // namespace

void Broker::heartbeats() {
  while (true) {
    endpoint_.send(cluster_.controller(), Heartbeat{index_, ctx_.incarnation(), metadata_version_});
    ctx_.sleep_for(cluster_.config().heartbeat);
  }
}

void Broker::fetch_loop(Replica& r) {
  while (true) {
    const bool following = r.known && r.state.leader >= 0 && r.state.leader != index_;
    if (!following || !fetch_once(r)) ctx_.sleep_for(cluster_.config().fetch_wait);
  }
}

// One fetch from the leader; true if it brought batches or a truncation,
// so the next one should go at once.
bool Broker::fetch_once(Replica& r) {
  FetchRequest request;
  request.tp = r.tp;
  request.replica = index_;
  request.leader_epoch = r.state.leader_epoch;
  request.fetch_offset = r.log.counted_end();
  request.last_fetched_epoch = r.log.last_epoch();
  request.max_records = kReplicaFetchRecords;
  const NodeId leader = cluster_.brokers()[static_cast<size_t>(r.state.leader)];
  std::optional<Message> reply = endpoint_.call(leader, request, request_timeout());
  const FetchReply* fetched = reply ? reply->get_if<FetchReply>() : nullptr;
  if (fetched == nullptr || fetched->error != ErrorCode::none) return false;
  LockGuard lock(r.mutex);
  // The role may have changed while the fetch was out.
  if (!r.known || r.state.leader_epoch != request.leader_epoch || leading(r)) return false;
  if (r.log.counted_end() != request.fetch_offset) return false;
  apply_fetch(r, *fetched);
  return fetched->diverging_end_offset >= 0 || !fetched->batches.empty();
}

void Broker::apply_fetch(Replica& r, const FetchReply& reply) {
  if (reply.diverging_end_offset >= 0) {
    // KIP-279: truncate to the smaller of the leader's end offset for the
    // diverging epoch and this log's own end offset for that epoch.
    const int64_t own_end = r.log.end_offset_for_epoch(reply.diverging_epoch).second;
    const int64_t target = std::min(reply.diverging_end_offset, own_end);
    const int64_t before = r.log.end_offset();
    r.log.truncate_to(target);
    if (cluster_.observer() != nullptr) cluster_.observer()->on_truncated(index_, r.tp, before, r.log.end_offset());
    r.high_watermark = std::min(r.high_watermark, r.log.counted_end());
    return;
  }
  for (const Batch& batch : reply.batches) {
    if (batch.base_offset < r.log.end_offset()) continue;
    if (batch.base_offset > r.log.end_offset()) break;
    r.log.append(batch);  // fsynced before the next fetch reports it
  }
  r.high_watermark = std::min(reply.high_watermark, r.log.counted_end());
}

void Broker::isr_loop() {
  const Duration period = std::min(cluster_.config().heartbeat, cluster_.config().replica_lag_max / 4);
  while (true) {
    ctx_.sleep_for(period);
    for (const auto& r : replicas_) {
      if (!leading(*r)) continue;
      std::vector<int32_t> wanted = wanted_isr(*r);
      if (wanted != r->state.isr) alter_isr(*r, std::move(wanted));
    }
  }
}

// The ISR the leader wants: without followers that have not caught up
// within replica_lag_max, with followers that reached the HW and this
// epoch's start (Kafka's ISR expansion rule).
std::vector<int32_t> Broker::wanted_isr(const Replica& r) const {
  std::vector<int32_t> wanted;
  for (int32_t b : r.state.replicas) {
    if (b == index_) {
      wanted.push_back(b);
      continue;
    }
    auto it = r.followers.find(b);
    if (it == r.followers.end()) continue;
    const FollowerProgress& progress = it->second;
    const bool lagging = ctx_.now() - progress.last_caught_up > cluster_.config().replica_lag_max;
    const bool caught_up = progress.end >= r.high_watermark && progress.end >= r.epoch_start_offset;
    if (contains(r.state.isr, b) ? !lagging : (caught_up && !lagging)) wanted.push_back(b);
  }
  return wanted;
}

void Broker::alter_isr(Replica& r, std::vector<int32_t> isr) {
  AlterPartition request{0, index_, r.state};
  request.proposed.isr = isr;
  // While the change is pending the HW counts the members it adds.
  r.pending_isr.clear();
  for (int32_t b : isr) {
    if (!contains(r.state.isr, b)) r.pending_isr.push_back(b);
  }
  const int32_t epoch = r.state.leader_epoch;
  std::optional<Message> reply = endpoint_.call(cluster_.controller(), request, request_timeout());
  if (r.state.leader_epoch == epoch) r.pending_isr.clear();
  const auto* altered = reply ? reply->get_if<AlterPartitionReply>() : nullptr;
  if (altered != nullptr) apply_state(r, altered->current);
}

}  // namespace detsim::parts::plog
