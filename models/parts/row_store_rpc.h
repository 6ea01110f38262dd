// Logical decoding and snapshot reads over datagrams, for a connector
// (Debezium-like) that runs on another node than its database.
//
// Every request carries an id and every reply echoes it; the client
// resends a request every `resend` until the reply with that id comes or
// the timeout passes. Requests are idempotent on the server (a decode
// reads, a confirm never moves a slot backwards, create_slot is by name),
// so loss, duplication and late replays are harmless; replies to other or
// older requests are ignored. Ids start from the client's incarnation, so
// a reply sent to an earlier incarnation is never taken for a new one's.
//
// Composition on the client node: the client never calls receive() itself.
// The node's receive loop (whatever else it handles) hands each datagram
// to ReplicationClient::offer(), which keeps the replication replies in the
// client's Mailbox and returns false for everything else:
//
//   ctx.spawn("rx", [&] {
//     while (true) {
//       std::optional<Envelope> in = ctx.net().receive();
//       if (in && !client.offer(*in)) handle_other(*in);
//     }
//   });
//
// so one node can hold several clients (one per database) and its own
// protocol, and a call blocks only the fiber that made it.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "models/parts/row_store.h"
#include "sim/api/context.h"
#include "sim/api/sync.h"

namespace detsim::parts {

struct DecodeRequest {
  uint64_t id = 0;
  std::string slot;
  Lsn from = 0;
  uint64_t max_txns = 0;
  size_t size_bytes() const { return 32 + slot.size(); }
};
struct DecodeReply {
  uint64_t id = 0;
  DecodeStatus status = DecodeStatus::ok;
  std::vector<DecodedTxn> txns;
  size_t size_bytes() const;
  uint64_t digest() const;  // covers every change, not only the summary line
};
struct ConfirmRequest {
  uint64_t id = 0;
  std::string slot;
  Lsn lsn = 0;
  size_t size_bytes() const { return 24 + slot.size(); }
};
struct ConfirmReply {
  uint64_t id = 0;
  IoStatus status = IoStatus::ok;
};
struct ScanRequest {
  uint64_t id = 0;
  TableId table = 0;
  Key after = 0;
  uint64_t limit = 0;
};
struct ScanReply {
  uint64_t id = 0;
  std::vector<std::pair<Key, Row>> rows;
  size_t size_bytes() const;
  uint64_t digest() const;
};
struct CreateSlotRequest {
  uint64_t id = 0;
  std::string slot;
  size_t size_bytes() const { return 16 + slot.size(); }
};
struct CreateSlotReply {
  uint64_t id = 0;
  IoStatus status = IoStatus::ok;
  Lsn confirmed = 0;  // the slot's position: where a new consumer starts
};

// Server side: call from the database node's receive loop. True if `in` was
// a replication request (decode, confirm, scan, create_slot), which it
// answers; a decode blocks on the store's disk reads.
bool serve_replication(RowStore& store, Context& ctx, const Envelope& in);

// One call at a time per client (one fiber uses it): a reply that another
// fiber's call took would be dropped there as not its own. The client must
// outlive the loop that feeds it through offer().
class ReplicationClient {
 public:
  ReplicationClient(Context& ctx, NodeId db, Duration resend, Duration timeout);
  ReplicationClient(const ReplicationClient&) = delete;
  ReplicationClient& operator=(const ReplicationClient&) = delete;

  // Keeps `in` if it is a replication reply from this client's database
  // (true); false for anything else, which the caller handles.
  bool offer(const Envelope& in);

  // nullopt: no answer within the timeout. fetch also gives nullopt if the
  // server says the slot is unknown or its WAL is gone (last_decode_status
  // says which).
  std::optional<std::vector<DecodedTxn>> fetch(const std::string& slot, Lsn from, size_t max_txns);
  std::optional<IoStatus> confirm(const std::string& slot, Lsn lsn);
  std::optional<std::vector<std::pair<Key, Row>>> scan(TableId table, Key after, size_t limit);
  // True once the slot exists; *confirmed (if given) gets its position,
  // where a new consumer starts decoding.
  bool create_slot(const std::string& slot, Lsn* confirmed = nullptr);
  DecodeStatus last_decode_status() const { return last_decode_status_; }

 private:
  // Sends make(id) every resend_ until a reply R with that id comes.
  template <class R, class Make>
  std::optional<R> call(Make make);

  Context& ctx_;
  NodeId db_;
  Duration resend_;
  Duration timeout_;
  uint64_t next_id_;
  Mailbox<Envelope> replies_;
  DecodeStatus last_decode_status_ = DecodeStatus::ok;
};

}  // namespace detsim::parts

DETSIM_MESSAGE_FORMAT(detsim::parts::DecodeRequest, "decode id={} slot={} from={} max={}", m.id, m.slot, m.from,
                      m.max_txns);
DETSIM_MESSAGE_FORMAT(detsim::parts::DecodeReply, "decode_reply id={} status={} txns={} last_lsn={}", m.id,
                      detsim::parts::to_string(m.status), m.txns.size(), m.txns.empty() ? 0 : m.txns.back().commit_lsn);
DETSIM_MESSAGE_FORMAT(detsim::parts::ConfirmRequest, "confirm id={} slot={} lsn={}", m.id, m.slot, m.lsn);
DETSIM_MESSAGE_FORMAT(detsim::parts::ConfirmReply, "confirm_reply id={} status={}", m.id, detsim::to_string(m.status));
DETSIM_MESSAGE_FORMAT(detsim::parts::ScanRequest, "scan id={} table={} after={} limit={}", m.id, m.table, m.after,
                      m.limit);
DETSIM_MESSAGE_FORMAT(detsim::parts::ScanReply, "scan_reply id={} rows={}", m.id, m.rows.size());
DETSIM_MESSAGE_FORMAT(detsim::parts::CreateSlotRequest, "create_slot id={} slot={}", m.id, m.slot);
DETSIM_MESSAGE_FORMAT(detsim::parts::CreateSlotReply, "create_slot_reply id={} status={} confirmed={}", m.id,
                      detsim::to_string(m.status), m.confirmed);
