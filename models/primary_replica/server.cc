#include "models/primary_replica/server.h"

#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "models/parts/row_store.h"
#include "models/primary_replica/gtid_max.h"
#include "models/primary_replica/messages.h"
#include "sim/api/sync.h"

namespace detsim::primary_replica {
namespace {

constexpr parts::Key kFirst = std::numeric_limits<parts::Key>::min();
constexpr size_t kFetchBatch = 64;

parts::Row row_of(const Event& e) { return {e.gtid.origin, e.gtid.seq, e.key, e.value, e.epoch}; }
Event event_of(const parts::Row& r) { return Event{{r[0], r[1]}, r[2], r[3], r[4]}; }

parts::RowStoreOptions store_options(Observer& observer, int64_t index) {
  parts::RowStoreOptions options;
  options.on_commit = [&observer, index](const parts::DecodedTxn& txn) { observer.on_commit(index, txn); };
  options.on_replay = [&observer, index](const parts::DecodedTxn& txn) { observer.on_replay(index, txn); };
  return options;
}

// Shared with its spawned fibers (receiver, applier, promote), which may
// still be unwinding after a crash when the main fiber has let go of it.
class Server : public std::enable_shared_from_this<Server> {
 public:
  Server(Context& ctx, const PrParams& params, Observer& observer, PowerSwitch& power, int64_t index,
         const std::vector<NodeId>& servers)
      : ctx_(ctx),
        params_(params),
        observer_(observer),
        power_(power),
        index_(index),
        servers_(servers),
        store_(ctx, store_options(observer, index)),
        inbox_(ctx),
        applier_wake_(ctx),
        ack_wake_(ctx),
        apply_mutex_(ctx) {}

  void run() {
    store_.open();
    boots_seen_ = power_.boots(me());
    load();
    if (params_.relay_log_recovery_off) skip_relay_log();
    source_heard_ = ctx_.monotonic_now();
    ctx_.spawn("receiver", [self = shared_from_this()] { self->receiver(); });
    ctx_.spawn("applier", [self = shared_from_this()] { self->applier(); });
    while (true) {
      std::optional<Envelope> in = ctx_.net().receive(params_.fetch_interval);
      if (power_.boots(me()) != boots_seen_) reboot();
      if (power_.off(me()) || !in) continue;
      dispatch(*in);
    }
  }

 private:
  size_t me() const { return static_cast<size_t>(index_); }
  bool serving() const { return writable_ && ready_ && !power_.off(me()); }

  // In-memory state from the committed rows: what MySQL's crash recovery
  // gives, every binlog transaction committed and visible.
  void load() {
    binlog_.clear();
    relay_.clear();
    executed_.clear();
    kv_.clear();
    written_.clear();
    for (const auto& [pos, row] : store_.scan(kBinlog, kFirst, std::numeric_limits<size_t>::max())) {
      const Event e = event_of(row);
      binlog_[pos] = e;
      executed_[e.gtid.origin] = std::max(seq_of(executed_, e.gtid.origin), e.gtid.seq);
      kv_[e.key] = e;
      written_.insert(e.value);
    }
    received_ = executed_;
    for (const auto& [pos, row] : store_.scan(kRelay, kFirst, std::numeric_limits<size_t>::max())) {
      const Event e = event_of(row);
      relay_[pos] = e;
      received_[e.gtid.origin] = std::max(seq_of(received_, e.gtid.origin), e.gtid.seq);
    }
    // Never back to an older topology than the one this incarnation
    // already follows (its last repointing may not have reached the disk).
    const parts::Row* topology = store_.get(kMeta, kTopology);
    if (topology != nullptr && (*topology)[0] > epoch_) {
      epoch_ = (*topology)[0];
      primary_ = (*topology)[1];
    }
    own_seq_ = seq_of(executed_, index_);
    visible_upto_ = next_binlog_pos();
  }

  // The planted relay_log_recovery_off: the applier's position comes from
  // a file that was not crash-safe and is taken as the relay log's end, so
  // the relay log is dropped unapplied, while the receiver resumes after
  // what it had received (its master info).
  void skip_relay_log() {
    if (relay_.empty()) return;
    parts::RowStore::Txn txn = store_.begin();
    for (const auto& [pos, e] : relay_) txn.erase(kRelay, pos);
    if (store_.commit(std::move(txn)).status != parts::CommitStatus::committed) return;
    for (const auto& [key, row] : store_.scan(kMeta, kMasterInfo - 1, std::numeric_limits<size_t>::max())) {
      const int64_t origin = key - kMasterInfo;
      received_[origin] = std::max(seq_of(executed_, origin), row[0]);
    }
    relay_.clear();
  }

