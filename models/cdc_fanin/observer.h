// The CDC fan-in model's oracle: told by the sources' and the warehouse's
// row stores (their on_commit hooks) what became durable, it keeps each
// source's history (to know the source's state at any LSN) and a mirror of
// the warehouse, and checks the invariants of checks.h as the warehouse
// commits: rows at every write, aggregates whenever a source's loaded
// watermark moves once its snapshot is done. Also the metrics.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "models/cdc_fanin/checks.h"
#include "models/cdc_fanin/params.h"
#include "models/parts/row_store.h"
#include "sim/api/metrics.h"
#include "sim/api/model.h"

namespace detsim::cdc {

class Observer {
 public:
  Observer(const CdcParams& params, Time heal_at);
  Observer(const Observer&) = delete;
  Observer& operator=(const Observer&) = delete;

  // ---- sources
  // Also after a restart, with the retained WAL: the transaction a crash
  // interrupted after its fsync is new, the rest is known and skipped.
  void on_source_commit(int64_t source, const parts::DecodedTxn& txn);
  void on_source_write_failed(int64_t source) { ++sources_.at(static_cast<size_t>(source)).no_space; }
  void on_wal_retained(int64_t source, uint64_t bytes);
  void on_connector_start() { ++connector_starts_; }
  // ---- warehouse
  void on_warehouse_commit(const parts::DecodedTxn& txn);
  // After the warehouse opened: a crash may have cut a commit short after
  // its fsync, before the hook ran. Rows and watermarks that differ from
  // what the observer knows are taken as one more commit.
  void on_warehouse_opened(const parts::RowStore& store, Time at);
  // The loader fetched `events`, of which `stale` were already loaded.
  void on_delivered(uint64_t events, uint64_t stale);
  void on_loader_start() { ++loader_starts_; }
  // A loader worker's micro-batch: how long it waited for its worker, and
  // how long the worker then took (merge and commit).
  void on_batch(Duration wait, Duration service, Time started);

  // The nodes a violation names (CheckResult::on): source i, its
  // connector, the warehouse loader; and the end of the run, when a
  // liveness check's deadline passes.
  void set_nodes(std::vector<NodeId> sources, std::vector<NodeId> connectors, NodeId warehouse, Time end_at);

  CheckResult check() const;
  void report(MetricList& metrics) const;

 private:
  struct SourceTxn {
    parts::Lsn lsn = 0;
    Time commit_time;
    std::vector<parts::Change> changes;  // of the data tables only
  };
  struct Source {
    std::vector<SourceTxn> history;  // in commit order
    size_t applied = 0;              // history[0, applied) is in shadow
    SourceRows shadow;               // the source's data rows at the loaded watermark
    parts::Lsn watermark = 0;
    bool snapshot_done = false;
    Histogram freshness;  // commit -> loaded, per data transaction
    uint64_t wal_max = 0;
    uint64_t no_space = 0;
    uint64_t lag_max = 0;                 // source transactions not yet loaded
    parts::Lsn last_data = 0;             // the last commit with data changes (not a DBLog watermark)
    std::optional<Time> snapshot_loaded;  // the warehouse commit that marked the snapshot done
  };
  void on_row_written(parts::Key key, const parts::Row& after, Time at);
  void on_watermark(int64_t source, const parts::Row& mark, Time at);
  // Keeps the first failure, stamped with when the warehouse committed
  // it and the source's pipeline: source, connector, loader.
  void violate(CheckResult result, int64_t source, Time at);
  std::vector<NodeId> pipeline_of(int64_t source) const;
  void report_loader(MetricList& metrics) const;

  CdcParams params_;
  Time heal_at_;
  std::vector<Source> sources_;
  WarehouseRows warehouse_;
  std::optional<CheckResult> violation_;
  std::vector<NodeId> source_nodes_;
  std::vector<NodeId> connector_nodes_;
  std::optional<NodeId> warehouse_node_;
  Time end_at_;
  uint64_t rows_loaded_ = 0;
  uint64_t delivered_ = 0;
  uint64_t stale_ = 0;
  uint64_t connector_starts_ = 0;
  uint64_t loader_starts_ = 0;
  Time last_load_;
  Histogram batch_wait_;
  Histogram batch_service_;
  double service_s2_sum_ = 0;  // sum of squared service times, for Kingman's cs^2
  std::optional<Time> first_batch_;
  Time last_batch_;
};

}  // namespace detsim::cdc
