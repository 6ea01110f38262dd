#include "models/primary_replica/manager.h"

#include <map>
#include <optional>

#include "models/parts/row_store.h"
#include "models/primary_replica/messages.h"

namespace detsim::primary_replica {
namespace {

// The manager's one row: epoch, primary, failing over (0/1), old primary.
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
    }
    booted_ = ctx_.monotonic_now();
    failover_began_ = booted_;
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
    if (primary_dead()) begin_failover();
  }

  // The new primary serves: the failover is over. Powers fenced servers
  // back on; they reboot read-only and follow the new primary, where their
  // errant transactions are found.
  void on_confirmed(Time at) {
    if (awaiting_confirm_) {
      observer_.on_failover(last_primary_seen_, at);
      awaiting_confirm_ = false;
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
    failover_began_ = ctx_.monotonic_now();
    persist();
  }

  // Idempotent, so a restarted manager simply runs it again.
  void continue_failover() {
    if (params_.fencing && !params_.no_fencing) power_.cut(static_cast<size_t>(old_));  // STONITH
    std::optional<int64_t> candidate = pick_candidate();
    if (!candidate) return;
    epoch_ += 1;
    primary_ = *candidate;
    failing_ = false;
    if (!persist()) {  // the disk refused: still failing over, retried next round
      epoch_ -= 1;
      primary_ = old_;
      failing_ = true;
      return;
    }
    awaiting_confirm_ = true;
  }

  // The most advanced replica by what its binlog and relay log hold,
  // among all of them: each must have answered since the failover began,
  // so that the one with the latest acknowledged writes is not missed.
  std::optional<int64_t> pick_candidate() const {
    std::optional<int64_t> best;
    int64_t best_received = 0;
    for (size_t n = 0; n < servers_.size(); ++n) {
      const auto node = static_cast<int64_t>(n);
      if (node == old_) continue;
      if (!recent(node, failover_began_)) return std::nullopt;
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
    txn.put(kState, 0, {epoch_, primary_, failing_ ? 1 : 0, old_});
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
  Time failover_began_;
  Time last_primary_seen_;
  bool awaiting_confirm_ = false;
};

}  // namespace

void manager_main(Context& ctx, const PrParams& params, Observer& observer, PowerSwitch& power,
                  const std::vector<NodeId>& servers, const std::vector<NodeId>& proxies) {
  Manager(ctx, params, observer, power, servers, proxies).run();
}

}  // namespace detsim::primary_replica
