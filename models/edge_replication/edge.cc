#include "models/edge_replication/edge.h"

namespace detsim::edge {
namespace {

constexpr uint64_t kLogSalt = 0xed6e'0000'0000'0002ULL;
enum class LogOp : uint8_t { put = 1, ddl = 2, span = 3, batch_mark = 4 };

}  // namespace

void Edge::main(Context& ctx, const EdgeParams& params, const EdgeConfig& config, Observer& observer) {
  std::shared_ptr<Edge> edge(new Edge(ctx, params, config, observer));
  edge->recover();
  ctx.spawn("applier", [edge] { edge->run_applier(); });
  if (params.inject_divergence && params.explicit_rows()) ctx.spawn("rogue", [edge] { edge->run_rogue_writes(); });
  while (true) {
    std::optional<Connection> connection = ctx.net().accept(kEdgePort);
    if (connection) ctx.spawn("session", [edge, c = *connection] { edge->serve(c); });
  }
}

Edge::Edge(Context& ctx, const EdgeParams& params, const EdgeConfig& config, Observer& observer)
    : ctx_(ctx),
      params_(params),
      config_(config),
      observer_(observer),
      log_(ctx.disk(), "wal", kLogSalt),
      queue_(ctx),
      divergence_rng_(ctx.rng().fork("divergence")) {}

Edge::~Edge() { observer_.detach_edge(&tables_); }

// The tables exist before the run with the source's initial schema and no
// rows; the log holds everything since.
void Edge::recover() {
  tables_.assign(params_.explicit_rows() ? static_cast<size_t>(params_.tables) : 0, Table());
  for (Table& table : tables_) table.schema() = initial_schema();
  applied_ = IntervalSet();
  last_batch_.clear();
  for (const std::string& payload : log_.recover()) replay_record(payload);
  observer_.attach_edge(&tables_, &applied_);
}

void Edge::replay_record(std::string_view payload) {
  ByteReader in(payload);
  while (!in.at_end()) {
    const auto op = static_cast<LogOp>(in.u8());
    if (op == LogOp::put) {
      const uint32_t table = in.u32();
      const int64_t key = in.i64();
      Table::Slot slot;
      slot.live = in.u8() != 0;
      const bool ok = decode_row(in, &slot.row);
      DETSIM_ASSERT(ok);
      tables_.at(table).slot(key) = std::move(slot);
    } else if (op == LogOp::ddl) {
      Ddl ddl;
      const bool ok = decode_ddl(in, &ddl);
      DETSIM_ASSERT(ok);
      tables_.at(ddl.table).apply_ddl(ddl);
    } else if (op == LogOp::batch_mark) {
      const uint32_t partition = in.u32();
      if (last_batch_.size() <= partition) last_batch_.resize(partition + 1);
      last_batch_[partition].first = in.u64();
      last_batch_[partition].second = in.u64();
    } else {
      // Invariant: an intact record holds only the ops written above.
      DETSIM_ASSERT(op == LogOp::span);
      const uint64_t first = in.u64();
      const uint64_t rows = in.u64();
      applied_.insert(first, first + rows);
    }
    DETSIM_ASSERT(in.ok());
  }
}

void Edge::serve(Connection connection) {
  Message request;
  while (connection.receive(&request) == NetStatus::ok) {
    if (connection.send(handle(request)) != NetStatus::ok) return;
  }
}

Message Edge::handle(const Message& request) {
  if (const auto* range = request.get_if<ChecksumRange>()) {
    const Table& table = tables_.at(range->table);
    return ChecksumReply{table.digest(range->lo, range->hi), table.schema()};
  }
  if (const auto* select = request.get_if<SelectChunk>()) return select_rows(*select);
  if (const auto* batch = request.get_if<ApplyBatch>()) {
    ctx_.sleep_for(params_.apply_batch_cost + params_.apply_row_cost * static_cast<int64_t>(batch->rows));
  } else if (const auto* copy = request.get_if<CopyRows>()) {
    // Rows read under a newer schema than this edge has applied would lose
    // the new column's values: the copier retries after the change streams.
    if (tables_.at(copy->table).schema().version < copy->schema_version) return Applied{false};
    ctx_.sleep_for(params_.apply_batch_cost + params_.apply_row_cost * static_cast<int64_t>(copy->rows.size()));
  }
  return Applied{submit(request)};
}

// The verifier's row-by-row read of a range; never locks (nothing on the
// edge takes share locks).
ChunkRows Edge::select_rows(const SelectChunk& request) const {
  // Invariant: only the verifier selects at the edge, and it never locks.
  DETSIM_ASSERT(!request.share_lock);
  ChunkRows out;
  out.table = request.table;
  out.row_bytes = params_.row_bytes;
  const Table& table = tables_.at(request.table);
  out.schema_version = table.schema().version;
  auto it = table.slots().upper_bound(request.after_key);
  for (; it != table.slots().end() && static_cast<int64_t>(out.rows.size()) < request.limit; ++it) {
    if (it->second.live) out.rows.emplace_back(it->first, it->second.row);
  }
  out.done = it == table.slots().end();
  return out;
}

bool Edge::submit(Message request) {
  auto pending = std::make_shared<Pending>(ctx_, std::move(request));
  Future<bool> durable = pending->durable.future();
  queue_.push(std::move(pending));
  return durable.get().value_or(false);
}

void Edge::run_applier() {
  while (true) {
    std::vector<std::shared_ptr<Pending>> group;
    group.push_back(*queue_.pop());
    while (std::optional<std::shared_ptr<Pending>> more = queue_.try_pop()) group.push_back(std::move(*more));
    GroupEffects effects;
    if (!params_.explicit_rows()) effects.undo.push_back([this, before = applied_] { applied_ = before; });
    for (const auto& pending : group) apply(pending->request, effects);
    if (effects.log.size() > 0 && !log_.append_durably(effects.log.bytes())) {
      // The disk refused: back to what is durable, and the senders retry.
      for (auto undo = effects.undo.rbegin(); undo != effects.undo.rend(); ++undo) (*undo)();
      for (const auto& pending : group) pending->durable.set(false);
      continue;
    }
    for (const auto& pending : group) pending->durable.set(true);
    report_durable(effects);
  }
}

void Edge::report_durable(const GroupEffects& effects) {
  if (!effects.writes.empty()) observer_.on_durable_writes(effects.writes, ctx_.now());
  for (const ApplyBatch* batch : effects.stream_batches) {
    observer_.on_stream_applied(*batch, ctx_.now());
  }
}

void Edge::apply(const Message& request, GroupEffects& effects) {
  if (const auto* batch = request.get_if<ApplyBatch>()) {
    effects.stream_batches.push_back(batch);
    if (last_batch_.size() <= batch->partition) last_batch_.resize(batch->partition + 1);
    effects.undo.push_back(
        [this, p = batch->partition, before = last_batch_[batch->partition]] { last_batch_[p] = before; });
    if (seen_before(*batch)) return;
    effects.log.u8(static_cast<uint8_t>(LogOp::batch_mark));
    effects.log.u32(batch->partition);
    effects.log.u64(batch->producer);
    effects.log.u64(batch->number);
    for (const RowChange& change : batch->changes) {
      if (!lose_write(change)) apply_change(change, batch->conditional, effects);
    }
    for (const SeqSpan& span : batch->spans) {
      applied_.insert(span.first_seq, span.first_seq + span.rows);
      effects.log.u8(static_cast<uint8_t>(LogOp::span));
      effects.log.u64(span.first_seq);
      effects.log.u64(span.rows);
    }
  } else if (const auto* copy = request.get_if<CopyRows>()) {
    apply_copy(*copy, effects);
  } else if (const auto* ddl = request.get_if<ApplyDdl>()) {
    apply_ddl(ddl->ddl, effects);
  } else if (const auto* rogue = request.get_if<RogueWrite>()) {
    apply_rogue(*rogue, effects);
  }
}

// Kafka's idempotent producer, in miniature: a batch numbered at or below
// the last one applied for its partition is a retry whose reply was lost.
bool Edge::seen_before(const ApplyBatch& batch) {
  if (last_batch_.size() <= batch.partition) last_batch_.resize(batch.partition + 1);
  BatchMark& last = last_batch_[batch.partition];
  const BatchMark mark{batch.producer, batch.number};
  ctx_.sometimes("batch_retry_deduplicated", mark <= last);
  if (mark <= last) return true;
  last = mark;
  return false;
}

void Edge::put(uint32_t table, int64_t key, const Table::Slot& slot, bool backfill, GroupEffects& effects) {
  log_put(table, key, slot, effects);
  effects.writes.push_back({table, key, slot.row.version, backfill});
}

// In memory and in the group's log record, but not reported to the observer.
void Edge::log_put(uint32_t table, int64_t key, const Table::Slot& slot, GroupEffects& effects) {
  std::optional<Table::Slot> before;
  if (const Table::Slot* current = tables_[table].find(key)) before = *current;
  effects.undo.push_back([this, table, key, before] {
    if (before)
      tables_[table].slot(key) = *before;
    else
      tables_[table].erase(key);
  });
  tables_[table].slot(key) = slot;
  effects.log.u8(static_cast<uint8_t>(LogOp::put));
  effects.log.u32(table);
  effects.log.i64(key);
  effects.log.u8(slot.live ? 1 : 0);
  encode_row(effects.log, slot.row);
}

// DBLog's output is applied as it comes: an upsert of the after image, or
// a delete. Ghostferry's binlog writer is conditional on the before image
// (UPDATE ... WHERE <old row>), so a change to a row the copy has not
// brought yet does nothing, and the copy later brings the newer row.
void Edge::apply_change(const RowChange& change, bool conditional, GroupEffects& effects) {
  Table& table = tables_.at(change.table);
  const Table::Slot* current = table.find(change.key);
  const bool live = current && current->live;
  const uint64_t version = current ? current->row.version : 0;
  const bool removal = change.kind == ChangeKind::remove;
  if (conditional && !change.backfill) {
    const bool matches = live && version == change.before_version;
    const bool applies = change.kind == ChangeKind::insert ? !live : matches;
    if (!applies) return;
  }
  Table::Slot slot;
  slot.live = !removal;
  slot.row = removal ? Row{change.after.version, {}} : normalize(change.after, table.schema());
  put(change.table, change.key, slot, change.backfill, effects);
}

// INSERT IGNORE: a row already here (streamed or copied before) stays.
void Edge::apply_copy(const CopyRows& copy, GroupEffects& effects) {
  Table& table = tables_.at(copy.table);
  for (const auto& [key, row] : copy.rows) {
    const Table::Slot* current = table.find(key);
    if (!copy.replace && current && current->live) continue;
    put(copy.table, key, Table::Slot{normalize(row, table.schema()), true}, /*backfill=*/true, effects);
  }
}

// Replayed schema changes (the replicator resumed from an older position)
// are already here.
void Edge::apply_ddl(const Ddl& ddl, GroupEffects& effects) {
  Table& table = tables_.at(ddl.table);
  ctx_.sometimes("ddl_replayed_after_resume", ddl.schema_version <= table.schema().version);
  if (ddl.schema_version <= table.schema().version) return;
  // Invariant: the replicator applies schema changes in binlog order.
  DETSIM_ASSERT(ddl.schema_version == table.schema().version + 1);
  effects.undo.push_back([this, t = ddl.table, before = table] { tables_[t] = before; });
  table.apply_ddl(ddl);
  effects.log.u8(static_cast<uint8_t>(LogOp::ddl));
  encode_ddl(effects.log, ddl);
}

}  // namespace detsim::edge
