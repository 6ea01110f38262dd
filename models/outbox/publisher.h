// Publishes order events to the log's orders topic, keyed (and so
// partitioned) by order, several batches in flight, and waits for every
// acknowledgement. The service (dual write) and the relay (outbox) share it.
#pragma once

#include <vector>

#include "models/outbox/messages.h"
#include "models/outbox/observer.h"
#include "models/outbox/params.h"
#include "models/outbox/schema.h"
#include "models/parts/plog/cluster.h"
#include "models/parts/plog/producer.h"
#include "sim/api/context.h"

namespace detsim::outbox {

class Publisher {
 public:
  Publisher(Context& ctx, const parts::plog::Cluster& log, const OutboxParams& params, Observer& observer);
  // Which events the log acknowledged (each may have landed more than
  // once: the consumers de-duplicate).
  std::vector<bool> publish(const std::vector<OrderEvent>& events);

 private:
  parts::plog::Record record_of(const OrderEvent& event) const;

  Context& ctx_;
  const OutboxParams& params_;
  Observer& observer_;
  parts::plog::Producer producer_;
  int32_t topic_;
};

}  // namespace detsim::outbox
