#include "models/cdc_fanin/connector.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "models/cdc_fanin/schema.h"
#include "models/parts/plog/consumer.h"
#include "models/parts/plog/producer.h"
#include "models/parts/row_store_rpc.h"
#include "sim/api/sync.h"

namespace detsim::cdc {
namespace {

using parts::plog::Record;
using parts::plog::TopicPartition;

// DBLog windows a connector keeps open at once. One window at a time
// serializes the snapshot behind the stream: a connector that starts late
// (or from scratch, after crashes before any acknowledged batch) streams a
// backlog for seconds while its one window waits for its high watermark,
// and then pays a produce per chunk. Windows select disjoint, successive
// key ranges and their [low, high] intervals follow each other in LSN
// order, so each chunk is deduplicated and emitted on its own, exactly as
// a lone window would be (seed 169 of the stock scenario finished its
// snapshot 24 s after the heal with one window).
constexpr size_t kMaxOpenWindows = 16;

// One DBLog window: the chunk selected between the low and the high
// watermark writes, minus the keys the stream changed inside the window.
struct Window {
  parts::Lsn low = 0;
  parts::Lsn high = 0;
  parts::TableId table = kOrders;
  std::map<parts::Key, parts::Row> rows;
  int64_t until = 0;     // the table's snapshot bound when the chunk was selected
  int64_t last_key = 0;  // of the chunk as selected: the snapshot cursor after it
  bool last_of_table = false;
};

// What one decode turns into: the records, and the connector's state once
// the log acknowledged them.
struct Batch {
  std::vector<Record> records;
  ConnectorOffsets offsets;
  std::vector<Window> windows;  // open, in LSN order
};

class Connector {
 public:
  Connector(Context& ctx, const CdcParams& params, const parts::plog::Cluster& log, Observer& observer, int64_t index,
            NodeId source)
      : ctx_(ctx),
        params_(params),
        observer_(observer),
        index_(index),
        source_(source),
        endpoint_(log.endpoint(ctx)),
        replication_(ctx, source, params.rpc_timeout / 4, params.rpc_timeout),
        watermarks_(ctx),
        producer_(ctx, log, producer_options(params)),
        offsets_reader_(ctx, log, "connect"),
        events_tp_{log.topic_id(kEventsTopic), static_cast<int32_t>(index)},
        offsets_tp_{log.topic_id(kOffsetsTopic), static_cast<int32_t>(index)} {}

  // The receive loop: plog's Endpoint owns the node's receive(), so
  // replication and watermark replies come from its inbox.
  void receive_loop() {
    while (true) {
      std::optional<Envelope> in = endpoint_.receive();
      if (!in || replication_.offer(*in)) continue;
      if (const auto* written = in->message.get_if<WatermarkWritten>()) watermarks_.push(*written);
    }
  }

  void run() {
    observer_.on_connector_start();
    parts::Lsn confirmed = 0;
    while (!replication_.create_slot(kSlot, &confirmed)) ctx_.sleep_for(params_.poll);
    while (!load_offsets()) ctx_.sleep_for(params_.poll);
    const bool restarted = ctx_.incarnation() > 0;
    const bool mid_snapshot =
        !offsets_.snapshot_done && (offsets_.snapshot_after > 0 || offsets_.snapshot_table != kOrders);
    ctx_.sometimes("connector_resumed_mid_snapshot", restarted && mid_snapshot);
    ctx_.sometimes("connector_resumed_mid_stream", restarted && offsets_.snapshot_done);
    // At least once: the later of the two, and the loader's merge makes
    // what is sent again harmless.
    offsets_.lsn = std::max(offsets_.lsn, confirmed);
    selected_ = offsets_;
    bool behind = true;
    while (true) {
      open_windows(behind);
      const std::optional<std::vector<parts::DecodedTxn>> txns =
          replication_.fetch(kSlot, offsets_.lsn, static_cast<size_t>(params_.connector_batch));
      if (!txns || txns->empty()) {
        behind = false;
        ctx_.sleep_for(params_.poll);
        continue;
      }
      behind = txns->size() == static_cast<size_t>(params_.connector_batch);
      Batch batch = build(*txns);
      if (!publish(batch)) ctx_.sleep_for(params_.poll);
    }
  }

 private:
  static parts::plog::ProducerOptions producer_options(const CdcParams& params) {
    parts::plog::ProducerOptions options;
    options.acks = -1;
    options.idempotent = true;
    options.request_timeout = params.rpc_timeout;
    options.delivery_timeout = params.rpc_timeout * 4;
    return options;
  }

  // The latest record of this connector's connect-offsets partition, if any.
  bool load_offsets() {
    const std::optional<int64_t> end = offsets_reader_.end_offset(offsets_tp_);
    if (!end) return false;
    if (*end == 0) return true;
    const auto records = offsets_reader_.fetch(offsets_tp_, *end - 1, 1, params_.rpc_timeout);
    if (!records || records->empty()) return false;
    const std::optional<ConnectorOffsets> stored = ConnectorOffsets::decode(records->back().record.value);
    DETSIM_ASSERT(stored.has_value());
    offsets_ = *stored;
    return true;
  }

