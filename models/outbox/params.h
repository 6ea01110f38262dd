// Knobs and planted bugs of the outbox model (docs/outbox.md): an order
// service that must change its database and tell other services, in four
// ways. The two dual-write modes are expected to fail; the two outbox modes
// must pass.
#pragma once

#include <cstdint>

#include "sim/api/bindings.h"

namespace detsim::outbox {

enum class Mode {
  dual_write_commit_first,   // commit, then publish: a crash between them loses the event
  dual_write_publish_first,  // publish, then commit: a rollback or crash invents one
  outbox_polling,            // the event is a row in the same transaction; a relay polls the table
  outbox_log_tailing,        // the same row, read by the relay from the WAL through a slot
};

inline bool is_outbox(Mode mode) { return mode == Mode::outbox_polling || mode == Mode::outbox_log_tailing; }

struct OutboxParams {
  Mode mode = Mode::outbox_polling;
  int64_t clients = 3;
  double rate = 20;                                     // order requests per second, per client
  int64_t orders = 16;                                  // aggregates the requests spread over
  double reject_ratio = 0.1;                            // requests the business rule rolls back after writing
  Duration think = Duration::milliseconds(2);           // between a request's write and its commit
  Duration request_timeout = Duration::seconds(1);      // the client's, and the service's publish timeout
  int64_t partitions = 3;                               // of the orders topic, keyed by order
  Duration poll_interval = Duration::milliseconds(20);  // the relay's, when the outbox was empty
  int64_t relay_batch = 128;                            // outbox rows or WAL transactions per relay round
  int64_t publish_batch = 8;                            // events per produce request
  int64_t consumers = 2;                                // services applying the events (inventory, email)
  int64_t consumer_batch = 64;                          // records per fetch
  // Planted bugs (outbox modes).
  bool poll_by_sequence_gap = false;
  bool mark_before_publish = false;
  bool consumer_no_dedup = false;
  bool inflight_without_idempotence = false;
};

inline const ParamBindings<OutboxParams>& bindings() {
  using P = OutboxParams;
  static const auto b =
      ParamBindings<P>()
          .choice("mode", &P::mode,
                  "how the order service tells the others: dual write (two ways) or an outbox (two ways)",
                  {{"outbox_polling", Mode::outbox_polling},
                   {"outbox_log_tailing", Mode::outbox_log_tailing},
                   {"dual_write_commit_first", Mode::dual_write_commit_first},
                   {"dual_write_publish_first", Mode::dual_write_publish_first}})
          .integer("clients", &P::clients, "clients, each with one order request in flight", 1, 64)
          .real("rate", &P::rate, "order requests per second per client (exponential think time)", 1e-3, 1e5)
          .swarm({"5", "20", "60"})
          .integer("orders", &P::orders, "orders (aggregates) the requests are spread over, uniformly", 1, 1'000'000)
          .swarm({"2", "16", "200"})
          .real("reject_ratio", &P::reject_ratio, "requests the business rule rejects (rolls back) after writing", 0, 1)
          .duration("think", &P::think, "how long a request's transaction stays open between its writes and commit", 0,
                    10)
          .swarm({"0s", "2ms", "20ms"})
          .duration("request_timeout", &P::request_timeout,
                    "a client gives up on a request after this; the service's publish gives up after it too", 0.001,
                    600)
          .integer("partitions", &P::partitions, "partitions of the orders topic (keyed by order)", 1, 64)
          .duration("poll_interval", &P::poll_interval, "the relay's pause after it found nothing to relay", 0.0001, 10)
          .swarm({"5ms", "20ms", "200ms"})
          .integer("relay_batch", &P::relay_batch, "outbox rows (or WAL transactions) per relay round", 1, 10'000)
          .integer("publish_batch", &P::publish_batch,
                   "events per produce request; a partition's requests go out up to five at a time", 1, 10'000)
          .integer("consumers", &P::consumers, "consumer services applying every event (inventory, email, ...)", 1, 8)
          .integer("consumer_batch", &P::consumer_batch, "records per consumer fetch", 1, 10'000)
          .bug("poll_by_sequence_gap", &P::poll_by_sequence_gap,
               "the relay polls WHERE id > last_relayed: a transaction that took a lower id but commits later is "
               "skipped for good")
          .bug("mark_before_publish", &P::mark_before_publish,
               "the relay deletes outbox rows before the broker acknowledged them: a crash or failed publish "
               "loses the events")
          .bug("consumer_no_dedup", &P::consumer_no_dedup,
               "consumers apply every delivery instead of de-duplicating by message id: a redelivery applies twice")
          .bug("inflight_without_idempotence", &P::inflight_without_idempotence,
               "the relay's producer keeps several batches in flight without idempotence: a retried batch lands "
               "after a later one, reordering an order's events");
  return b;
}

}  // namespace detsim::outbox
