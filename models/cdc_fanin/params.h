// Knobs and planted bugs of the CDC fan-in model (docs/cdc_fanin.md):
// N source databases, a Debezium-like connector per source, a replicated
// partitioned log, and one warehouse loader.
#pragma once

#include <cstdint>

#include "sim/api/bindings.h"

namespace detsim::cdc {

struct CdcParams {
  int64_t sources = 12;
  double rate = 10;              // transactions per second, per source
  int64_t initial_orders = 30;   // orders (each with one line item) a source holds before its connector starts
  double zipf = 1.1;             // skew of the keys that updates and deletes pick
  int64_t chunk_rows = 100;      // rows per DBLog snapshot chunk
  int64_t connector_batch = 64;  // transactions per decode and produce
  Duration poll = Duration::milliseconds(20);  // a connector's and a loader worker's pause when idle
  int64_t loader_workers = 2;                  // fibers on the loader, each with its partitions
  int64_t batch_records = 256;                 // records per loader fetch (one micro-batch)
  Duration rpc_timeout = Duration::milliseconds(500);
  // The warehouse's MERGE cost beyond the row store's own write and fsync:
  // per micro-batch and per event (capacity scenarios; 0 in the stock one).
  Duration merge_fixed = Duration::zero();
  Duration merge_per_event = Duration::zero();
  // Planted bugs.
  bool loader_insert_not_upsert = false;
  bool offset_before_write = false;
  bool slot_before_ack = false;
  bool snapshot_no_window_dedup = false;
  bool unclean_leader_election = false;
};

inline const ParamBindings<CdcParams>& bindings() {
  using P = CdcParams;
  static const auto b =
      ParamBindings<P>()
          .integer("sources", &P::sources, "source databases, each with its connector and log partition", 1, 60)
          .real("rate", &P::rate, "transactions per second per source (exponential think time)", 1e-3, 1e5)
          .swarm({"3", "10", "30"})
          .integer("initial_orders", &P::initial_orders, "orders (with one line item each) a source starts with", 0,
                   100'000)
          .swarm({"5", "30", "60"})
          .real("zipf", &P::zipf, "zipf exponent of the orders that updates and deletes pick", 0.01, 5)
          .swarm({"0.5", "1.1", "2"})
          .integer("chunk_rows", &P::chunk_rows, "rows per DBLog snapshot chunk", 1, 100'000)
          .swarm({"40", "100", "250"})
          .integer("connector_batch", &P::connector_batch, "source transactions per connector decode and produce", 1,
                   10'000)
          .swarm({"16", "64", "256"})
          .duration("poll", &P::poll, "how long a connector or a loader worker pauses when it found nothing", 0.0001,
                    10)
          .integer("loader_workers", &P::loader_workers,
                   "loader fibers; worker w reads partitions p with p % workers == w", 1, 64)
          .swarm({"1", "2", "4"})
          .integer("batch_records", &P::batch_records, "records per loader fetch: the micro-batch", 1, 100'000)
          .swarm({"64", "256", "1024"})
          .duration("rpc_timeout", &P::rpc_timeout, "connector calls to its source, and log request timeouts", 0.001,
                    60)
          .duration("merge_fixed", &P::merge_fixed, "warehouse MERGE cost per micro-batch, on top of its commit", 0, 60)
          .duration("merge_per_event", &P::merge_per_event, "warehouse MERGE cost per event of a micro-batch", 0, 1)
          .bug("loader_insert_not_upsert", &P::loader_insert_not_upsert,
               "the loader INSERTs insert and snapshot events instead of merging by key: a redelivered or snapshotted "
               "row becomes a duplicate")
          .bug("offset_before_write", &P::offset_before_write,
               "the loader commits its consumer offsets before the warehouse write: a crash or failed write in "
               "between loses the batch")
          .bug("slot_before_ack", &P::slot_before_ack,
               "the connector advances its slot and stored offset before the log acknowledged the events: a failed "
               "produce or a crash loses them")
          .bug("snapshot_no_window_dedup", &P::snapshot_no_window_dedup,
               "the DBLog snapshot keeps chunk rows that changed inside the watermark window: an older snapshot row "
               "overwrites a newer streamed version")
          .bug("unclean_leader_election", &P::unclean_leader_election,
               "the log lets an out-of-sync replica lead (LogConfig::unclean_election): acknowledged records vanish");
  return b;
}

}  // namespace detsim::cdc
