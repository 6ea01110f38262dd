#include "models/resource_fsm/worker.h"

#include <memory>

#include "models/resource_fsm/rpc.h"
#include "models/resource_fsm/schema.h"

namespace detsim::rfsm {
namespace {

// What a worker believes about its lease.
struct Lease {
  int64_t job = 0;
  int64_t token = 0;
  Time trusted_until;       // on the worker's monotonic clock
  int64_t expires_wall_ns;  // the store's wall-clock expiry (the planted bug's yardstick)
  bool finished = false;    // the work is over: the heartbeat stops
};

enum class Step { done, lost_lease, fenced };

class Worker : public std::enable_shared_from_this<Worker> {
 public:
  Worker(Context& ctx, const FsmParams& params, Observer& observer, NodeId store, NodeId provider, int64_t index)
      : ctx_(ctx), params_(params), observer_(observer), store_(store), provider_(provider), index_(index), rpc_(ctx) {}

  Rpc& rpc() { return rpc_; }

  void run() {
    while (true) {
      const Time asked = ctx_.monotonic_now();
      const auto grant = rpc_.call<Grant>(store_, Acquire{0, index_}, params_.resend, params_.rpc_timeout);
      if (!grant || grant->job == 0) {
        ctx_.sleep_for(params_.poll_interval);
        continue;
      }
      const Time started = ctx_.now();
      carry_out(*grant, Lease{grant->job, grant->token, asked + trust(), grant->expires_wall_ns});
      observer_.on_worker_busy(ctx_.now() - started);
    }
  }

 private:
  Duration trust() const { return Duration::from_seconds(params_.lease_ttl.to_seconds() * params_.lease_safety); }

  void carry_out(const Grant& grant, Lease granted) {
    auto lease = std::make_shared<Lease>(granted);
    // The heartbeat renews the lease beside the work, as long as it lasts.
    ctx_.spawn("heartbeat", [self = shared_from_this(), lease] { self->heartbeat(lease); });
    const parts::Row& row = grant.job_row;
    const auto kind = static_cast<Kind>(row[job::kind]);
    const int64_t resource = row[job::resource];
    ApplyStatus applied = ApplyStatus::refused;
    const Step step = apply(*lease, resource, kind, row[job::spec], &applied);
    lease->finished = true;
    // Only a holder records completion (the store fences it by the token
    // anyway); a worker past its lease leaves the job to the next one.
    if (step != Step::done || !holds(*lease)) return;
    const State state = applied == ApplyStatus::applied ? done_state(kind) : State::failed;
    complete(Complete{0, lease->job, lease->token, resource, static_cast<int64_t>(state), row[job::spec]});
  }

  // Calls the provider until it answers, giving up as soon as the lease can
  // no longer be trusted.
  Step apply(const Lease& lease, int64_t resource, Kind kind, int64_t spec, ApplyStatus* status) {
    // One id for the whole call: the provider's answer to any copy counts.
    const uint64_t id = rpc_.fresh_id();
    while (true) {
      if (!holds(lease)) return Step::lost_lease;
      const Apply call{0, resource, lease.token, static_cast<int64_t>(kind), spec};
      const auto reply = rpc_.call<ApplyReply>(provider_, call, params_.resend, params_.lease_ttl / 3, id);
      if (!reply) continue;
      if (reply->status == ApplyStatus::fenced) return Step::fenced;
      *status = reply->status;
      return Step::done;
    }
  }

  // Every third of the TTL; a renewal extends the trust from when it was
  // asked for, never from when the answer came.
  void heartbeat(const std::shared_ptr<Lease>& lease) {
    while (!lease->finished) {
      ctx_.sleep_for(params_.lease_ttl / 3);
      if (lease->finished) return;
      const Time asked = ctx_.monotonic_now();
      const auto reply =
          rpc_.call<RenewReply>(store_, Renew{0, lease->job, lease->token}, params_.resend, params_.lease_ttl);
      if (!reply || !reply->ok || lease->finished) continue;
      lease->trusted_until = std::max(lease->trusted_until, asked + trust());
      lease->expires_wall_ns = reply->expires_wall_ns;
    }
  }

  // The lease judgement the oracle checks: a worker that trusts its lease
  // tells the observer when.
  bool holds(const Lease& lease) {
    const bool trusted = params_.lease_by_wall_clock ? ctx_.wall_now().unix_ns() < lease.expires_wall_ns
                                                     : ctx_.monotonic_now() < lease.trusted_until;
    if (trusted) observer_.ledger().on_lease_judged(lease.job, lease.token, ctx_.now(), ctx_.self());
    return trusted;
  }

  // The store fences completions by the token, so they may go at any time
  // and as often as the callback likes.
  void complete(const Complete& done) {
    rpc_.call<DbWriteReply>(store_, done, params_.resend, params_.rpc_timeout);
    if (!ctx_.rng().bernoulli(params_.completion_duplicate)) return;
    const double late = ctx_.rng().uniform01();
    const Duration delay = Duration::from_seconds(params_.completion_delay_max.to_seconds() * late);
    Complete copy = done;
    copy.id = rpc_.fresh_id();
    ctx_.spawn("late-callback", [&ctx = ctx_, store = store_, copy, delay] {
      ctx.sleep_for(delay);
      ctx.net().send(store, copy);
    });
  }

  Context& ctx_;
  const FsmParams& params_;
  Observer& observer_;
  NodeId store_;
  NodeId provider_;
  int64_t index_;
  Rpc rpc_;
};

}  // namespace

void worker_main(Context& ctx, const FsmParams& params, Observer& observer, NodeId store, NodeId provider,
                 int64_t index) {
  auto worker = std::make_shared<Worker>(ctx, params, observer, store, provider, index);
  ctx.spawn("receive", [&ctx, worker] {
    while (true) {
      std::optional<Envelope> in = ctx.net().receive();
      if (in) worker->rpc().offer(*in);
    }
  });
  worker->run();
}

}  // namespace detsim::rfsm
