#include "models/edge_replication/replicator.h"

#include <algorithm>

namespace detsim::edge {
namespace {

// Heartbeats come every 100 ms: this much silence means the stream is dead.
constexpr Duration kStreamSilence = Duration::seconds(2);

Duration apply_timeout(const EdgeParams& params) { return Duration::seconds(2) + params.edge_rtt * 2; }

uint64_t key_hash(uint32_t table, int64_t key) {
  uint64_t state = (uint64_t{table} << 48) ^ static_cast<uint64_t>(key);
  return splitmix64(state);
}

}  // namespace

void Replicator::main(Context& ctx, const EdgeParams& params, const ReplicatorConfig& config, Observer& observer) {
  std::shared_ptr<Replicator> replicator(new Replicator(ctx, params, config, observer));
  replicator->start(replicator);
  ctx.sleep_until(Time::max());
}

Replicator::Replicator(Context& ctx, const EdgeParams& params, const ReplicatorConfig& config, Observer& observer)
    : ctx_(ctx),
      params_(params),
      config_(config),
      observer_(observer),
      progress_(ctx),
      control_(ctx, config.edge, kEdgePort),
      verify_sql_(ctx, config.source, kQueryPort),
      verify_edge_(ctx, config.edge, kEdgePort) {
  for (int64_t i = 0; i < params_.workers; ++i) partitions_.push_back(std::make_unique<Partition>(ctx));
}

// Every fiber holds the replicator, so it outlives the last one to unwind.
void Replicator::start(const std::shared_ptr<Replicator>& self) {
  if (ctx_.incarnation() > 0) observer_.on_replicator_restart();
  load_checkpoint();
  for (size_t p = 0; p < partitions_.size(); ++p) {
    ctx_.spawn(fmt::format("worker-{}", p), [self, p] { self->run_worker(p); });
  }
  ctx_.spawn("stream", [self] { self->run_stream(); });
  ctx_.spawn("checkpointer", [self] { self->run_checkpointer(); });
  if (params_.explicit_rows()) ctx_.spawn("backfill", [self] { self->run_backfill(); });
  ctx_.spawn("verifier", [self] { self->run_final_verification(); });
}

// Reconnects wherever the stream broke: rows already routed stay queued in
// their partitions, so it asks for what comes after them.
void Replicator::run_stream() {
  while (true) {
    std::optional<Connection> connection = ctx_.net().connect(config_.source, kBinlogPort, kConnectTimeout);
    if (!connection || connection->send(DumpFrom{processed_end_}) != NetStatus::ok) {
      ctx_.sleep_for(kRetryPause);
      continue;
    }
    Message message;
    while (connection->receive(&message, kStreamSilence) == NetStatus::ok) {
      if (const auto* heartbeat = message.get_if<SourceHeartbeat>()) {
        source_end_ = std::max(source_end_, heartbeat->end_seq);
        if (heartbeat->writes_stopped) source_stopped_ = true;
        progress_.notify_all();
      } else if (const auto* event = message.get_if<BinlogEvent>()) {
        route(*event->group);
      }
    }
    connection->close();
  }
}

void Replicator::route(const BinlogGroup& group) {
  if (group.end_seq() <= processed_end_) return;  // sent again after a reconnect
  routing_ = true;
  switch (group.kind) {
    case GroupKind::rows:
      if (!params_.explicit_rows()) {
        route_aggregate(group);
        break;
      }
      for (const RowChange& change : group.changes) {
        if (change.seq < processed_end_) continue;
        if (window_ && window_->open && window_->table == change.table) window_->dirty.insert(change.key);
        push(partition_of(change.table, change.key), Item{change.seq, 1, group.commit_time, ctx_.now(), change});
      }
      break;
    case GroupKind::ddl: apply_ddl_in_order(group.ddl); break;
    case GroupKind::watermark: on_watermark(group); break;
  }
  // Invariant: the stream's position only moves forward.
  DETSIM_ASSERT(group.end_seq() > processed_end_);
  processed_end_ = group.end_seq();
  source_end_ = std::max(source_end_, processed_end_);
  routing_ = false;
  progress_.notify_all();
}

// Aggregate rows have no keys: a group's rows are dealt evenly over the
// partitions (as a uniform key choice would, on average), each partition
// getting a contiguous run of positions.
void Replicator::route_aggregate(const BinlogGroup& group) {
  const uint64_t first = std::max(group.first_seq, processed_end_);
  const uint64_t rows = group.end_seq() - first;
  const uint64_t n = partitions_.size();
  uint64_t at = first;
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t p = (group.first_seq + i) % n;  // rotate who gets the remainder
    const uint64_t share = rows / n + (i < rows % n ? 1 : 0);
    if (share == 0) continue;
    Item item;
    item.seq = at;
    item.rows = share;
    item.commit_time = group.commit_time;
    item.routed_at = ctx_.now();
    push(p, std::move(item));
    at += share;
  }
}

// A schema change is a barrier: every row before it is applied first, and
// nothing after it is routed until the edge has it.
void Replicator::apply_ddl_in_order(const Ddl& ddl) {
  ctx_.sometimes("ddl_barrier_waited", !drained());
  while (!drained()) progress_.wait_until(ctx_.now() + Duration::milliseconds(10));
  // A reply is not a success: the edge answers ok=false when its disk
  // refused the change (full), and then it does not have it. Taking any
  // reply as done lost the schema change for good (found by the stock
  // scenario's disk_full faults, seed 63).
  while (true) {
    const Message reply = control_.call_until_reply(ApplyDdl{ddl}, apply_timeout(params_));
    const auto* applied = reply.get_if<Applied>();
    // Invariant: the edge answers a schema change with Applied.
    DETSIM_ASSERT(applied != nullptr);
    if (applied->ok) return;
    ctx_.sleep_for(kRetryPause);
  }
}

