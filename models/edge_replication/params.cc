#include "models/edge_replication/params.h"

namespace detsim::edge {
namespace {

ParamSpec choice(std::string key, std::string default_text, std::vector<std::string> choices, std::string doc) {
  ParamSpec spec = make_param(std::move(key), ParamType::choice, std::move(default_text), std::move(doc));
  spec.choices = std::move(choices);
  return spec;
}

}  // namespace

std::vector<ParamSpec> param_specs() {
  using T = ParamType;
  return {
      choice("row_model", "explicit", {"explicit", "aggregate"},
             "explicit: real rows, checked key by key; aggregate: row counts per binlog group, for "
             "capacity runs (no tables, no backfill)"),
      make_param("tables", T::integer, "2", "source tables", 1, 64),
      make_param("keys", T::integer, "2000", "primary keys per table (0..keys-1)", 1, 10'000'000),
      make_param("initial_rows", T::integer, "1000", "rows per table before the run, for backfill to copy", 0,
                 10'000'000),
      swarmed(make_param("rate", T::real, "4000", "offered rows per second at the source", 0, 1e9),
              {"1000", "2000", "4000"}),
      choice("arrivals", "poisson", {"poisson", "bursty"},
             "row arrivals: poisson, or on/off bursts at burst_factor x rate (same mean)"),
      make_param("burst_factor", T::real, "4", "bursty: rate multiplier during a burst (bursts are 1/(2 x factor) of the time)", 1, 100),
      swarmed(choice("key_dist", "uniform", {"uniform", "zipf"}, "which keys transactions touch"),
              {"uniform", "zipf"}),
      make_param("zipf_s", T::real, "1.1", "zipf exponent", 0.01, 10),
      make_param("delete_ratio", T::real, "0.1", "of changes to existing rows, the fraction that deletes", 0, 1),
      make_param("txn_rows", T::integer, "4", "rows per transaction", 1, 10'000),
      make_param("commit_interval", T::duration, "1ms", "the source's group-commit tick", 1e-6, 10),
      make_param("schema_change_interval", T::duration, "4s",
                 "mean time between schema changes (add or drop a column); 0s: none", 0, 3600),
      make_param("row_bytes", T::integer, "100", "bytes per row on the wire", 1, 1'000'000),
      make_param("select_row_cost", T::duration, "20us", "source time per row a backfill select reads", 0, 1),
      choice("backfill", "dblog", {"dblog", "rowlock"},
             "dblog: Netflix DBLog watermark windows; rowlock: Ghostferry's copy under a share lock"),
      swarmed(make_param("chunk_rows", T::integer, "100", "rows per backfill chunk", 1, 1'000'000),
              {"200", "400"}),
      swarmed(make_param("workers", T::integer, "4", "parallel apply workers, partitioned by key", 1, 4096),
              {"4", "8"}),
      swarmed(make_param("batch_rows", T::integer, "200", "rows per apply batch, at most", 1, 10'000'000),
              {"200", "400"}),
      swarmed(make_param("linger", T::duration, "5ms", "how long a worker waits for a batch to fill", 0, 60),
              {"0s", "5ms", "20ms"}),
      swarmed(make_param("checkpoint_interval", T::duration, "100ms", "how often the replicator saves its position",
                 1e-4, 60),
              {"10ms", "100ms", "1s"}),
      swarmed(make_param("edge_rtt", T::duration, "20ms", "round trip between the replicator and the edge", 0, 10),
              {"2ms", "20ms", "40ms"}),
      swarmed(make_param("apply_row_cost", T::duration, "1us", "edge time per row applied, per worker", 0, 1),
              {"1us", "20us", "60us"}),
      make_param("apply_batch_cost", T::duration, "100us", "edge time per batch applied, per worker", 0, 1),
      swarmed(make_param("inject_divergence", T::boolean, "false",
                 "rogue writes at the edge and lost target writes (real divergence the final verification "
                 "must report key by key; edge_replication_verify)"),
              {"false", "true"}),
      choice("verify_coverage", "full", {"full", "first_half"},
             "test only: first_half compares only the lower half of each range (a weakened verifier that "
             "edge_replication_verify must catch)"),
  };
}

std::vector<BugSpec> bug_specs() {
  return {
      {kBugNoRowLock,
       "rowlock backfill reads a chunk without the share lock: an update between the read and the "
       "insert-ignore write is lost to the stale copy (Ghostferry issue 169)"},
      {kBugEmitChunkAtSelect,
       "dblog emits a chunk when the select returns instead of at its high watermark: the copy "
       "can land after newer streamed versions"},
      {kBugSkipWindowDedup,
       "dblog does not evict keys streamed inside the window from the chunk: stale chunk rows "
       "overwrite newer streamed rows"},
      {kBugCheckpointBeforeApply,
       "the binlog position is checkpointed when a batch is handed to a worker, before the edge "
       "made it durable: a replicator crash skips those rows"},
      {kBugUnorderedParallelApply,
       "apply workers take batches round-robin instead of by key: two changes of one key can "
       "apply out of order"},
  };
}

EdgeParams read_params(const Params& params) {
  EdgeParams out;
  out.row_model = params.text("row_model") == "aggregate" ? RowModel::aggregate : RowModel::explicit_rows;
  out.tables = params.integer("tables");
  out.keys = params.integer("keys");
  out.initial_rows = std::min(params.integer("initial_rows"), out.keys);
  out.rate = params.real("rate");
  out.bursty = params.text("arrivals") == "bursty";
  out.burst_factor = params.real("burst_factor");
  out.zipf = params.text("key_dist") == "zipf";
  out.zipf_s = params.real("zipf_s");
  out.delete_ratio = params.real("delete_ratio");
  out.txn_rows = params.integer("txn_rows");
  out.commit_interval = params.duration("commit_interval");
  out.schema_change_interval = params.duration("schema_change_interval");
  out.row_bytes = params.integer("row_bytes");
  out.select_row_cost = params.duration("select_row_cost");
  out.backfill = params.text("backfill") == "rowlock" ? Backfill::rowlock : Backfill::dblog;
  out.chunk_rows = params.integer("chunk_rows");
  out.workers = params.integer("workers");
  out.batch_rows = params.integer("batch_rows");
  out.linger = params.duration("linger");
  out.checkpoint_interval = params.duration("checkpoint_interval");
  out.edge_rtt = params.duration("edge_rtt");
  out.apply_row_cost = params.duration("apply_row_cost");
  out.apply_batch_cost = params.duration("apply_batch_cost");
  out.inject_divergence = params.boolean("inject_divergence");
  out.verify_coverage =
      params.text("verify_coverage") == "first_half" ? VerifyCoverage::first_half : VerifyCoverage::full;
  const std::string& bug = params.text("bug");
  out.no_row_lock = bug == kBugNoRowLock;
  out.emit_chunk_at_select = bug == kBugEmitChunkAtSelect;
  out.skip_window_dedup = bug == kBugSkipWindowDedup;
  out.checkpoint_before_apply = bug == kBugCheckpointBeforeApply;
  out.unordered_parallel_apply = bug == kBugUnorderedParallelApply;
  return out;
}

}  // namespace detsim::edge