  // DBLog's watermark write, resent until its reply comes or the timeout.
  std::optional<parts::Lsn> write_watermark(int64_t window) {
    const uint64_t id = (uint64_t{ctx_.incarnation()} << 40) | ++requests_;
    const Time deadline = ctx_.now() + params_.rpc_timeout;
    while (ctx_.now() < deadline) {
      ctx_.net().send(source_, WriteWatermark{id, window});
      const Time resend_at = std::min(deadline, ctx_.now() + params_.rpc_timeout / 4);
      while (ctx_.now() < resend_at) {
        std::optional<WatermarkWritten> reply = watermarks_.pop(resend_at - ctx_.now());
        if (!reply) break;
        if (reply->id != id) continue;  // a late reply to an earlier call
        if (!reply->ok) return std::nullopt;
        return reply->lsn;
      }
    }
    return std::nullopt;
  }

  // Caught up, one window per decode keeps the stream fresh; behind, the
  // stream has a backlog to go through anyway, so the snapshot selects
  // its next chunks meanwhile.
  void open_windows(bool behind) {
    while (!selected_.snapshot_done && windows_.size() < kMaxOpenWindows && open_window()) {
      if (!behind) return;
    }
  }

  // Low watermark, select the next chunk, high watermark. The stream
  // then drops from the chunk what changed between the two, and emits the
  // rest when it reaches the high watermark. selected_ moves past the
  // chunk; the stored offsets move only once the chunk is acknowledged.
  bool open_window() {
    if (selected_.snapshot_until == 0 && !read_snapshot_bound()) return false;
    const int64_t window_id = (int64_t{ctx_.incarnation()} << 32) | static_cast<int64_t>(++windows_opened_) * 2;
    const std::optional<parts::Lsn> low = write_watermark(window_id);
    if (!low) return false;
    auto rows =
        replication_.scan(selected_.snapshot_table, selected_.snapshot_after, static_cast<size_t>(params_.chunk_rows));
    if (!rows) return false;
    const bool last_of_table = rows->size() < static_cast<size_t>(params_.chunk_rows) ||
                               (!rows->empty() && rows->back().first >= selected_.snapshot_until - 1);
    const int64_t until = selected_.snapshot_until;
    std::erase_if(*rows, [until](const auto& row) { return row.first >= until; });
    const std::optional<parts::Lsn> high = write_watermark(window_id + 1);
    if (!high) return false;
    Window w;
    w.low = *low;
    w.high = *high;
    w.table = selected_.snapshot_table;
    for (const auto& [key, row] : *rows) w.rows[key] = row;
    w.until = until;
    w.last_key = rows->empty() ? selected_.snapshot_after : rows->back().first;
    w.last_of_table = last_of_table;
    advance_cursor(w, selected_);
    windows_.push_back(std::move(w));
    return true;
  }

  // The snapshot cursor past a chunk.
  static void advance_cursor(const Window& w, ConnectorOffsets& cursor) {
    cursor.snapshot_table = w.table;
    cursor.snapshot_after = w.last_key;
    cursor.snapshot_until = w.until;
    if (!w.last_of_table) return;
    cursor.snapshot_after = 0;
    cursor.snapshot_until = 0;
    if (w.table == kOrders) cursor.snapshot_table = kLineItems;
    if (w.table == kLineItems) cursor.snapshot_done = true;
  }

  // The snapshot's end in the next table: its next id (the meta row),
  // read when the table's first chunk is selected. Kept with the offsets.
  bool read_snapshot_bound() {
    const auto meta = replication_.scan(kMeta, -1, 1);
    if (!meta || meta->empty()) return false;
    const parts::Row& next_ids = meta->front().second;
    selected_.snapshot_until = selected_.snapshot_table == kOrders ? next_ids[0] : next_ids[1];
    return true;
  }

  Record record_of(const ChangeEvent& event) const {
    Record record;
    record.key = static_cast<uint64_t>(event.table) << 48 | static_cast<uint64_t>(event.id);
    record.value = event.encode();
    record.timestamp_ns = ctx_.now().count_ns();
    return record;
  }

  void add_txn(const parts::DecodedTxn& txn, Batch& batch) const {
    std::vector<const parts::Change*> data;
    for (const parts::Change& change : txn.changes) {
      if (is_data_table(change.table)) data.push_back(&change);
    }
    ChangeEvent event;
    event.source = index_;
    event.lsn = txn.commit_lsn;
    event.commit_time_ns = txn.commit_time.count_ns();
    if (data.empty()) {
      // Transaction metadata for a write the warehouse does not copy (a
      // watermark): the loaded watermark can still reach it.
      event.kind = ChangeEvent::Kind::marker;
      batch.records.push_back(record_of(event));
      return;
    }
    event.count = static_cast<uint32_t>(data.size());
    for (size_t i = 0; i < data.size(); ++i) {
      event.index = static_cast<uint32_t>(i);
      event.table = data[i]->table;
      event.id = data[i]->key;
      event.erase = data[i]->op == parts::Change::Op::erase;
      event.insert = data[i]->op == parts::Change::Op::insert;
      event.row = data[i]->row;
      batch.records.push_back(record_of(event));
      if (params_.snapshot_no_window_dedup) continue;
      for (Window& w : batch.windows) {
        const bool inside = txn.commit_lsn > w.low && txn.commit_lsn < w.high && data[i]->table == w.table;
        if (inside) ctx_.sometimes("window_dropped_a_changed_chunk_row", w.rows.erase(data[i]->key) > 0);
      }
    }
  }

