// The load generator (nodes.h). Batch convention: a batch sent at the start
// of a tick carries the requests arriving over that tick, evenly spread;
// each server handles request i of n at receipt + i/n of the tick, so the
// whole batch is shifted alike and a request's latency is its batch's round
// trip (plus its own database sojourn). docs/noisy_neighbours.md says what
// this approximates.
#include <algorithm>
#include <map>
#include <memory>
#include <vector>

#include "models/noisy_neighbours/messages.h"
#include "models/noisy_neighbours/nodes.h"
#include "models/noisy_neighbours/workload.h"

namespace detsim::noisy {
namespace {

struct Pending {
  int64_t tenant = 0;
  Time sent;
  int64_t pod = 0;
  uint64_t count = 0;
  uint64_t remaining = 0;  // neither answered nor timed out
  bool front_seen = false;
  bool db_seen = false;
};

// Shared with its answer fiber, which outlives run() (late answers).
class Generator : public std::enable_shared_from_this<Generator> {
 public:
  Generator(Context& ctx, Observer& observer, const Topology& topology, int64_t index)
      : ctx_(ctx), observer_(observer), topology_(topology), index_(index), rng_(ctx.rng().fork("arrivals")) {
    const NoisyParams& params = observer.params();
    for (int64_t t = index; t < params.tenants; t += params.generators) tenants_.push_back(t);
  }

  void run() {
    Rng plan_rng = ctx_.rng().fork("plan");
    observer_.ensure_plan(plan_rng);
    ctx_.spawn("answers", [self = shared_from_this()] { self->receive_loop(); });
    const NoisyParams& params = observer_.params();
    Time tick = ctx_.now();
    while (tick < observer_.stop_sending()) {
      expire(tick);
      if (params.requests == Requests::batch) {
        for (int64_t tenant : tenants_) send_batch(tenant, draw_count(tenant, tick));
      } else {
        send_explicit(tick);
      }
      tick += params.tick;
      ctx_.sleep_until(tick);
    }
    // Every batch is answered or timed out before the run ends.
    while (!pending_.empty()) {
      ctx_.sleep_for(params.tick);
      expire(ctx_.now());
    }
  }

 private:
  uint64_t draw_count(int64_t tenant, Time tick) {
    return poisson(rng_, observer_.rate_at(tenant, tick) * observer_.params().tick.to_seconds());
  }

  // requests=explicit: each request its own message, at its own Poisson
  // arrival instant inside the tick (exponential gaps, merged by time).
  void send_explicit(Time tick) {
    const Time tick_end = tick + observer_.params().tick;
    std::multimap<Time, int64_t> arrivals;
    for (int64_t tenant : tenants_) {
      const double mean_gap_s = 1 / observer_.rate_at(tenant, tick);
      Time at = tick;
      while (true) {
        const double gap_s = rng_.exponential(mean_gap_s);
        at += Duration::from_seconds(gap_s);
        if (at >= tick_end) break;
        arrivals.emplace(at, tenant);
      }
    }
    for (const auto& [at, tenant] : arrivals) {
      ctx_.sleep_until(at);
      send_batch(tenant, 1);
    }
  }

  void send_batch(int64_t tenant, uint64_t count) {
    if (count == 0) return;
    const Time now = ctx_.now();
    const double hot_share = observer_.hot_share_at(tenant, now);
    uint64_t hot = 0;
    if (hot_share > 0) {
      const double expected = static_cast<double>(count) * hot_share;
      const double fraction = rng_.uniform01();
      hot = std::min(count, static_cast<uint64_t>(expected + fraction));
    }
    const uint64_t id = next_id_++;
    const int64_t pod = observer_.pod_of(tenant);
    pending_.emplace(id, Pending{tenant, now, pod, count, count});
    observer_.record_sent(tenant, now, count);
    observer_.tally(tenant).pending += count;
    ctx_.net().send(topology_.caches[static_cast<size_t>(pod)], Batch{tenant, id, index_, count, hot});
  }

  // Batches are sent in id order, so the expired ones are a prefix.
  void expire(Time now) {
    const Duration timeout = observer_.params().request_timeout;
    while (!pending_.empty() && pending_.begin()->second.sent + timeout <= now) {
      const Pending& p = pending_.begin()->second;
      fail(p, p.remaining);
      pending_.erase(pending_.begin());
    }
  }

  void fail(const Pending& p, uint64_t count) {
    TenantTally& tally = observer_.tally(p.tenant);
    tally.failed += count;
    tally.pending -= count;
    observer_.record_served(p.tenant, p.sent, p.pod, count);
  }

  void receive_loop() {
    while (true) {
      std::optional<Envelope> in = ctx_.net().receive();
      if (!in) continue;
      if (const Answer* answer = in->message.get_if<Answer>()) on_answer(*answer);
    }
  }

  void on_answer(const Answer& answer) {
    if (answer.batch >= next_id_) {
      ++observer_.errors().invented;
      return;
    }
    auto it = pending_.find(answer.batch);
    if (it == pending_.end()) {
      observer_.note_late_answer();  // after its timeout, or a duplicate
      return;
    }
    Pending& p = it->second;
    if (answer.tenant != p.tenant) {
      ++observer_.errors().wrong_tenant;
      return;
    }
    bool& seen = answer.part == Part::front ? p.front_seen : p.db_seen;
    if (seen) return;  // a duplicated datagram
    seen = true;
    // The front part accounts for the whole batch: its answers plus the
    // misses it forwarded, which the database part answers (either part
    // may arrive first). Neither may answer more than is left.
    const uint64_t answered = answer.ok + answer.throttled + answer.failed;
    const uint64_t claimed = answer.part == Part::front ? answered + answer.forwarded : answered;
    const uint64_t allowed = answer.part == Part::front ? p.count : p.remaining;
    if (claimed > allowed || answered > p.remaining) {
      observer_.errors().over_answered +=
          std::max(claimed - std::min(claimed, allowed), answered - std::min(answered, p.remaining));
      return;
    }
    account(p, answer);
    p.remaining -= answered;
    if (p.remaining == 0) pending_.erase(it);
  }

  void account(const Pending& p, const Answer& answer) {
    const NoisyParams& params = observer_.params();
    const Duration round_trip = ctx_.now() - p.sent;
    TenantTally& tally = observer_.tally(p.tenant);
    tally.pending -= answer.ok + answer.throttled + answer.failed;
    tally.failed += answer.failed;
    observer_.record_served(p.tenant, p.sent, answer.pod, answer.ok + answer.throttled + answer.failed);
    if (answer.throttled > 0) observer_.record_throttled(p.tenant, p.sent, answer.throttled);
    if (answer.part == Part::front) {
      if (answer.ok > 0) observer_.record_ok(p.tenant, p.sent, round_trip + params.cache_service, answer.ok);
      return;
    }
    const Duration transport = round_trip - answer.span + params.cache_service;
    for (size_t j = 0; j < answer.sojourn.size(); ++j) {
      observer_.record_ok(p.tenant, p.sent, transport + answer.sojourn[j], answer.weight[j]);
    }
  }

  Context& ctx_;
  Observer& observer_;
  const Topology& topology_;
  int64_t index_;
  Rng rng_;
  std::vector<int64_t> tenants_;
  std::map<uint64_t, Pending> pending_;  // by batch id
  uint64_t next_id_ = 0;
};

}  // namespace

void generator_main(Context& ctx, Observer& observer, const Topology& topology, int64_t index) {
  std::make_shared<Generator>(ctx, observer, topology, index)->run();
}

}  // namespace detsim::noisy