  // Powered back on after a STONITH: a reboot, read-only until the
  // manager says otherwise.
  void reboot() {
    boots_seen_ = power_.boots(me());
    ++generation_;
    writable_ = false;
    ready_ = false;
    promoting_ = false;
    load();
  }

  void dispatch(const Envelope& in) {
    if (const auto* ping = in.message.get_if<Ping>()) {
      adopt(*ping);
      const bool fresh = ctx_.monotonic_now() - source_heard_ < params_.heartbeat * params_.missed_heartbeats;
      ctx_.net().send(in.from, Pong{ping->seq, index_, epoch_, serving(), total(received_), fresh && !writable_});
    } else if (const auto* op = in.message.get_if<DbOp>()) {
      on_op(in.from, *op);
    } else if (const auto* fetch = in.message.get_if<Fetch>()) {
      serve_fetch(in.from, *fetch);
    } else if (const auto* events = in.message.get_if<Events>()) {
      if (primary_ >= 0 && in.from == servers_[static_cast<size_t>(primary_)]) inbox_.push(*events);
    } else if (const auto* ack = in.message.get_if<Ack>()) {
      replica_received_[in.from] = from_wire(ack->received);
      advance_visible();
      ack_wake_.notify_all();
    }
  }

  // The manager's topology: a newer epoch repoints this server, promotes
  // it, or demotes it (read_only=ON).
  void adopt(const Ping& ping) {
    if (ping.epoch < epoch_) return;
    if (ping.epoch != epoch_ || ping.primary != primary_) {
      epoch_ = ping.epoch;
      primary_ = ping.primary;
      writable_ = false;
      ready_ = false;
      promoting_ = false;
      ++generation_;
      if (ping.primary != index_) persist_topology();
    }
    if (ping.primary == index_ && !writable_ && !promoting_) {
      promoting_ = true;
      // The generation and epoch of this decision, not of whenever the
      // fiber first runs: a newer topology may come in between.
      ctx_.spawn("promote", [self = shared_from_this(), generation = generation_, epoch = epoch_] {
        self->promote(generation, epoch);
      });
    }
  }

  void persist_topology() {
    parts::RowStore::Txn txn = store_.begin();
    txn.put(kMeta, kTopology, {epoch_, primary_});
    store_.commit(std::move(txn));
  }

  // Applies the whole relay log, records the promotion, and with semi-sync
  // waits until a replica holds every transaction before serving (a
  // recovered or freshly promoted primary may have transactions no
  // replica has: serving them would make them visible, then lost).
  void promote(uint64_t generation, int64_t epoch) {
    while (!relay_.empty() && generation == generation_) apply_one();
    if (generation != generation_) return;
    parts::RowStore::Txn txn = store_.begin();
    txn.put(kMeta, kTopology, {epoch, index_});
    if (store_.commit(std::move(txn)).status != parts::CommitStatus::committed) {
      promoting_ = false;
      return;
    }
    if (generation != generation_) return;
    writable_ = true;
    if (params_.replication == Replication::semisync && !wait_for_replica(executed_, generation)) {
      semisync_off_ = true;
    }
    if (generation != generation_) return;
    ready_ = true;
    promoting_ = false;
    advance_visible();
  }

  bool replica_has(const GtidSet& wanted) const {
    if (covers(GtidSet{}, wanted)) return true;  // nothing to wait for
    for (const auto& [node, received] : replica_received_) {
      if (covers(received, wanted)) return true;
    }
    return false;
  }

  // rpl_semi_sync_master_timeout: false when no replica acknowledged in time.
  bool wait_for_replica(const GtidSet& wanted, uint64_t generation) {
    const Time deadline = ctx_.now() + params_.semisync_timeout;
    while (!replica_has(wanted)) {
      if (generation != generation_ || !ack_wake_.wait_until(deadline)) return replica_has(wanted);
    }
    return true;
  }

  void on_op(NodeId from, const DbOp& op) {
    if (!serving()) return;
    if (op.op.kind == OpKind::get) {
      ClientReply reply{op.op.req, false, 0, {}};
      auto it = kv_.find(op.op.key);
      if (it != kv_.end()) reply = ClientReply{op.op.req, true, it->second.value, it->second.gtid};
      ctx_.net().send(from, DbReply{op.req, reply});
      return;
    }
    // Values are unique per write: a duplicated or late-replayed request
    // is not written twice (an idempotency key).
    if (written_.contains(op.op.value)) return;
    ctx_.spawn("write", [self = shared_from_this(), from, op, generation = generation_, epoch = epoch_] {
      self->write(from, op, generation, epoch);
    });
  }

