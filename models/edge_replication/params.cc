#include "models/edge_replication/params.h"

#include <algorithm>

namespace detsim::edge {

const ParamBindings<EdgeParams>& bindings() {
  using P = EdgeParams;
  static const auto b =
      ParamBindings<P>()
          .choice("row_model", &P::row_model,
                  "explicit: real rows, checked key by key; aggregate: row counts per binlog group, for "
                  "capacity runs (no tables, no backfill)",
                  {{"explicit", RowModel::explicit_rows}, {"aggregate", RowModel::aggregate}})
          .integer("tables", &P::tables, "source tables", 1, 64)
          .integer("keys", &P::keys, "primary keys per table (0..keys-1)", 1, 10'000'000)
          .integer("initial_rows", &P::initial_rows, "rows per table before the run, for backfill to copy", 0,
                   10'000'000)
          .real("rate", &P::rate, "offered rows per second at the source", 0, 1e9)
          .swarm({"1000", "2000", "4000"})
          .choice("arrivals", &P::bursty, "row arrivals: poisson, or on/off bursts at burst_factor x rate (same mean)",
                  {{"poisson", false}, {"bursty", true}})
          .real("burst_factor", &P::burst_factor,
                "bursty: rate multiplier during a burst (bursts are 1/(2 x factor) of the time)", 1, 100)
          .choice("key_dist", &P::zipf, "which keys transactions touch", {{"uniform", false}, {"zipf", true}})
          .swarm({"uniform", "zipf"})
          .real("zipf_s", &P::zipf_s, "zipf exponent", 0.01, 10)
          .real("delete_ratio", &P::delete_ratio, "of changes to existing rows, the fraction that deletes", 0, 1)
          .integer("txn_rows", &P::txn_rows, "rows per transaction", 1, 10'000)
          .duration("commit_interval", &P::commit_interval, "the source's group-commit tick", 1e-6, 10)
          .duration("schema_change_interval", &P::schema_change_interval,
                    "mean time between schema changes (add or drop a column); 0s: none", 0, 3600)
          .integer("row_bytes", &P::row_bytes, "bytes per row on the wire", 1, 1'000'000)
          .duration("select_row_cost", &P::select_row_cost, "source time per row a backfill select reads", 0, 1)
          .choice("backfill", &P::backfill,
                  "dblog: Netflix DBLog watermark windows; rowlock: Ghostferry's copy under a share lock",
                  {{"dblog", Backfill::dblog}, {"rowlock", Backfill::rowlock}})
          .integer("chunk_rows", &P::chunk_rows, "rows per backfill chunk", 1, 1'000'000)
          .swarm({"200", "400"})
          .integer("workers", &P::workers, "parallel apply workers, partitioned by key", 1, 4096)
          .swarm({"4", "8"})
          .integer("batch_rows", &P::batch_rows, "rows per apply batch, at most", 1, 10'000'000)
          .swarm({"200", "400"})
          .duration("linger", &P::linger, "how long a worker waits for a batch to fill", 0, 60)
          .swarm({"0s", "5ms", "20ms"})
          .duration("checkpoint_interval", &P::checkpoint_interval, "how often the replicator saves its position", 1e-4,
                    60)
          .swarm({"10ms", "100ms", "1s"})
          .duration("edge_rtt", &P::edge_rtt, "round trip between the replicator and the edge", 0, 10)
          .swarm({"2ms", "20ms", "40ms"})
          .duration("apply_row_cost", &P::apply_row_cost, "edge time per row applied, per worker", 0, 1)
          .swarm({"1us", "20us", "60us"})
          .duration("apply_batch_cost", &P::apply_batch_cost, "edge time per batch applied, per worker", 0, 1)
          .boolean("inject_divergence", &P::inject_divergence,
                   "rogue writes at the edge and lost target writes (real divergence the final verification "
                   "must report key by key; edge_replication_verify)")
          .swarm({"false", "true"})
          .choice("verify_coverage", &P::verify_coverage,
                  "test only: first_half compares only the lower half of each range (a weakened verifier that "
                  "edge_replication_verify must catch)",
                  {{"full", VerifyCoverage::full}, {"first_half", VerifyCoverage::first_half}})
          .bug("no_row_lock", &P::no_row_lock,
               "rowlock backfill reads a chunk without the share lock: an update between the read and the "
               "insert-ignore write is lost to the stale copy (Ghostferry issue 169)")
          .bug("emit_chunk_at_select", &P::emit_chunk_at_select,
               "dblog emits a chunk when the select returns instead of at its high watermark: the copy "
               "can land after newer streamed versions")
          .bug("skip_window_dedup", &P::skip_window_dedup,
               "dblog does not evict keys streamed inside the window from the chunk: stale chunk rows "
               "overwrite newer streamed rows")
          .bug("checkpoint_before_apply", &P::checkpoint_before_apply,
               "the binlog position is checkpointed when a batch is handed to a worker, before the edge "
               "made it durable: a replicator crash skips those rows")
          .bug("unordered_parallel_apply", &P::unordered_parallel_apply,
               "apply workers take batches round-robin instead of by key: two changes of one key can "
               "apply out of order");
  return b;
}

EdgeParams read_params(const Params& params) {
  EdgeParams out = bindings().read(params);
  out.initial_rows = std::min(out.initial_rows, out.keys);
  return out;
}

}  // namespace detsim::edge
