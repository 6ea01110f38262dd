#include "models/parts/row_store_rpc.h"

#include <algorithm>

namespace detsim::parts {
namespace {

// Folds values into a digest, for the run's fingerprint.
class Digest {
 public:
  explicit Digest(uint64_t kind) : state_(kind) {}
  void add(uint64_t v) {
    uint64_t s = state_ ^ v;
    state_ = splitmix64(s);
  }
  void add_row(const Row& row) {
    add(row.size());
    for (int64_t column : row) add(static_cast<uint64_t>(column));
  }
  uint64_t value() const { return state_; }

 private:
  uint64_t state_;
};

size_t row_bytes(const Row& row) { return 8 + 8 * row.size(); }

}  // namespace

size_t DecodeReply::size_bytes() const {
  size_t bytes = 24;
  for (const DecodedTxn& txn : txns) {
    bytes += 32;
    for (const Change& change : txn.changes) bytes += 16 + row_bytes(change.row);
  }
  return bytes;
}

uint64_t DecodeReply::digest() const {
  Digest d(0xdec0de);
  d.add(id);
  d.add(static_cast<uint64_t>(status));
  for (const DecodedTxn& txn : txns) {
    d.add(txn.xid);
    d.add(txn.commit_lsn);
    d.add(static_cast<uint64_t>(txn.commit_time.count_ns()));
    for (const Change& change : txn.changes) {
      d.add(static_cast<uint64_t>(change.op));
      d.add(change.table);
      d.add(static_cast<uint64_t>(change.key));
      d.add_row(change.row);
    }
  }
  return d.value();
}

size_t ScanReply::size_bytes() const {
  size_t bytes = 16;
  for (const auto& [key, row] : rows) bytes += 8 + row_bytes(row);
  return bytes;
}

uint64_t ScanReply::digest() const {
  Digest d(0x5ca9);
  d.add(id);
  for (const auto& [key, row] : rows) {
    d.add(static_cast<uint64_t>(key));
    d.add_row(row);
  }
  return d.value();
}

bool serve_replication(RowStore& store, Context& ctx, const Envelope& in) {
  if (const auto* request = in.message.get_if<DecodeRequest>()) {
    DecodeReply reply{request->id, DecodeStatus::ok, {}};
    reply.status = store.decode_checked(request->slot, request->from, request->max_txns, &reply.txns);
    ctx.net().send(in.from, std::move(reply));
  } else if (const auto* request = in.message.get_if<ConfirmRequest>()) {
    ctx.net().send(in.from, ConfirmReply{request->id, store.confirm(request->slot, request->lsn)});
  } else if (const auto* request = in.message.get_if<ScanRequest>()) {
    ctx.net().send(in.from, ScanReply{request->id, store.scan(request->table, request->after, request->limit)});
  } else if (const auto* request = in.message.get_if<CreateSlotRequest>()) {
    const IoStatus status = store.create_slot(request->slot);
    ctx.net().send(in.from, CreateSlotReply{request->id, status, store.slot_confirmed(request->slot).value_or(0)});
  } else {
    return false;
  }
  return true;
}

ReplicationClient::ReplicationClient(Context& ctx, NodeId db, Duration resend, Duration timeout)
    : ctx_(ctx),
      db_(db),
      resend_(resend),
      timeout_(timeout),
      next_id_((uint64_t{ctx.incarnation()} << 40) + 1),
      replies_(ctx) {}

bool ReplicationClient::offer(const Envelope& in) {
  if (in.from != db_) return false;
  const Message& m = in.message;
  const bool reply = m.is<DecodeReply>() || m.is<ConfirmReply>() || m.is<ScanReply>() || m.is<CreateSlotReply>();
  if (reply) replies_.push(in);
  return reply;
}

// One call at a time per client: a reply taken by another fiber's call
// would be dropped there as not its own.
template <class R, class Make>
std::optional<R> ReplicationClient::call(Make make) {
  const uint64_t id = next_id_++;
  const Time deadline = ctx_.now() + timeout_;
  while (ctx_.now() < deadline) {
    ctx_.net().send(db_, make(id));
    const Time resend_at = std::min(deadline, ctx_.now() + resend_);
    while (ctx_.now() < resend_at) {
      std::optional<Envelope> in = replies_.pop(resend_at - ctx_.now());
      if (!in) break;
      const R* reply = in->message.get_if<R>();
      if (reply != nullptr && reply->id == id) return *reply;
    }
  }
  return std::nullopt;
}

std::optional<std::vector<DecodedTxn>> ReplicationClient::fetch(const std::string& slot, Lsn from, size_t max_txns) {
  std::optional<DecodeReply> reply = call<DecodeReply>([&](uint64_t id) {
    return DecodeRequest{id, slot, from, max_txns};
  });
  if (!reply) return std::nullopt;
  last_decode_status_ = reply->status;
  if (reply->status != DecodeStatus::ok) return std::nullopt;
  return std::move(reply->txns);
}

std::optional<IoStatus> ReplicationClient::confirm(const std::string& slot, Lsn lsn) {
  std::optional<ConfirmReply> reply = call<ConfirmReply>([&](uint64_t id) { return ConfirmRequest{id, slot, lsn}; });
  if (!reply) return std::nullopt;
  return reply->status;
}

std::optional<std::vector<std::pair<Key, Row>>> ReplicationClient::scan(TableId table, Key after, size_t limit) {
  std::optional<ScanReply> reply = call<ScanReply>([&](uint64_t id) { return ScanRequest{id, table, after, limit}; });
  if (!reply) return std::nullopt;
  return std::move(reply->rows);
}

bool ReplicationClient::create_slot(const std::string& slot, Lsn* confirmed) {
  std::optional<CreateSlotReply> reply = call<CreateSlotReply>([&](uint64_t id) {
    return CreateSlotRequest{id, slot};
  });
  if (!reply || reply->status != IoStatus::ok) return false;
  if (confirmed != nullptr) *confirmed = reply->confirmed;
  return true;
}

}  // namespace detsim::parts