  void write(NodeId from, const DbOp& op, uint64_t generation, int64_t epoch) {
    Event e{{index_, 0}, op.op.key, op.op.value, epoch};
    {
      LockGuard guard(apply_mutex_);
      if (!serving() || generation != generation_ || written_.contains(e.value)) return;
      e.gtid.seq = own_seq_ + 1;
      const parts::Key pos = next_binlog_pos();
      parts::RowStore::Txn txn = store_.begin();
      txn.put(kBinlog, pos, row_of(e));
      if (store_.commit(std::move(txn)).status != parts::CommitStatus::committed) return;
      own_seq_ = e.gtid.seq;
      record(pos, e);
    }
    const bool sync = params_.replication == Replication::semisync && !semisync_off_;
    if (params_.replication == Replication::async || params_.wait_point == WaitPoint::after_commit) make_visible(e);
    if (sync && !wait_for_replica({{index_, e.gtid.seq}}, generation)) semisync_off_ = true;  // falls back to async
    advance_visible();
    if (!serving() || generation != generation_) return;
    observer_.on_acked(index_, epoch, e.gtid, ctx_.now());
    ctx_.net().send(from, DbReply{op.req, ClientReply{op.op.req, true, e.value, e.gtid}});
  }

  parts::Key next_binlog_pos() const { return binlog_.empty() ? 0 : binlog_.rbegin()->first + 1; }

  void record(parts::Key pos, const Event& e) {
    binlog_[pos] = e;
    written_.insert(e.value);
    executed_[e.gtid.origin] = std::max(seq_of(executed_, e.gtid.origin), e.gtid.seq);
    received_[e.gtid.origin] = std::max(seq_of(received_, e.gtid.origin), e.gtid.seq);
  }

  void make_visible(const Event& e) { kv_[e.key] = e; }

  // AFTER_SYNC: the primary's own transactions become visible, in binlog
  // order, once a replica has them (or semi-sync fell back to async). A
  // replica's applied transactions are visible at once.
  void advance_visible() {
    if (replica_has(executed_)) semisync_off_ = false;  // a replica caught up: semi-sync again
    auto it = binlog_.lower_bound(visible_upto_);
    for (; it != binlog_.end(); ++it) {
      const Event& e = it->second;
      const bool own = e.gtid.origin == index_;
      const bool waits = params_.replication == Replication::semisync && params_.wait_point == WaitPoint::after_sync &&
                         !semisync_off_ && own;
      if (waits && !replica_has({{index_, e.gtid.seq}})) break;
      make_visible(e);
      visible_upto_ = it->first + 1;
    }
  }

  // GTID auto-positioning: the events the replica lacks, in binlog order;
  // a replica with transactions this server never had is told so.
  void serve_fetch(NodeId from, const Fetch& fetch) {
    const GtidSet have = from_wire(fetch.have);
    // A fetch names what the replica's relay log and binlog durably hold:
    // it acknowledges that much too.
    replica_received_[from] = have;
    advance_visible();
    ack_wake_.notify_all();
    Events reply;
    reply.source_has = to_wire(executed_);
    for (const auto& [origin, seq] : have) {
      if (seq > seq_of(executed_, origin)) reply.errant = true;
    }
    if (!reply.errant) {
      for (const auto& [pos, e] : binlog_) {
        if (e.gtid.seq <= seq_of(have, e.gtid.origin)) continue;
        reply.events.push_back(e);
        if (reply.events.size() >= kFetchBatch) break;
      }
    }
    ctx_.net().send(from, std::move(reply));
  }

  bool replicating() const { return !writable_ && primary_ >= 0 && primary_ != index_ && !power_.off(me()); }

  // The receiver (MySQL's I/O thread): fetch, write the relay log, ACK.
  void receiver() {
    while (true) {
      if (!replicating()) {
        ctx_.sleep_for(params_.fetch_interval);
        continue;
      }
      const NodeId source = servers_[static_cast<size_t>(primary_)];
      ctx_.net().send(source, Fetch{to_wire(received_)});
      std::optional<Events> batch = inbox_.pop(params_.fetch_interval * 5);
      if (!batch) continue;
      source_heard_ = ctx_.monotonic_now();
      if (batch->errant) {
        roll_back_errant(from_wire(batch->source_has));
      } else if (batch->events.empty()) {
        ctx_.sleep_for(params_.fetch_interval);
      } else if (append_relay(batch->events)) {
        ctx_.net().send(source, Ack{to_wire(received_)});
      }
    }
  }

