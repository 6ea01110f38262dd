#include "models/primary_replica/manager.h"

#include <map>
#include <optional>

#include "models/parts/row_store.h"
#include "models/primary_replica/messages.h"

namespace detsim::primary_replica {
namespace {

// The manager's one row: epoch, primary, failing over (0/1), old primary,
// new primary not yet confirmed (0/1).
constexpr parts::TableId kState = 1;

parts::RowStoreOptions manager_store() {
  parts::RowStoreOptions options;
  options.dir = "mgr";
  return options;
}

struct Seen {
  Pong pong;
  Time at_monotonic;  // when it came, on the manager's own clock
  Time at;            // true time, for the failover-time metric only
};

class Manager {
 public:
  Manager(Context& ctx, const PrParams& params, Observer& observer, PowerSwitch& power,
          const std::vector<NodeId>& servers, const std::vector<NodeId>& proxies)
      : ctx_(ctx),
        params_(params),
        observer_(observer),
        power_(power),
        servers_(servers),
        proxies_(proxies),
        store_(ctx, manager_store()) {}

  void run() {
    store_.open();
    if (const parts::Row* row = store_.get(kState, 0)) {
      epoch_ = (*row)[0];
      primary_ = (*row)[1];
      failing_ = (*row)[2] != 0;
      old_ = (*row)[3];
      awaiting_confirm_ = (*row)[4] != 0;
    }
    booted_ = ctx_.monotonic_now();
    // Pongs name the ping they answer: a restarted manager's pings never
    // collide with its last incarnation's.
    seq_ = static_cast<uint64_t>(ctx_.incarnation()) << 32;
    while (true) {
      broadcast();
      collect(ctx_.now() + params_.heartbeat);
      step();
    }
  }

 private:
  Duration suspicion() const { return params_.heartbeat * params_.missed_heartbeats; }

  void broadcast() {
    ++seq_;
    for (const NodeId& server : servers_) ctx_.net().send(server, Ping{seq_, epoch_, primary_});
    for (const NodeId& proxy : proxies_) ctx_.net().send(proxy, Route{epoch_, primary_});
  }

  void collect(Time until) {
    while (ctx_.now() < until) {
      std::optional<Envelope> in = ctx_.net().receive(until - ctx_.now());
      if (!in) return;
      if (const auto* pong = in->message.get_if<Pong>()) {
        if (pong->node >= 0 && static_cast<size_t>(pong->node) < servers_.size()) {
          seen_[pong->node] = Seen{*pong, ctx_.monotonic_now(), ctx_.now()};
        }
      }
    }
  }

  // Answered a ping sent after the old primary was fenced: its position
  // then includes every write the old primary acknowledged.
  bool answered_since_fence(int64_t node) const {
    auto it = seen_.find(node);
    return it != seen_.end() && it->second.pong.seq > fenced_at_seq_;
  }

  bool recent(int64_t node, Time since) const {
    auto it = seen_.find(node);
    return it != seen_.end() && it->second.at_monotonic > since;
  }

  void step() {
    if (failing_) {
      continue_failover();
      return;
    }
    auto primary = seen_.find(primary_);
    const bool confirmed = primary != seen_.end() && primary->second.pong.primary &&
                           primary->second.pong.epoch == epoch_ && recent(primary_, booted_);
    if (confirmed) on_confirmed(primary->second.at);
    // Like orchestrator's RecoveryPeriodBlockSeconds: no second failover
    // before the last one's primary serves. Its acknowledged writes may be
    // only on it and on the server fenced before it.
    if (!awaiting_confirm_ && primary_dead()) begin_failover();
  }

  // The new primary serves: the failover is over. Powers fenced servers
  // back on; they reboot read-only and follow the new primary, where their
  // errant transactions are found.
  void on_confirmed(Time at) {
    if (awaiting_confirm_) {
      awaiting_confirm_ = false;
      if (!persist()) {
        awaiting_confirm_ = true;
        return;
      }
      observer_.on_failover(last_primary_seen_, at);
    }
    for (size_t n = 0; n < servers_.size(); ++n) {
      if (static_cast<int64_t>(n) != primary_) power_.restore(n);
    }
  }

