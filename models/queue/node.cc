#include "models/queue/node.h"

#include <algorithm>
#include <optional>
#include <utility>

namespace detsim::queue {

void Observer::note_depth(uint64_t queued) { queue_depth_max_ = std::max(queue_depth_max_, queued); }

void Observer::start(const Job& job, Time now) {
  record_start(state_, job.id, now);
  if (job.arrived < measure_from_) return;
  const Duration wait = now - job.arrived;
  // Invariant: service starts after arrival, never before.
  DETSIM_ASSERT(wait >= Duration::zero());
  measured_.waits.record(wait);
  if (wait > Duration::zero()) ++measured_.waited;
  measured_.busy += job.service;
}

QueueState Observer::snapshot() const {
  QueueState state = state_;
  if (std::shared_ptr<const QueueServer> server = server_.lock()) {
    state.queued = server->queued();
    state.in_service = server->busy();
  }
  return state;
}

QueueServer::QueueServer(Context& ctx, const QueueParams& params, Observer& observer)
    : ctx_(ctx),
      params_(params),
      observer_(observer),
      arrival_rng_(ctx.rng().fork("arrivals")),
      service_rng_(ctx.rng().fork("service")),
      jobs_(ctx) {}

void QueueServer::main(Context& ctx, const QueueParams& params, Observer& observer) {
  // Shared with the service fibers: the queue lives until they all unwind.
  auto server = std::make_shared<QueueServer>(ctx, params, observer);
  observer.attach(server);
  for (int64_t i = 0; i < params.servers; ++i) {
    ctx.spawn("service", [server] { server->serve_loop(); });
  }
  server->arrive_loop();
}

// Poisson arrivals: exponential gaps of mean 1/lambda, summed in absolute
// time so rounding to nanoseconds does not accumulate.
void QueueServer::arrive_loop() {
  const double gap_mean_s = 1 / params_.arrival_rate;
  Time next = ctx_.now();
  while (true) {
    next += Duration::from_seconds(arrival_rng_.exponential(gap_mean_s));
    if (next >= observer_.arrivals_stop()) return;
    ctx_.sleep_until(next);
    const Duration service = draw_service();
    jobs_.push(Job{observer_.arrive(), ctx_.now(), service});
    observer_.note_depth(jobs_.size());
  }
}

void QueueServer::serve_loop() {
  while (true) {
    std::optional<Job> job = jobs_.pop();
    // Invariant: pop() without a timeout returns only with a job.
    DETSIM_ASSERT(job.has_value());
    ++busy_;
    observer_.start(*job, ctx_.now());
    ctx_.sleep_for(job->service);
    --busy_;
    observer_.finish();
  }
}

Duration QueueServer::draw_service() {
  const double service_mean_s = 1 / params_.service_rate;
  if (params_.deterministic) return Duration::from_seconds(service_mean_s);
  return Duration::from_seconds(service_rng_.exponential(service_mean_s));
}

}  // namespace detsim::queue
