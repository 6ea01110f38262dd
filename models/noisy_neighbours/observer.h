// What the noisy-neighbours model knows about a run: the workload plan (who
// bursts, by how much, the hot key), the timeline (faults until the heal,
// then a recovery, a baseline window and a burst window), and the books the
// generators and servers keep. One per run, owned by the model; the nodes
// hold references to it (sim/api/model.h).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "models/noisy_neighbours/checks.h"
#include "models/noisy_neighbours/params.h"
#include "models/noisy_neighbours/workload.h"
#include "sim/api/context.h"
#include "sim/api/metrics.h"

namespace detsim::noisy {

// Drawn once per run from the first generator's stream.
struct Plan {
  int64_t burst_tenant = 0;
  double burst_factor = 1;
  int64_t hot_tenant = 0;
  Time hot_from = Time::max();
  Time hot_until = Time::max();
};

// Where each node is: the generators send a tenant's batches to its pod's
// cache, the caches send misses to their pod's database. Filled in setup().
struct Topology {
  std::vector<NodeId> caches;  // by pod (one in shared and quota mode: the pool)
  std::vector<NodeId> dbs;
  std::vector<NodeId> generators;
};

enum class Window { none, baseline, burst };

class Observer {
 public:
  Observer(const NoisyParams& params, Time heal, Time end);
  Observer(const Observer&) = delete;
  Observer& operator=(const Observer&) = delete;

  // The nodes a violation names (CheckResult::on); the model's, outlives
  // every check.
  void set_topology(const Topology* topology) { topology_ = topology; }
  const NoisyParams& params() const { return params_; }
  int64_t pod_count() const { return pod_count_; }
  int64_t pod_of(int64_t tenant) const { return tenant_pod_[static_cast<size_t>(tenant)]; }
  double nominal_rate(int64_t tenant) const { return params_.load * shares_[static_cast<size_t>(tenant)]; }
  const KeyBands& bands() const { return bands_; }

  // The first caller draws the plan (every generator starts at time zero,
  // before anything reads it).
  void ensure_plan(Rng& rng);
  const Plan& plan() const { return plan_; }
  // The tenant's offered rate at time `at`: nominal, x the burst factor in
  // the burst window if it is the burster.
  double rate_at(int64_t tenant, Time at) const;
  double hot_share_at(int64_t tenant, Time at) const;

  Time heal() const { return heal_; }
  Time baseline_from() const { return heal_ + params_.recover; }
  Time burst_from() const { return baseline_from() + params_.burst_length; }
  Time stop_sending() const { return burst_from() + params_.burst_length; }
  Time end() const { return end_; }
  Window window_of(Time sent) const;

  // The generators' books.
  TenantTally& tally(int64_t tenant) { return tallies_[static_cast<size_t>(tenant)]; }
  AnswerErrors& errors() { return errors_; }
  // Records ok answers: `count` requests that each took `latency`.
  void record_ok(int64_t tenant, Time sent, Duration latency, uint64_t count);
  void record_throttled(int64_t tenant, Time sent, uint64_t count);
  void record_sent(int64_t tenant, Time sent, uint64_t count);
  // A part of a batch sent during the faults, answered or timed out by a pod.
  void record_served(int64_t tenant, Time sent, int64_t pod, uint64_t count);
  void note_late_answer() { ++late_answers_; }

  // The servers' books.
  void record_lookups(uint64_t lookups, uint64_t hits);
  void record_db(Duration busy, uint64_t requests, uint64_t shed);
  // A database request that arrived in the baseline window waited this
  // long for a worker (the M/M/c cross-check's measurement).
  void record_db_wait(int64_t pod, Time arrival, Duration wait);
  void note_restart() { ++restarts_; }
  void note_slow_disk() { ++slow_disk_probes_; }

  CheckResult check() const;
  void report(MetricList& metrics) const;

 private:
  std::vector<bool> other_tenants() const;
  // The tenant's tally for the window a request sent then falls in, if any.
  WindowTally* window_tally(int64_t tenant, Time sent);
  void report_theory(MetricList& metrics) const;
  int64_t workers_total() const;

  NoisyParams params_;
  Time heal_;
  Time end_;
  const Topology* topology_ = nullptr;
  // A tenant's generator (tenants dealt round robin) and its pod's cache,
  // or pod's cache if given; the burster's generator too for a burst check.
  std::vector<NodeId> tenant_nodes(const Culprit& culprit, bool with_burster) const;
  CheckResult placed(CheckResult result, Time at, const Culprit& culprit, bool with_burster = false) const;
  int64_t pod_count_;
  std::vector<double> shares_;
  std::vector<int64_t> tenant_pod_;
  KeyBands bands_;
  std::optional<Plan> drawn_;
  Plan plan_;

  std::vector<TenantTally> tallies_;
  AnswerErrors errors_;
  std::vector<Histogram> latency_;  // by tenant, ok answers, the whole run
  Histogram settled_;               // every tenant, sent in [baseline_from, burst_from)
  std::vector<WindowTally> baseline_;
  std::vector<WindowTally> burst_;
  ServedBy served_;
  uint64_t late_answers_ = 0;
  uint64_t lookups_ = 0;
  uint64_t hits_ = 0;
  Duration db_busy_;
  uint64_t db_requests_ = 0;
  std::vector<uint64_t> db_window_requests_;  // by pod, arrived in the baseline window
  Histogram db_wait_;
  uint64_t db_shed_ = 0;
  uint64_t restarts_ = 0;
  uint64_t slow_disk_probes_ = 0;
};

}  // namespace detsim::noisy
