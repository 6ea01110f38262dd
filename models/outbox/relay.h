// The outbox relay (Richardson, "Pattern: Transactional outbox";
// Debezium's outbox event router for the log-tailing form). Events are
// rows the service inserted in the same transaction as the business
// change; the relay publishes them and only then forgets them, so every
// committed change is published at least once and nothing rolled back
// ever is. Redeliveries are the consumers' to de-duplicate.
//
// polling: scan the outbox table in id order, publish, delete what was
// acknowledged. log tailing: decode the WAL from the slot's confirmed
// position, publish the outbox inserts, confirm the slot past them, then
// delete the rows (they only keep the table small).
#pragma once

#include <vector>

#include "models/outbox/observer.h"
#include "models/outbox/params.h"
#include "models/outbox/publisher.h"
#include "models/parts/row_store.h"
#include "sim/api/context.h"

namespace detsim::outbox {

class Relay {
 public:
  Relay(Context& ctx, const OutboxParams& params, const parts::plog::Cluster& log, Observer& observer,
        parts::RowStore& store);
  // Runs until the node crashes.
  void run();

 private:
  // One round each; false when there was nothing to relay.
  bool poll_round();
  bool tail_round();
  // Deletes these outbox rows (and, for the planted gap bug, moves its cursor).
  bool forget(const std::vector<int64_t>& ids);

  Context& ctx_;
  const OutboxParams& params_;
  Observer& observer_;
  parts::RowStore& store_;
  Publisher publisher_;
};

}  // namespace detsim::outbox
