#include "models/cdc_fanin/observer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <string>

namespace detsim::cdc {

Observer::Observer(const CdcParams& params, Time heal_at)
    : params_(params), heal_at_(heal_at), sources_(static_cast<size_t>(params.sources)) {}

void Observer::on_source_commit(int64_t source, const parts::DecodedTxn& txn) {
  Source& s = sources_.at(static_cast<size_t>(source));
  if (!s.history.empty() && txn.commit_lsn <= s.history.back().lsn) return;  // already known (a restart's re-read)
  SourceTxn kept{txn.commit_lsn, txn.commit_time, {}};
  for (const parts::Change& change : txn.changes) {
    if (is_data_table(change.table)) kept.changes.push_back(change);
  }
  if (!kept.changes.empty()) s.last_data = kept.lsn;
  s.history.push_back(std::move(kept));
  s.lag_max = std::max<uint64_t>(s.lag_max, s.history.size() - s.applied);
}

void Observer::on_wal_retained(int64_t source, uint64_t bytes) {
  Source& s = sources_.at(static_cast<size_t>(source));
  s.wal_max = std::max(s.wal_max, bytes);
}

void Observer::on_delivered(uint64_t events, uint64_t stale) {
  delivered_ += events;
  stale_ += stale;
}

void Observer::on_batch(Duration wait, Duration service, Time started) {
  batch_wait_.record(wait);
  batch_service_.record(service);
  service_s2_sum_ += service.to_seconds() * service.to_seconds();
  if (!first_batch_) first_batch_ = started;
  last_batch_ = started;
}

void Observer::set_nodes(std::vector<NodeId> sources, std::vector<NodeId> connectors, NodeId warehouse, Time end_at) {
  source_nodes_ = std::move(sources);
  connector_nodes_ = std::move(connectors);
  warehouse_node_ = warehouse;
  end_at_ = end_at;
}

std::vector<NodeId> Observer::pipeline_of(int64_t source) const {
  std::vector<NodeId> nodes;
  const auto index = static_cast<size_t>(source);
  if (index < source_nodes_.size()) nodes.push_back(source_nodes_[index]);
  if (index < connector_nodes_.size()) nodes.push_back(connector_nodes_[index]);
  if (warehouse_node_) nodes.push_back(*warehouse_node_);
  return nodes;
}

void Observer::violate(CheckResult result, int64_t source, Time at) {
  if (violation_ || result.verdict == Verdict::pass) return;
  violation_ = std::move(result.at(at).on(pipeline_of(source)));
}

// Rows first, then the watermarks the same transaction moved: the
// aggregates are compared on the warehouse as this commit left it.
void Observer::on_warehouse_commit(const parts::DecodedTxn& txn) {
  for (const parts::Change& change : txn.changes) {
    if (change.table == kWarehouseRows && change.op != parts::Change::Op::erase) {
      on_row_written(change.key, change.row, txn.commit_time);
    }
  }
  for (const parts::Change& change : txn.changes) {
    if (change.table == kWarehouseMarks && change.op != parts::Change::Op::erase) {
      on_watermark(change.key, change.row, txn.commit_time);
    }
  }
}

void Observer::on_warehouse_opened(const parts::RowStore& store, Time at) {
  parts::DecodedTxn missed;
  missed.commit_time = at;
  for (const auto& [key, row] : store.scan(kWarehouseRows, -1, SIZE_MAX)) {
    auto it = warehouse_.find(key);
    if (it == warehouse_.end() || it->second != row) {
      missed.changes.push_back({parts::Change::Op::update, kWarehouseRows, key, row});
    }
  }
  for (const auto& [source, mark] : store.scan(kWarehouseMarks, -1, SIZE_MAX)) {
    missed.changes.push_back({parts::Change::Op::update, kWarehouseMarks, source, mark});
  }
  on_warehouse_commit(missed);
}

void Observer::on_row_written(parts::Key key, const parts::Row& after, Time at) {
  const WarehouseKey k = unpack(key);
  auto it = warehouse_.find(key);
  violate(check_row_write(k, it == warehouse_.end() ? nullptr : &it->second, after), k.source, at);
  warehouse_[key] = after;
  ++rows_loaded_;
  WarehouseKey logical = k;
  logical.copy = 0;
  violate(check_no_duplicate_rows(warehouse_, logical), k.source, at);
}

void Observer::on_watermark(int64_t source, const parts::Row& mark, Time at) {
  Source& s = sources_.at(static_cast<size_t>(source));
  const parts::Lsn w = static_cast<parts::Lsn>(mark[0]);
  const bool done = mark[1] != 0;
  const bool moved = w > s.watermark || (done && !s.snapshot_done);
  s.watermark = std::max(s.watermark, w);
  if (done && !s.snapshot_done) s.snapshot_loaded = at;
  s.snapshot_done = s.snapshot_done || done;
  while (s.applied < s.history.size() && s.history[s.applied].lsn <= s.watermark) {
    const SourceTxn& txn = s.history[s.applied++];
    for (const parts::Change& change : txn.changes) {
      if (change.op == parts::Change::Op::erase) {
        s.shadow.erase({change.table, change.key});
      } else {
        s.shadow[{change.table, change.key}] = change.row;
      }
    }
    if (!txn.changes.empty()) s.freshness.record(at - txn.commit_time);
  }
  last_load_ = at;
  if (moved && s.snapshot_done) {
    CheckResult result = check_aggregates_at_watermark(source, s.watermark, aggregates_of_source(s.shadow),
                                                       aggregates_of_warehouse(warehouse_, source));
    if (result.verdict != Verdict::pass) {
      result.detail.append("; rows:");
      result.detail.append(row_differences(s.shadow, warehouse_, source, 4));
    }
    violate(std::move(result), source, at);
  }
}

CheckResult Observer::check() const {
  if (violation_) return *violation_;
  for (size_t i = 0; i < sources_.size(); ++i) {
    CheckResult reached = check_watermark_reached(static_cast<int64_t>(i), sources_[i].watermark,
                                                  sources_[i].snapshot_done, sources_[i].last_data);
    // Liveness: the deadline is the run's end, the stuck pipeline is i's.
    if (reached.verdict != Verdict::pass)
      return std::move(reached.at(end_at_).on(pipeline_of(static_cast<int64_t>(i))));
  }
  return CheckResult::ok();
}

// The loader as a c-server queue of micro-batches: measured waits for a
// worker next to M/M/c (Erlang C) and the Allen-Cunneen form of Kingman's
// G/G/1 formula for c servers, with the arrival rate and the service
// moments measured in the run (Allen, "Probability, Statistics, and
// Queueing Theory", 1990; docs/capacity.md). The batches' arrivals are
// assumed Poisson (ca^2 = 1).
void Observer::report_loader(MetricList& metrics) const {
  const double batches = static_cast<double>(batch_service_.count());
  const double window_s = first_batch_ ? (last_batch_ - *first_batch_).to_seconds() : 0;
  const double service_mean = batch_service_.mean_s();
  const double lambda = window_s > 0 ? batches / window_s : 0;
  const auto c = params_.loader_workers;
  const double rho = service_mean > 0 ? lambda * service_mean / static_cast<double>(c) : 0;
  metrics.push_back({"loader_batches", batches});
  metrics.push_back({"loader_batch_rate_per_s", lambda});
  metrics.push_back({"loader_service_mean_s", service_mean});
  metrics.push_back({"loader_utilisation", rho});
  metrics.push_back({"loader_wait_mean_s", batch_wait_.mean_s()});
  metrics.push_back({"loader_wait_p99_s", batch_wait_.quantile_s(0.99)});
  if (rho <= 0 || rho >= 1) return;
  const double mu = 1 / service_mean;
  metrics.push_back({"theory_mmc_wait_mean_s", queueing::mmc_wait_mean_s(lambda, mu, c)});
  metrics.push_back({"theory_mmc_wait_p99_s", queueing::mmc_wait_quantile_s(lambda, mu, c, 0.99)});
  const double variance = service_s2_sum_ / batches - service_mean * service_mean;
  const double cs2 = variance > 0 ? variance / (service_mean * service_mean) : 0;
  metrics.push_back({"approx_kingman_wait_mean_s", queueing::mmc_wait_mean_s(lambda, mu, c) * (1 + cs2) / 2});
}

void Observer::report(MetricList& metrics) const {
  Histogram all;
  uint64_t wal_max = 0;
  uint64_t no_space = 0;
  uint64_t lag_max = 0;
  uint64_t txns = 0;
  Time snapshots_loaded_at;  // the last source's, 0 if none finished
  for (size_t i = 0; i < sources_.size(); ++i) {
    const Source& s = sources_[i];
    all.merge(s.freshness);
    wal_max = std::max(wal_max, s.wal_max);
    no_space += s.no_space;
    lag_max = std::max(lag_max, s.lag_max);
    txns += s.history.size();
    if (s.snapshot_loaded) snapshots_loaded_at = std::max(snapshots_loaded_at, *s.snapshot_loaded);
    metrics.push_back({fmt::format("s{}_freshness_p50_s", i), s.freshness.quantile_s(0.5)});
    metrics.push_back({fmt::format("s{}_freshness_p99_s", i), s.freshness.quantile_s(0.99)});
    metrics.push_back({fmt::format("s{}_freshness_p999_s", i), s.freshness.quantile_s(0.999)});
  }
  metrics.push_back({"freshness_p50_s", all.quantile_s(0.5)});
  metrics.push_back({"freshness_p99_s", all.quantile_s(0.99)});
  metrics.push_back({"freshness_p999_s", all.quantile_s(0.999)});
  metrics.push_back({"freshness_max_s", all.max().to_seconds()});
  metrics.push_back({"source_txns", static_cast<double>(txns)});
  metrics.push_back({"txns_loaded", static_cast<double>(all.count())});
  metrics.push_back({"rows_loaded", static_cast<double>(rows_loaded_)});
  const double load_s = last_load_.to_seconds();
  metrics.push_back({"rows_per_s", load_s > 0 ? static_cast<double>(rows_loaded_) / load_s : 0});
  // How long the slowest DBLog snapshot took to reach the warehouse: with
  // connectors restarting from scratch late in the run, this is what the
  // settle must cover (docs/cdc_fanin.md, seed 169).
  metrics.push_back({"snapshots_loaded_at_s", snapshots_loaded_at.to_seconds()});
  metrics.push_back({"consumer_lag_max_txns", static_cast<double>(lag_max)});
  metrics.push_back({"wal_retained_max_bytes", static_cast<double>(wal_max)});
  metrics.push_back({"source_writes_failed", static_cast<double>(no_space)});
  metrics.push_back(
      {"duplicate_ratio", delivered_ > 0 ? static_cast<double>(stale_) / static_cast<double>(delivered_) : 0});
  report_loader(metrics);
  metrics.push_back({"connector_starts", static_cast<double>(connector_starts_)});
  metrics.push_back({"loader_starts", static_cast<double>(loader_starts_)});
}

}  // namespace detsim::cdc
