// The queue model's invariants, as pure functions over a small state
// struct, so each can be shown to reject a known-bad state in a unit test.
// The node fills a QueueState as jobs flow; check() reads a snapshot.
#pragma once

#include <cstdint>

#include "sim/api/model.h"

namespace detsim::queue {

// Jobs are numbered 0, 1, 2, ... in arrival order, across incarnations.
struct QueueState {
  uint64_t arrived = 0;     // jobs the arrival process generated
  uint64_t served = 0;      // jobs whose service completed
  uint64_t queued = 0;      // jobs in the FIFO now (its real size, at a snapshot)
  uint64_t in_service = 0;  // servers busy with a job now
  // FIFO: the k-th job to start service must be job k.
  uint64_t started = 0;
  uint64_t fifo_violations = 0;
  uint64_t first_violation_expected = 0;
  uint64_t first_violation_started = 0;
  Time first_violation_at;  // when that job started
};

// A job starts service: counts it and notes the first out-of-order start.
void record_start(QueueState& state, uint64_t job, Time now = Time::zero());

// Safety: no job is lost or invented: arrived = served + queued + in service.
CheckResult check_conservation(const QueueState& state);
// Safety: jobs start service in arrival order.
CheckResult check_fifo(const QueueState& state);
// Liveness: rho < 1. Otherwise there is no steady state: the backlog and
// the waits grow with the run's length, and no mean wait is "the" answer.
CheckResult check_stable(double rho);
// Liveness: every job that arrived was served before the run ended, so the
// measured waits are not censored (a job still queued at the end would be
// missing from them, and it is one of the longest).
CheckResult check_drained(const QueueState& state);
// Liveness: the measurement window [warmup, arrivals stop) held jobs.
CheckResult check_measured(uint64_t jobs_measured, Duration warmup, Time arrivals_stop);

}  // namespace detsim::queue