bool Replicator::drained() const {
  return std::all_of(partitions_.begin(), partitions_.end(), [](const auto& p) { return p->items.empty(); });
}

void Replicator::on_watermark(const BinlogGroup& group) {
  ctx_.sometimes("stale_watermark_ignored", !window_ || group.window / 2 != window_->id);
  if (!window_ || group.window / 2 != window_->id) return;  // another incarnation's window
  const bool high = group.window % 2 == 1;
  if (!high) {
    window_->open = true;
    return;
  }
  // Invariant: the high watermark is written after the select returned.
  DETSIM_ASSERT(window_->chunk.has_value());
  emit_chunk(*window_->chunk, group.first_seq, params_.skip_window_dedup ? nullptr : &window_->dirty);
  window_->emitted_at = group.first_seq;
}

// Chunk rows enter the stream as upserts at position seq, behind every row
// routed before them in their partition.
void Replicator::emit_chunk(const ChunkRows& chunk, uint64_t seq, const std::set<int64_t>* skip) {
  for (const auto& [key, row] : chunk.rows) {
    ctx_.sometimes("chunk_row_superseded_by_stream", skip && skip->count(key));
    if (skip && skip->count(key)) continue;
    Item item;
    item.seq = seq;
    item.commit_time = ctx_.now();
    item.routed_at = ctx_.now();
    item.change.table = chunk.table;
    item.change.key = key;
    item.change.kind = ChangeKind::update;
    item.change.seq = seq;
    item.change.after = row;
    item.change.backfill = true;
    observer_.on_chunk_row_emitted(chunk.table, key, seq);
    push(partition_of(chunk.table, key), std::move(item));
  }
}

size_t Replicator::partition_of(uint32_t table, int64_t key) {
  if (params_.unordered_parallel_apply) return round_robin_++ % partitions_.size();
  return key_hash(table, key) % partitions_.size();
}

void Replicator::push(size_t partition, Item item) {
  Partition& p = *partitions_[partition];
  p.queued_rows += item.rows;
  p.items.push_back(std::move(item));
  p.changed.notify_all();
}

void Replicator::run_worker(size_t index) {
  Partition& partition = *partitions_[index];
  RpcLink link(ctx_, config_.edge, kEdgePort);
  while (true) {
    while (partition.items.empty()) partition.changed.wait_until(Time::max());
    // Linger: send when a batch is full, or when its oldest row has waited long enough.
    const Time deadline = partition.items.front().routed_at + params_.linger;
    while (partition.queued_rows < static_cast<uint64_t>(params_.batch_rows) && ctx_.now() < deadline) {
      partition.changed.wait_until(deadline);
    }
    const ApplyBatch batch = take_batch(partition, index);
    const Time started = ctx_.now();
    while (true) {
      std::optional<Message> reply = link.call(batch, apply_timeout(params_));
      if (reply && reply->get_if<Applied>() && reply->get_if<Applied>()->ok) break;
      ctx_.sleep_for(kRetryPause);
    }
    observer_.on_worker_busy(ctx_.now() - started);
    partition.items.erase(partition.items.begin(),
                          partition.items.begin() + static_cast<ptrdiff_t>(partition.in_flight));
    partition.queued_rows -= batch.rows;
    partition.in_flight = 0;
    progress_.notify_all();
  }
}

ApplyBatch Replicator::take_batch(Partition& partition, size_t index) {
  ApplyBatch batch;
  batch.partition = static_cast<uint32_t>(index);
  batch.producer = uint64_t{ctx_.incarnation()} + 1;
  batch.number = ++partition.batches;
  batch.conditional = params_.backfill == Backfill::rowlock;
  batch.row_bytes = params_.row_bytes;
  const auto limit = static_cast<uint64_t>(params_.batch_rows);
  bool first_stream_row = true;
  size_t taken = 0;
  for (; taken < partition.items.size() && batch.rows < limit; ++taken) {
    if (batch.rows + partition.items[taken].rows > limit) {  // aggregate: split the run
      Item rest = partition.items[taken];
      const uint64_t head = limit - batch.rows;
      rest.seq += head;
      rest.rows -= head;
      partition.items[taken].rows = head;
      // (insert() invalidates references into the deque: none is held here)
      partition.items.insert(partition.items.begin() + static_cast<ptrdiff_t>(taken) + 1, std::move(rest));
    }
    const Item& item = partition.items[taken];
    batch.rows += item.rows;
    if (params_.explicit_rows())
      batch.changes.push_back(item.change);
    else
      batch.spans.push_back({item.seq, item.rows});
    if (item.change.backfill) continue;
    batch.stream_rows += item.rows;
    batch.max_seq = std::max(batch.max_seq, item.seq + item.rows - 1);
    batch.commit_min = first_stream_row ? item.commit_time : std::min(batch.commit_min, item.commit_time);
    batch.commit_max = first_stream_row ? item.commit_time : std::max(batch.commit_max, item.commit_time);
    first_stream_row = false;
  }
  partition.in_flight = taken;
  return batch;
}

uint64_t Replicator::applied_position() const {
  uint64_t position = processed_end_;
  for (const auto& p : partitions_) {
    if (!p->items.empty()) position = std::min(position, p->items.front().seq);
  }
  return position;
}

// The planted bug counts a batch as done once a worker has taken it.
uint64_t Replicator::checkpoint_position() const {
  if (!params_.checkpoint_before_apply) return applied_position();
  uint64_t position = processed_end_;
  for (const auto& p : partitions_) {
    if (p->items.size() > p->in_flight) position = std::min(position, p->items[p->in_flight].seq);
  }
  return position;
}

}  // namespace detsim::edge
