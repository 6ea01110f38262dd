// The queue model's one server node: an arrival fiber draws Poisson
// arrivals into a FIFO, and c service fibers each take the next job and
// sleep its service time. A job's wait is its service start minus its
// arrival (Wq: the time in queue, not counting service).
//
// About three engine events per job: the arrival's timer, the service
// timer, and the wake-up of an idle server (none when the queue is busy).
#pragma once

#include <cstdint>
#include <memory>

#include "models/queue/checks.h"
#include "models/queue/params.h"
#include "sim/api/context.h"
#include "sim/api/metrics.h"
#include "sim/api/sync.h"

namespace detsim::queue {

struct Job {
  uint64_t id = 0;  // arrival order, from 0
  Time arrived;
  Duration service;  // drawn at arrival, so a job's work does not depend on which server takes it
};

// What was measured, over the jobs that arrived in [warmup, arrivals stop).
struct Measured {
  Histogram waits;
  uint64_t waited = 0;  // jobs that found every server busy (waited > 0)
  Duration busy;        // their total service time
};

class QueueServer;

// Shared by the model and the node incarnation: the counters behind the
// invariants, and the measurement. It outlives the node's fibers.
class Observer {
 public:
  // One per run, owned by the model; nodes hold references (model.h).
  Observer(const Observer&) = delete;
  Observer& operator=(const Observer&) = delete;
  Observer(Time measure_from, Time arrivals_stop) : measure_from_(measure_from), arrivals_stop_(arrivals_stop) {}

  Time measure_from() const { return measure_from_; }
  Time arrivals_stop() const { return arrivals_stop_; }

  void attach(std::weak_ptr<const QueueServer> server) { server_ = std::move(server); }
  // A job arrives: its number.
  uint64_t arrive() { return state_.arrived++; }
  void note_depth(uint64_t queued);
  void start(const Job& job, Time now);
  void finish() { ++state_.served; }

  // The counters, with the live incarnation's queue and busy servers.
  QueueState snapshot() const;
  const Measured& measured() const { return measured_; }
  uint64_t queue_depth_max() const { return queue_depth_max_; }

 private:
  Time measure_from_;
  Time arrivals_stop_;
  std::weak_ptr<const QueueServer> server_;
  QueueState state_;
  Measured measured_;
  uint64_t queue_depth_max_ = 0;
};

class QueueServer : public std::enable_shared_from_this<QueueServer> {
 public:
  QueueServer(Context& ctx, const QueueParams& params, Observer& observer);
  static void main(Context& ctx, const QueueParams& params, Observer& observer);

  uint64_t queued() const { return jobs_.size(); }
  uint64_t busy() const { return busy_; }

 private:
  void arrive_loop();
  void serve_loop();
  Duration draw_service();

  Context& ctx_;
  QueueParams params_;
  Observer& observer_;
  // Separate streams, so the arrivals of a seed are the same whatever the
  // service distribution and the number of servers (common random numbers).
  Rng arrival_rng_;
  Rng service_rng_;
  Mailbox<Job> jobs_;
  uint64_t busy_ = 0;
};

}  // namespace detsim::queue
