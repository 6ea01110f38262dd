// What the outbox model's nodes say to each other, beyond the log's own
// protocol (models/parts/plog): clients ask the order service to change an
// order, and the event every service learns of a change.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sim/api/codec.h"
#include "sim/api/message.h"

namespace detsim::outbox {

// Set an order's status and amount; the service bumps its version.
struct OrderRequest {
  uint64_t request = 0;  // unique per client
  int64_t order = 0;
  int64_t status = 0;
  int64_t amount = 0;
};

enum class Outcome : uint8_t { committed, rejected, failed };

struct OrderReply {
  uint64_t request = 0;
  Outcome outcome = Outcome::failed;
};

// The event of one business change, as the log carries it (the record's
// value; its key is the order). The change id is the message id that
// consumers de-duplicate by.
struct OrderEvent {
  uint64_t change = 0;
  int64_t order = 0;
  int64_t version = 0;
  int64_t status = 0;
  int64_t amount = 0;

  std::string encode() const {
    ByteWriter out;
    out.u64(change);
    out.i64(order);
    out.i64(version);
    out.i64(status);
    out.i64(amount);
    return out.take();
  }
  static std::optional<OrderEvent> decode(std::string_view bytes) {
    ByteReader in(bytes);
    OrderEvent event;
    event.change = in.u64();
    event.order = in.i64();
    event.version = in.i64();
    event.status = in.i64();
    event.amount = in.i64();
    if (!in.ok() || !in.at_end()) return std::nullopt;
    return event;
  }
};

}  // namespace detsim::outbox

DETSIM_MESSAGE_FORMAT(detsim::outbox::OrderRequest, "order_request req={} order={} status={} amount={}", m.request,
                      m.order, m.status, m.amount);
DETSIM_MESSAGE_FORMAT(detsim::outbox::OrderReply, "order_reply req={} outcome={}", m.request,
                      static_cast<int>(m.outcome));
