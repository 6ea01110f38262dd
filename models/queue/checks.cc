#include "models/queue/checks.h"

#include <fmt/format.h>

namespace detsim::queue {

void record_start(QueueState& state, uint64_t job, Time now) {
  const uint64_t expected = state.started++;
  if (job == expected) return;
  if (state.fifo_violations++ == 0) {
    state.first_violation_expected = expected;
    state.first_violation_started = job;
    state.first_violation_at = now;
  }
}

CheckResult check_conservation(const QueueState& state) {
  const uint64_t accounted = state.served + state.queued + state.in_service;
  if (state.arrived != accounted) {
    return CheckResult::safety("job_conservation",
                               fmt::format("arrived={} but served={} + queued={} + in_service={} = {}", state.arrived,
                                           state.served, state.queued, state.in_service, accounted));
  }
  // The same books split at service start: every job that left the FIFO
  // is in service or done.
  if (state.started != state.served + state.in_service) {
    return CheckResult::safety("job_conservation", fmt::format("started={} but served={} + in_service={}",
                                                               state.started, state.served, state.in_service));
  }
  return CheckResult::ok();
}

CheckResult check_fifo(const QueueState& state) {
  if (state.fifo_violations == 0) return CheckResult::ok();
  return CheckResult::safety(
             "fifo_order",
             fmt::format("{} jobs started out of arrival order; the first: job {} started where "
                         "job {} was next",
                         state.fifo_violations, state.first_violation_started, state.first_violation_expected))
      .at(state.first_violation_at);
}

CheckResult check_stable(double rho) {
  if (rho < 1) return CheckResult::ok();
  return CheckResult::liveness(
      "stable_queue", fmt::format("rho = arrival_rate / (servers * service_rate) = {:.4f} >= 1: arrivals outpace "
                                  "service, so the queue has no steady state and its waits grow with the run",
                                  rho));
}

CheckResult check_drained(const QueueState& state) {
  const uint64_t left = state.queued + state.in_service;
  if (left == 0) return CheckResult::ok();
  return CheckResult::liveness("queue_drained",
                               fmt::format("{} jobs queued and {} in service when the run ended: the settle "
                                           "period was too short to drain the queue, so the longest waits are "
                                           "missing from the measurement",
                                           state.queued, state.in_service));
}

CheckResult check_measured(uint64_t jobs_measured, Duration warmup, Time arrivals_stop) {
  if (jobs_measured > 0) return CheckResult::ok();
  return CheckResult::liveness("jobs_measured",
                               fmt::format("no job arrived in the measurement window [warmup={:.3f}s, arrivals stop at "
                                           "duration - settle = {:.3f}s)",
                                           warmup.to_seconds(), arrivals_stop.to_seconds()));
}

}  // namespace detsim::queue