  bool append_relay(const std::vector<Event>& events) {
    parts::RowStore::Txn txn = store_.begin();
    GtidSet received = received_;
    std::map<parts::Key, Event> added;
    parts::Key pos = relay_.empty() ? 0 : relay_.rbegin()->first + 1;
    for (const Event& e : events) {
      if (e.gtid.seq != seq_of(received, e.gtid.origin) + 1) continue;  // a duplicate, or not next
      received[e.gtid.origin] = e.gtid.seq;
      txn.put(kRelay, pos, row_of(e));
      txn.put(kMeta, kMasterInfo + e.gtid.origin, {e.gtid.seq});
      added[pos++] = e;
    }
    if (added.empty()) return false;
    if (store_.commit(std::move(txn)).status != parts::CommitStatus::committed) return false;
    relay_.merge(added);
    received_ = received;
    applier_wake_.notify_all();
    return true;
  }

  // The applier (MySQL's SQL thread), with its position in the same
  // transaction as the change (relay_log_info_repository=TABLE).
  void applier() {
    while (true) {
      if (relay_.empty() || power_.off(me())) {
        applier_wake_.wait_until(ctx_.now() + params_.fetch_interval);
        continue;
      }
      if (params_.apply_delay > Duration::zero()) ctx_.sleep_for(params_.apply_delay);
      apply_one();
    }
  }

  void apply_one() {
    LockGuard guard(apply_mutex_);
    if (relay_.empty()) return;
    const auto [rpos, e] = *relay_.begin();
    parts::RowStore::Txn txn = store_.begin();
    txn.erase(kRelay, rpos);
    const bool fresh = e.gtid.seq > seq_of(executed_, e.gtid.origin);
    const parts::Key pos = next_binlog_pos();
    if (fresh) txn.put(kBinlog, pos, row_of(e));
    if (store_.commit(std::move(txn)).status != parts::CommitStatus::committed) return;
    relay_.erase(rpos);
    if (!fresh) return;
    record(pos, e);
    advance_visible();
  }

  // Errant transactions (this server has GTIDs its new source never had:
  // an old primary's unreplicated writes) are reported, then undone, as an
  // operator re-clones the replica from its source.
  void roll_back_errant(const GtidSet& source_has) {
    LockGuard guard(apply_mutex_);
    parts::RowStore::Txn txn = store_.begin();
    size_t errant = 0;
    for (const auto& [pos, e] : binlog_) {
      if (e.gtid.seq > seq_of(source_has, e.gtid.origin)) {
        txn.erase(kBinlog, pos);
        ++errant;
      }
    }
    for (const auto& [pos, e] : relay_) txn.erase(kRelay, pos);
    for (const auto& [key, row] : store_.scan(kMeta, kMasterInfo - 1, std::numeric_limits<size_t>::max())) {
      txn.erase(kMeta, key);
    }
    observer_.on_errant_reported(index_, errant);
    if (store_.commit(std::move(txn)).status != parts::CommitStatus::committed) return;
    load();
  }

  Context& ctx_;
  const PrParams& params_;
  Observer& observer_;
  PowerSwitch& power_;
  int64_t index_;
  const std::vector<NodeId>& servers_;
  parts::RowStore store_;
  Mailbox<Events> inbox_;
  WaitQueue applier_wake_;
  WaitQueue ack_wake_;
  Mutex apply_mutex_;  // binlog positions: writes, applies and rollbacks one at a time

  std::map<parts::Key, Event> binlog_;
  std::map<parts::Key, Event> relay_;
  GtidSet executed_;
  GtidSet received_;             // executed, relay log, and (with the planted bug) skipped events
  std::map<int64_t, Event> kv_;  // the visible value of each key
  std::set<int64_t> written_;    // values in the binlog
  parts::Key visible_upto_ = 0;
  std::map<NodeId, GtidSet> replica_received_;
  int64_t own_seq_ = 0;
  int64_t epoch_ = 0;
  int64_t primary_ = 0;
  bool writable_ = false;
  bool ready_ = false;
  bool promoting_ = false;
  bool semisync_off_ = false;
  uint64_t generation_ = 0;  // bumped by every change of role: in-flight work from before stops
  uint64_t boots_seen_ = 0;
  Time source_heard_;
};

}  // namespace

void server_main(Context& ctx, const PrParams& params, Observer& observer, PowerSwitch& power, int64_t index,
                 const std::vector<NodeId>& servers) {
  std::make_shared<Server>(ctx, params, observer, power, index, servers)->run();
}

}  // namespace detsim::primary_replica
