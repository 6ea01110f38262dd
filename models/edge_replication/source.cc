#include "models/edge_replication/source.h"

#include <algorithm>
#include <cmath>

#include "models/edge_replication/binlog_codec.h"

namespace detsim::edge {
namespace {

constexpr uint64_t kBinlogSalt = 0xb1b1'0000'0000'0001ULL;
// Bursty arrivals: a burst lasts this long on average.
constexpr double kBurstMean_s = 0.1;

// Knuth's product method for small means; above, the normal approximation
// with a continuity correction (within a fraction of a percent of the
// Poisson's quantiles from a mean of 30 on), which keeps a tick of a
// million rows one draw.
uint64_t poisson(Rng& rng, double mean) {
  if (mean <= 0) return 0;
  if (mean < 30) {
    const double limit = std::exp(-mean);
    double product = rng.uniform01();
    uint64_t k = 0;
    while (product > limit) {
      ++k;
      product *= rng.uniform01();
    }
    return k;
  }
  const double x = rng.normal(mean, std::sqrt(mean)) + 0.5;
  return x < 0 ? 0 : static_cast<uint64_t>(x);
}

}  // namespace

void Source::main(Context& ctx, const EdgeParams& params, const SourceConfig& config, Observer& observer) {
  // Shared with every fiber of this incarnation: the object lives until the
  // last of them has unwound after a crash.
  std::shared_ptr<Source> source(new Source(ctx, params, config, observer));
  source->recover();
  ctx.spawn("binlog-dump", [source] {
    while (true) {
      std::optional<Connection> connection = source->ctx_.net().accept(kBinlogPort);
      if (connection) source->ctx_.spawn("dump", [source, c = *connection] { source->serve_dump(c); });
    }
  });
  ctx.spawn("sql", [source] {
    while (true) {
      std::optional<Connection> connection = source->ctx_.net().accept(kQueryPort);
      if (connection) source->ctx_.spawn("session", [source, c = *connection] { source->serve_sql(c); });
    }
  });
  ctx.spawn("schema-changes", [source] {
    source->run_schema_changes();
    source->schema_done_ = true;
  });
  source->run_workload();
  source->workload_done_ = true;
  ctx.sleep_until(Time::max());
}

Source::Source(Context& ctx, const EdgeParams& params, const SourceConfig& config, Observer& observer)
    : ctx_(ctx),
      params_(params),
      config_(config),
      observer_(observer),
      binlog_file_(ctx.disk(), "binlog", kBinlogSalt),
      commit_mutex_(ctx),
      new_group_(ctx),
      locks_released_(ctx),
      workload_rng_(ctx.rng().fork("workload", ctx.incarnation())) {}

Source::~Source() { observer_.detach_source(&tables_); }

// The tables as they were before the run (the image backfill copies),
// then every durable binlog group on top.
void Source::recover() {
  if (params_.explicit_rows()) {
    tables_.resize(static_cast<size_t>(params_.tables));
    for (Table& table : tables_) {
      table.schema() = initial_schema();
      for (int64_t key = 0; key < params_.initial_rows; ++key) {
        table.slot(key) = Table::Slot{initial_row(table.schema(), key), true};
      }
    }
  }
  for (const std::string& payload : binlog_file_.recover()) {
    std::optional<BinlogGroup> group = decode_group(payload);
    // Invariant: an intact record decodes (the checksum passed).
    DETSIM_ASSERT(group.has_value());
    DETSIM_ASSERT(group->first_seq == next_seq_);
    replay(*group);
    next_seq_ = group->end_seq();
    if (group->kind == GroupKind::rows)
      observer_.on_commit(group->first_seq, group->rows, group->commit_time, ctx_.now());
    binlog_.push_back(std::make_shared<const BinlogGroup>(std::move(*group)));
  }
  observer_.attach_source(&tables_);
}

void Source::replay(const BinlogGroup& group) {
  if (!params_.explicit_rows()) return;
  if (group.kind == GroupKind::ddl) tables_[group.ddl.table].apply_ddl(group.ddl);
  for (const RowChange& change : group.changes) {
    tables_[change.table].slot(change.key) = Table::Slot{change.after, change.kind != ChangeKind::remove};
  }
}

uint64_t Source::arrivals(Duration elapsed) {
  double rate = params_.rate;
  if (params_.bursty) {
    // On/off: bursts of kBurstMean_s at factor x rate for 1/(2 factor) of
    // the time; between them the rate that keeps the mean at `rate`.
    const double burst_share = 1.0 / (2.0 * params_.burst_factor);
    const bool in_burst = burst_until_ > ctx_.now();
    if (!in_burst && ctx_.now() >= calm_until_) {
      burst_until_ = ctx_.now() + Duration::from_seconds(workload_rng_.exponential(kBurstMean_s));
      calm_until_ = burst_until_ +
                    Duration::from_seconds(workload_rng_.exponential(kBurstMean_s * (1 - burst_share) / burst_share));
    }
    rate = burst_until_ > ctx_.now() ? rate * params_.burst_factor : rate * 0.5 / (1 - burst_share);
  }
  return poisson(workload_rng_, rate * elapsed.to_seconds());
}

int64_t Source::pick_key() {
  const auto keys = static_cast<uint64_t>(params_.keys);
  if (!params_.zipf) return static_cast<int64_t>(workload_rng_.below(keys));
  // Rank 1 is the hottest; spread the hot ranks over the key space so they
  // do not all sit in the first backfill chunk.
  const uint64_t rank = workload_rng_.zipf(keys, params_.zipf_s) - 1;
  return static_cast<int64_t>((rank * 0x9e3779b97f4a7c15ULL) % keys);
}

void Source::run_workload() {
  Time last = ctx_.now();
  while (ctx_.now() < config_.stop_writes_at) {
    ctx_.sleep_for(params_.commit_interval);
    const Time now = ctx_.now();
    if (now >= config_.stop_writes_at) break;
    uint64_t rows = arrivals(now - last);
    last = now;
    if (!params_.explicit_rows()) {
      pending_rows_ += rows;
    } else {
      while (rows > 0) {
        const uint64_t n = std::min<uint64_t>(rows, static_cast<uint64_t>(params_.txn_rows));
        Txn txn;
        for (uint64_t i = 0; i < n; ++i) {
          // Two draws, in a fixed order: as arguments of one call their
          // order would be the compiler's (g++ drew the key first).
          const int64_t key = pick_key();
          const auto table = static_cast<uint32_t>(workload_rng_.below(static_cast<uint64_t>(params_.tables)));
          txn.emplace_back(table, key);
        }
        pending_.push_back(std::move(txn));
        rows -= n;
      }
    }
    commit_pending();
  }
}

bool Source::blocked_by_lock(const Txn& txn) const {
  for (const auto& [table, key] : txn) {
    for (const ShareLock& lock : locks_) {
      if (lock.table == table && lock.lo <= key && key <= lock.hi) return true;
    }
  }
  return false;
}

// A transaction that touches a row under a share lock waits (InnoDB: an
// exclusive row lock waits for the shared one); the others commit now.
void Source::commit_pending() {
  LockGuard guard(commit_mutex_);
  BinlogGroup group;
  group.kind = GroupKind::rows;
  group.first_seq = next_seq_;
  group.commit_time = ctx_.now();
  if (!params_.explicit_rows()) {
    if (pending_rows_ == 0) return;
    group.rows = group.span = pending_rows_;
    if (commit(std::move(group), nullptr)) pending_rows_ = 0;
    return;
  }
  Overlay overlay;
  std::vector<Txn> waiting;
  for (Txn& txn : pending_) {
    if (blocked_by_lock(txn)) {
      observer_.on_writer_lock_wait();
      waiting.push_back(std::move(txn));
      continue;
    }
    for (const auto& [table, key] : txn) add_change(table, key, overlay, group);
  }
  pending_ = std::move(waiting);
  if (group.changes.empty()) return;
  group.rows = group.span = group.changes.size();
  commit(std::move(group), &overlay);
}

// Insert if the key is absent, else delete or update one column. The
// version grows on every change, deletes too.
void Source::add_change(uint32_t table, int64_t key, Overlay& overlay, BinlogGroup& group) {
  auto [it, fresh] = overlay.slots.try_emplace({table, key});
  Table::Slot& slot = it->second;
  if (fresh) {
    const Table::Slot* committed = tables_[table].find(key);
    if (committed) slot = *committed;
  }
  RowChange change;
  change.table = table;
  change.key = key;
  change.seq = group.first_seq + group.changes.size();
  change.before_version = slot.live ? slot.row.version : 0;
  const Schema& schema = tables_[table].schema();
  if (!slot.live) {
    change.kind = ChangeKind::insert;
    change.after = initial_row(schema, key);
    for (Column& column : change.after.columns) column.value = static_cast<int64_t>(workload_rng_.below(1'000'000));
  } else if (workload_rng_.bernoulli(params_.delete_ratio)) {
    change.kind = ChangeKind::remove;
  } else {
    change.kind = ChangeKind::update;
    change.after = normalize(slot.row, schema);
    if (!change.after.columns.empty()) {
      Column& column = change.after.columns[workload_rng_.below(change.after.columns.size())];
      column.value = static_cast<int64_t>(workload_rng_.below(1'000'000));
    }
  }
  change.after.version = slot.row.version + 1;
  slot.row = change.after;
  slot.live = change.kind != ChangeKind::remove;
  group.changes.push_back(std::move(change));
}

bool Source::commit(BinlogGroup group, const Overlay* overlay) {
  // Invariant: groups are written in position order, one at a time.
  DETSIM_ASSERT(commit_mutex_.locked());
  DETSIM_ASSERT(group.first_seq == next_seq_);
  if (!binlog_file_.append_durably(encode_group(group))) return false;
  if (overlay) {
    for (const auto& [at, slot] : overlay->slots) tables_[at.first].slot(at.second) = slot;
  } else {
    replay(group);
  }
  next_seq_ = group.end_seq();
  if (group.kind == GroupKind::rows) observer_.on_commit(group.first_seq, group.rows, group.commit_time, ctx_.now());
  binlog_.push_back(std::make_shared<const BinlogGroup>(std::move(group)));
  new_group_.notify_all();
  return true;
}

// Add or drop a column of a random table, under a metadata lock: it waits
// until no chunk holds share locks on the table (MySQL's ALTER waits for
// the metadata lock the same way).
void Source::run_schema_changes() {
  if (!params_.explicit_rows() || params_.schema_change_interval == Duration::zero()) return;
  Rng rng = ctx_.rng().fork("schema", ctx_.incarnation());
  while (true) {
    // Wakes at the stop at the latest, so the source can say it is done.
    const Time wake = ctx_.now() + Duration::from_seconds(rng.exponential(params_.schema_change_interval.to_seconds()));
    ctx_.sleep_until(std::min(wake, config_.stop_writes_at));
    if (ctx_.now() >= config_.stop_writes_at) return;
    const auto table = static_cast<uint32_t>(rng.below(static_cast<uint64_t>(params_.tables)));
    while (table_locked(table)) locks_released_.wait_until(ctx_.now() + Duration::milliseconds(10));
    LockGuard guard(commit_mutex_);
    if (ctx_.now() >= config_.stop_writes_at) return;  // the wait for the locks outlasted the workload
    if (table_locked(table)) continue;                 // a select locked it while we waited for the mutex
    const Schema& schema = tables_[table].schema();
    const size_t width = schema.columns.size();
    const bool add = width <= 2 || (width < 6 && rng.bernoulli(0.5));
    BinlogGroup group;
    group.kind = GroupKind::ddl;
    group.first_seq = next_seq_;
    group.span = 1;
    group.commit_time = ctx_.now();
    group.ddl = Ddl{table, add, add ? schema.next_column : schema.columns[rng.below(width)], schema.version + 1};
    if (commit(std::move(group), nullptr)) observer_.on_schema_change();
  }
}

std::optional<uint64_t> Source::write_watermark(uint64_t window) {
  LockGuard guard(commit_mutex_);
  BinlogGroup group;
  group.kind = GroupKind::watermark;
  group.first_seq = next_seq_;
  group.span = 1;
  group.commit_time = ctx_.now();
  group.window = window;
  const uint64_t seq = group.first_seq;
  if (!commit(std::move(group), nullptr)) return std::nullopt;
  return seq;
}

}  // namespace detsim::edge
