#include "models/outbox/service.h"

#include <memory>

#include "models/outbox/messages.h"
#include "models/outbox/publisher.h"
#include "models/outbox/relay.h"
#include "models/outbox/schema.h"
#include "models/parts/plog/endpoint.h"
#include "sim/api/sync.h"

namespace detsim::outbox {
namespace {

// Outbox ids come from a sequence, as a serial column's do: taken when the
// transaction inserts its row, not when it commits, and never rolled back.
// So ids are unique but commit out of order, which is what a relay that
// polls `WHERE id > last` trips over. Like Postgres's sequences, it
// reserves a block durably before handing out its ids (a crash skips the
// rest of the block, never reuses one).
class IdSequence {
 public:
  static constexpr int64_t kBlock = 32;
  IdSequence(Context& ctx, parts::RowStore& store) : store_(store), reserving_(ctx) {}
  // nullopt when the reservation could not be made durable (disk full).
  std::optional<int64_t> next() {
    LockGuard guard(reserving_);
    if (!loaded_) {
      const parts::Row* row = store_.get(kSequence, kSequenceKey);
      next_ = end_ = row ? (*row)[0] : 1;
      loaded_ = true;
    }
    if (next_ == end_) {
      parts::RowStore::Txn txn = store_.begin();
      txn.put(kSequence, kSequenceKey, {end_ + kBlock});
      if (store_.commit(std::move(txn)).status != parts::CommitStatus::committed) return std::nullopt;
      end_ += kBlock;
    }
    return next_++;
  }

 private:
  parts::RowStore& store_;
  Mutex reserving_;
  bool loaded_ = false;  // read from the store on first use, after it opened
  int64_t next_ = 1;
  int64_t end_ = 1;
};

class Service {
 public:
  Service(Context& ctx, const OutboxParams& params, const parts::plog::Cluster& log, Observer& observer,
          parts::RowStore& store)
      : ctx_(ctx), params_(params), store_(store), ids_(ctx, store), publisher_(ctx, log, params, observer) {}

  void serve(NodeId client, const OrderRequest& request) {
    const Outcome outcome = change_order(request);
    ctx_.net().send(client, OrderReply{request.request, outcome});
  }

 private:
  Outcome change_order(const OrderRequest& request) {
    parts::RowStore::Txn txn = store_.begin();
    const parts::Row* current = txn.get(kOrders, request.order);
    const std::optional<parts::Row> before = current ? std::optional<parts::Row>(*current) : std::nullopt;
    const int64_t version = (current ? (*current)[orders::version] : 0) + 1;
    const OrderEvent event{next_change(), request.order, version, request.status, request.amount};
    // UPDATE orders ... WHERE version = ?: a concurrent change wins, this one fails.
    txn.expect(kOrders, request.order, before);
    txn.put(kOrders, request.order, {version, request.status, request.amount, static_cast<int64_t>(event.change)});
    if (is_outbox(params_.mode)) {
      const std::optional<int64_t> id = ids_.next();
      if (!id) return Outcome::failed;
      txn.put(kOutbox, *id, {static_cast<int64_t>(event.change), event.order, version, event.status, event.amount});
    }
    if (params_.mode == Mode::dual_write_publish_first && !publisher_.publish({event})[0]) {
      store_.rollback(std::move(txn));
      return Outcome::failed;
    }
    // The rest of the request's work (stock checks, pricing), inside the
    // transaction: how long it stays open decides how often commits
    // overtake each other.
    const Duration work = ctx_.rng().exponential(params_.think);
    ctx_.sleep_for(work);
    if (ctx_.rng().bernoulli(params_.reject_ratio)) {
      store_.rollback(std::move(txn));
      return Outcome::rejected;
    }
    if (store_.commit(std::move(txn)).status != parts::CommitStatus::committed) return Outcome::failed;
    // Dual write, commit first: the order stands whatever the publish does;
    // a failed publish is logged and forgotten, as such code does.
    if (params_.mode == Mode::dual_write_commit_first && !publisher_.publish({event})[0]) {
      ctx_.log("publish of change {} failed after its commit", event.change);
    }
    return Outcome::committed;
  }

  // Unique in the run: the incarnation, then a counter.
  uint64_t next_change() { return (static_cast<uint64_t>(ctx_.incarnation()) << 40) | ++changes_; }

  Context& ctx_;
  const OutboxParams& params_;
  parts::RowStore& store_;
  IdSequence ids_;
  Publisher publisher_;
  uint64_t changes_ = 0;
};

// What the node's fibers share; it lives until the last of them unwound.
struct ServiceNode {
  ServiceNode(Context& ctx, const OutboxParams& params, const parts::plog::Cluster& log, Observer& observer)
      : store(ctx, store_options(observer)),
        service(ctx, params, log, observer, store),
        relay(ctx, params, log, observer, store) {
    store.open();
  }
  static parts::RowStoreOptions store_options(Observer& observer) {
    parts::RowStoreOptions options;
    options.dir = "orders_db";
    options.on_commit = [&observer](const parts::DecodedTxn& txn) { observer.on_service_commit(txn); };
    options.on_replay = [&observer](const parts::DecodedTxn& txn) { observer.on_service_replay(txn); };
    return options;
  }
  parts::RowStore store;
  Service service;
  Relay relay;
};

}  // namespace

void service_main(Context& ctx, const OutboxParams& params, const parts::plog::Cluster& log, Observer& observer) {
  auto node = std::make_shared<ServiceNode>(ctx, params, log, observer);
  if (is_outbox(params.mode)) ctx.spawn("relay", [node] { node->relay.run(); });
  // The log's endpoint owns the node's receive loop (plog/endpoint.h): the
  // service reads its own requests from it.
  parts::plog::Endpoint& endpoint = log.endpoint(ctx);
  while (true) {
    std::optional<Envelope> in = endpoint.receive();
    if (!in) continue;
    if (const auto* request = in->message.get_if<OrderRequest>()) {
      ctx.spawn("request", [node, client = in->from, copy = *request] { node->service.serve(client, copy); });
    }
  }
}

}  // namespace detsim::outbox