  // Silent for `missed_heartbeats` intervals, and no replica that answers
  // has heard from it lately either (orchestrator's "DeadMaster" needs
  // the replicas to agree).
  bool primary_dead() const {
    const Time now = ctx_.monotonic_now();
    if (recent(primary_, now - suspicion()) || now - booted_ < suspicion()) return false;
    size_t witnesses = 0;
    for (const auto& [node, seen] : seen_) {
      if (node == primary_ || !recent(node, now - suspicion())) continue;
      if (seen.pong.epoch == epoch_ && seen.pong.source_fresh) return false;
      ++witnesses;
    }
    return witnesses > 0;
  }

  void begin_failover() {
    auto seen = seen_.find(primary_);
    last_primary_seen_ = seen == seen_.end() ? ctx_.now() : seen->second.at;
    failing_ = true;
    old_ = primary_;
    persist();
    fence();
  }

  // STONITH first, so that the positions compared afterwards are final.
  void fence() {
    if (params_.fencing && !params_.no_fencing) power_.cut(static_cast<size_t>(old_));
    fenced_at_seq_ = seq_;
  }

  // Idempotent, so a restarted manager simply runs it again.
  void continue_failover() {
    if (fenced_at_seq_ == 0) fence();
    std::optional<int64_t> candidate = pick_candidate();
    if (!candidate) return;
    epoch_ += 1;
    primary_ = *candidate;
    failing_ = false;
    fenced_at_seq_ = 0;
    awaiting_confirm_ = true;
    if (!persist()) {  // the disk refused: still failing over, retried next round
      epoch_ -= 1;
      primary_ = old_;
      failing_ = true;
      awaiting_confirm_ = false;
    }
  }

  // The most advanced replica by what its binlog and relay log hold,
  // among all of them: each must have answered since the failover began,
  // so that the one with the latest acknowledged writes is not missed.
  std::optional<int64_t> pick_candidate() const {
    std::optional<int64_t> best;
    int64_t best_received = 0;
    for (size_t n = 0; n < servers_.size(); ++n) {
      const auto node = static_cast<int64_t>(n);
      // A server still powered off from an earlier failover holds nothing
      // the primary since then acknowledged.
      if (node == old_ || power_.off(n)) continue;
      if (!answered_since_fence(node)) return std::nullopt;
      const int64_t received = seen_.at(node).pong.received;
      const bool better = params_.promote_least_advanced ? received < best_received : received > best_received;
      if (!best || better) {
        best = node;
        best_received = received;
      }
    }
    return best;
  }

  bool persist() {
    parts::RowStore::Txn txn = store_.begin();
    txn.put(kState, 0, {epoch_, primary_, failing_ ? 1 : 0, old_, awaiting_confirm_ ? 1 : 0});
    return store_.commit(std::move(txn)).status == parts::CommitStatus::committed;
  }

  Context& ctx_;
  const PrParams& params_;
  Observer& observer_;
  PowerSwitch& power_;
  const std::vector<NodeId>& servers_;
  const std::vector<NodeId>& proxies_;
  parts::RowStore store_;
  int64_t epoch_ = 0;
  int64_t primary_ = 0;
  bool failing_ = false;
  int64_t old_ = -1;
  uint64_t seq_ = 0;
  std::map<int64_t, Seen> seen_;
  Time booted_;
  Time last_primary_seen_;
  bool awaiting_confirm_ = false;
  uint64_t fenced_at_seq_ = 0;  // the last ping sent before this failover's STONITH; 0: not yet
};

}  // namespace

void manager_main(Context& ctx, const PrParams& params, Observer& observer, PowerSwitch& power,
                  const std::vector<NodeId>& servers, const std::vector<NodeId>& proxies) {
  Manager(ctx, params, observer, power, servers, proxies).run();
}

}  // namespace detsim::primary_replica
