#include "models/cdc_fanin/source.h"

#include <memory>
#include <optional>

#include "models/cdc_fanin/schema.h"
#include "models/parts/row_store_rpc.h"

namespace detsim::cdc {
namespace {

constexpr int64_t kStatuses = 4;
constexpr int64_t kMaxAmount = 1000;

// Shared with its spawned fibers, which may still be unwinding after a
// crash when the main fiber has let go of it.
class Source : public std::enable_shared_from_this<Source> {
 public:
  Source(Context& ctx, const CdcParams& params, Observer& observer, int64_t index)
      : ctx_(ctx), params_(params), observer_(observer), index_(index), store_(ctx, options(observer, index)) {}

  // Opens the store and tells the observer of a transaction a crash cut
  // short after its fsync (the hook never ran for it). The slot exists from
  // the first boot on, as a DBA creates it before the connector is
  // deployed, and holds back that WAL. What is read does not depend on the
  // observer, which skips what it knew: the oracle never steers the run.
  void open() {
    store_.open();
    store_.create_slot(kSlot);
    const std::optional<parts::Lsn> confirmed = store_.slot_confirmed(kSlot);
    if (ctx_.incarnation() == 0 || !confirmed) return;
    std::vector<parts::DecodedTxn> retained;
    store_.decode_checked(kSlot, *confirmed, 1'000'000, &retained);
    for (const parts::DecodedTxn& txn : retained) observer_.on_source_commit(index_, txn);
  }

  // The initial rows, once (the meta row says they are there).
  void populate() {
    while (store_.get(kMeta, 0) == nullptr) {
      parts::RowStore::Txn txn = store_.begin();
      for (int64_t id = 1; id <= params_.initial_orders; ++id) {
        txn.put(kOrders, id, new_order());
        txn.put(kLineItems, id, new_item(id));
      }
      txn.put(kMeta, 0, {params_.initial_orders + 1, params_.initial_orders + 1});
      if (store_.commit(std::move(txn)).status != parts::CommitStatus::committed) ctx_.sleep_for(params_.poll);
    }
  }

  void workload(Time stop_at) {
    while (ctx_.now() < stop_at) {
      const Duration think = ctx_.rng().exponential(Duration::from_seconds(1.0 / params_.rate));
      ctx_.sleep_for(think);
      if (ctx_.now() >= stop_at || store_.get(kMeta, 0) == nullptr) continue;
      write_transaction();
      observer_.on_wal_retained(index_, store_.wal_retained_bytes());
    }
  }

  void serve() {
    while (true) {
      std::optional<Envelope> in = ctx_.net().receive();
      if (!in || parts::serve_replication(store_, ctx_, *in)) continue;
      if (const auto* write = in->message.get_if<WriteWatermark>()) {
        ctx_.spawn("watermark",
                   [self = shared_from_this(), from = in->from, copy = *write] { self->write_watermark(from, copy); });
      }
    }
  }

 private:
  static parts::RowStoreOptions options(Observer& observer, int64_t index) {
    parts::RowStoreOptions o;
    o.dir = "db";
    o.segment_bytes = 16 * 1024;
    o.checkpoint_bytes = 64 * 1024;
    o.on_commit = [&observer, index](const parts::DecodedTxn& txn) { observer.on_source_commit(index, txn); };
    return o;
  }

  parts::Row new_order() {
    const int64_t status = ctx_.rng().uniform_int(0, kStatuses - 1);
    const int64_t amount = ctx_.rng().uniform_int(1, kMaxAmount);
    return {status, amount, 1};
  }
  parts::Row new_item(int64_t order) {
    const int64_t qty = ctx_.rng().uniform_int(1, 5);
    const int64_t price = ctx_.rng().uniform_int(1, 100);
    return {order, qty, price, 1};
  }

  // 1 to 3 writes, one transaction: new orders with their line item,
  // status and amount changes, deletes, quantity changes. Ids are never
  // reused. Updates and deletes pick orders by zipf rank (low ids hot).
  void write_transaction() {
    parts::RowStore::Txn txn = store_.begin();
    parts::Row meta = *store_.get(kMeta, 0);
    const int64_t writes = ctx_.rng().uniform_int(1, 3);
    for (int64_t w = 0; w < writes; ++w) {
      const double dice = ctx_.rng().uniform01();
      const auto rank = static_cast<int64_t>(ctx_.rng().zipf(static_cast<uint64_t>(meta[0]), params_.zipf));
      const int64_t id = 1 + rank;
      const parts::Row* order = txn.get(kOrders, id);
      if (dice < 0.3 || order == nullptr) {
        txn.put(kOrders, meta[0], new_order());
        txn.put(kLineItems, meta[1], new_item(meta[0]));
        ++meta[0];
        ++meta[1];
      } else if (dice < 0.75) {
        parts::Row row = *order;
        row[order_col::status] = ctx_.rng().uniform_int(0, kStatuses - 1);
        row[order_col::amount] = ctx_.rng().uniform_int(1, kMaxAmount);
        ++row[order_col::version];
        txn.put(kOrders, id, std::move(row));
      } else if (dice < 0.85) {
        txn.erase(kOrders, id);
      } else if (const parts::Row* item = txn.get(kLineItems, id)) {
        parts::Row row = *item;
        row[item_col::qty] = ctx_.rng().uniform_int(1, 5);
        ++row[item_col::version];
        txn.put(kLineItems, id, std::move(row));
      }
    }
    txn.put(kMeta, 0, meta);
    const parts::CommitStatus status = store_.commit(std::move(txn)).status;
    if (ctx_.sometimes("source_write_failed", status != parts::CommitStatus::committed)) {
      observer_.on_source_write_failed(index_);
    }
  }

  void write_watermark(NodeId from, WriteWatermark write) {
    parts::RowStore::Txn txn = store_.begin();
    txn.put(kWatermarks, write.window, {write.window});
    const parts::CommitResult result = store_.commit(std::move(txn));
    ctx_.net().send(from, WatermarkWritten{write.id, result.status == parts::CommitStatus::committed, result.lsn});
  }

  Context& ctx_;
  const CdcParams& params_;
  Observer& observer_;
  int64_t index_;
  parts::RowStore store_;
};

}  // namespace

void source_main(Context& ctx, const CdcParams& params, Observer& observer, int64_t index, Time stop_at) {
  auto source = std::make_shared<Source>(ctx, params, observer, index);
  source->open();
  source->populate();
  ctx.spawn("workload", [source, stop_at] { source->workload(stop_at); });
  source->serve();
}

}  // namespace detsim::cdc
