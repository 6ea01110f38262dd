// Knobs and planted bugs of the edge replication model (docs/edge_replication.md).
// The scenario loader validates every value against these specs first.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/api/bindings.h"

namespace detsim::edge {

enum class Backfill { dblog, rowlock };
// explicit: every row is a real row with columns and versions, checked key
// by key. aggregate: a binlog group is a row count and a commit time, for
// capacity runs at millions of rows per second (no tables, no backfill).
enum class RowModel { explicit_rows, aggregate };
// How much of each range the final verification compares. first_half is a
// weakened verifier for tests only: the verification scenario must catch it.
enum class VerifyCoverage { full, first_half };

struct EdgeParams {
  RowModel row_model = RowModel::explicit_rows;
  // Source tables and workload.
  int64_t tables = 2;
  int64_t keys = 2000;          // primary keys 0..keys-1, per table
  int64_t initial_rows = 1000;  // rows per table before the run: what backfill copies
  double rate = 4000;           // offered rows per second
  bool bursty = false;          // on/off bursts at burst_factor x rate, mean kept at rate
  double burst_factor = 4;
  bool zipf = false;  // key choice
  double zipf_s = 1.1;
  double delete_ratio = 0.1;                               // of the rows changed that exist: deleted, else updated
  int64_t txn_rows = 4;                                    // rows per transaction
  Duration commit_interval = Duration::milliseconds(1);    // the group commit's tick
  Duration schema_change_interval = Duration::seconds(4);  // mean; zero: never
  int64_t row_bytes = 100;                                 // size on the wire, per row
  Duration select_row_cost = Duration::microseconds(20);
  // Replicator.
  Backfill backfill = Backfill::dblog;
  int64_t chunk_rows = 100;
  int64_t workers = 4;
  int64_t batch_rows = 200;
  Duration linger = Duration::milliseconds(5);
  Duration checkpoint_interval = Duration::milliseconds(100);
  // Target (the edge).
  Duration edge_rtt = Duration::milliseconds(20);
  Duration apply_row_cost = Duration::microseconds(1);
  Duration apply_batch_cost = Duration::microseconds(100);
  // Verification scenario: rogue writes at the edge and lost target writes,
  // real divergence the verifier must report key by key.
  bool inject_divergence = false;
  VerifyCoverage verify_coverage = VerifyCoverage::full;
  // Planted bugs.
  bool no_row_lock = false;
  bool emit_chunk_at_select = false;
  bool skip_window_dedup = false;
  bool checkpoint_before_apply = false;
  bool unordered_parallel_apply = false;

  bool explicit_rows() const { return row_model == RowModel::explicit_rows; }
  friend bool operator==(const EdgeParams&, const EdgeParams&) = default;
};

// Every knob and planted bug, declared once (sim/api/bindings.h).
const ParamBindings<EdgeParams>& bindings();
EdgeParams read_params(const Params& params);

}  // namespace detsim::edge