  // The chunk's remaining rows, as of the high watermark (part 1 of its
  // LSN), and the snapshot cursor past the chunk.
  void add_chunk(const parts::DecodedTxn& high, const Window& w, Batch& batch) const {
    ConnectorOffsets& next = batch.offsets;
    advance_cursor(w, next);
    ChangeEvent event;
    event.kind = ChangeEvent::Kind::snapshot;
    event.source = index_;
    event.lsn = high.commit_lsn;
    event.part = 1;
    event.commit_time_ns = high.commit_time.count_ns();
    event.insert = true;
    event.snapshot_done = next.snapshot_done;
    event.count = static_cast<uint32_t>(std::max<size_t>(w.rows.size(), 1));
    if (w.rows.empty()) {
      if (next.snapshot_done) batch.records.push_back(record_of(event));  // the end of the snapshot, alone
      return;
    }
    event.table = w.table;
    for (const auto& [key, row] : w.rows) {
      event.id = key;
      event.row = row;
      batch.records.push_back(record_of(event));
      ++event.index;
    }
  }

  Batch build(const std::vector<parts::DecodedTxn>& txns) const {
    Batch batch{{}, offsets_, windows_};
    for (const parts::DecodedTxn& txn : txns) {
      add_txn(txn, batch);
      if (!batch.windows.empty() && txn.commit_lsn == batch.windows.front().high) {
        add_chunk(txn, batch.windows.front(), batch);
        batch.windows.erase(batch.windows.begin());
      }
      batch.offsets.lsn = txn.commit_lsn;
    }
    return batch;
  }

  // Events, then offsets, then the slot: each only after the previous was
  // acknowledged. The planted slot_before_ack moves the slot and the
  // offsets first and takes the batch as sent whatever the log says.
  bool publish(Batch& batch) {
    if (params_.slot_before_ack) {
      commit_offsets(batch);
      producer_.send(events_tp_, std::move(batch.records));
      return true;
    }
    const parts::plog::ProduceResult sent = producer_.send(events_tp_, std::move(batch.records));
    if (ctx_.sometimes("produce_failed_batch_retried", sent.error != parts::plog::ProduceError::none)) return false;
    commit_offsets(batch);
    return true;
  }

  // The offsets record goes out without waiting (Kafka Connect flushes
  // offsets in the background); the slot is confirmed up to the last
  // record the log acknowledged, so a restart resumes from the log's
  // offsets or from the slot, never past unacknowledged events.
  void commit_offsets(const Batch& batch) {
    offsets_ = batch.offsets;
    windows_ = std::move(batch.windows);
    if (stored_ && stored_->future.ready()) {
      const std::optional<parts::plog::ProduceResult> stored = stored_->future.get();
      if (stored && stored->error == parts::plog::ProduceError::none) replication_.confirm(kSlot, stored_->lsn);
      stored_.reset();
    }
    if (params_.slot_before_ack) replication_.confirm(kSlot, offsets_.lsn);
    if (stored_) return;  // the next batch stores the newer offsets
    Record record;
    record.key = static_cast<uint64_t>(index_);
    record.value = offsets_.encode();
    record.timestamp_ns = ctx_.now().count_ns();
    stored_ = StoredOffsets{offsets_.lsn, producer_.send_async(offsets_tp_, {std::move(record)})};
  }

  struct StoredOffsets {
    parts::Lsn lsn = 0;
    Future<parts::plog::ProduceResult> future;
  };

  Context& ctx_;
  const CdcParams& params_;
  Observer& observer_;
  int64_t index_;
  NodeId source_;
  parts::plog::Endpoint& endpoint_;
  parts::ReplicationClient replication_;
  Mailbox<WatermarkWritten> watermarks_;
  parts::plog::Producer producer_;
  parts::plog::Consumer offsets_reader_;
  TopicPartition events_tp_;
  TopicPartition offsets_tp_;
  ConnectorOffsets offsets_;   // as acknowledged by the log: what a restart resumes from
  ConnectorOffsets selected_;  // the snapshot cursor past the last window opened
  std::vector<Window> windows_;
  std::optional<StoredOffsets> stored_;  // the offsets record in flight
  uint64_t requests_ = 0;
  uint64_t windows_opened_ = 0;
};

}  // namespace

void connector_main(Context& ctx, const CdcParams& params, const parts::plog::Cluster& log, Observer& observer,
                    int64_t index, NodeId source) {
  auto connector = std::make_shared<Connector>(ctx, params, log, observer, index, source);
  ctx.spawn("rx", [connector] { connector->receive_loop(); });
  connector->run();
}

}  // namespace detsim::cdc
