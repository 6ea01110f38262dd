#include "models/noisy_neighbours/observer.h"

#include <fmt/format.h>

#include <algorithm>

namespace detsim::noisy {

Observer::Observer(const NoisyParams& params, Time heal, Time end)
    : params_(params),
      heal_(heal),
      end_(end),
      pod_count_(params.isolation == Isolation::pods ? params.pods : 1),
      shares_(zipf_shares(params.tenants, params.tenant_skew)),
      tenant_pod_(static_cast<size_t>(params.tenants)),
      bands_(key_bands(params.keys, params.key_skew)),
      tallies_(static_cast<size_t>(params.tenants)),
      latency_(static_cast<size_t>(params.tenants)),
      baseline_(static_cast<size_t>(params.tenants)),
      burst_(static_cast<size_t>(params.tenants)),
      served_(static_cast<size_t>(params.tenants), std::vector<uint64_t>(static_cast<size_t>(pod_count_))),
      db_window_requests_(static_cast<size_t>(pod_count_)) {
  // Round robin, so every pod holds big and small tenants alike.
  for (int64_t t = 0; t < params.tenants; ++t) tenant_pod_[static_cast<size_t>(t)] = t % pod_count_;
}

void Observer::ensure_plan(Rng& rng) {
  if (drawn_) return;
  Plan plan;
  const uint64_t burster = rng.below(static_cast<uint64_t>(params_.tenants));
  plan.burst_tenant =
      params_.burst_tenant >= 0 ? std::min(params_.burst_tenant, params_.tenants - 1) : static_cast<int64_t>(burster);
  const double factor = rng.uniform_real(10, 50);
  plan.burst_factor = params_.burst_factor > 0 ? params_.burst_factor : factor;
  plan.hot_tenant = static_cast<int64_t>(rng.below(static_cast<uint64_t>(params_.tenants)));
  // The hot key falls in the fault phase, so that it meets crashes (a cold
  // cache under a hot key) and stays out of the isolation windows.
  const Time earliest = Time::zero() + Duration::milliseconds(500);
  const Time latest = heal_ - params_.hot_key_length;
  if (params_.hot_key_share > 0 && latest > earliest) {
    plan.hot_from = earliest + rng.uniform(Duration::zero(), latest - earliest);
    plan.hot_until = plan.hot_from + params_.hot_key_length;
  }
  drawn_ = plan;
  plan_ = plan;
}

double Observer::rate_at(int64_t tenant, Time at) const {
  const double nominal = nominal_rate(tenant);
  const bool bursting = tenant == plan_.burst_tenant && at >= burst_from() && at < stop_sending();
  return bursting ? nominal * plan_.burst_factor : nominal;
}

double Observer::hot_share_at(int64_t tenant, Time at) const {
  const bool hot = tenant == plan_.hot_tenant && at >= plan_.hot_from && at < plan_.hot_until;
  return hot ? params_.hot_key_share : 0;
}

Window Observer::window_of(Time sent) const {
  if (sent >= baseline_from() && sent < burst_from()) return Window::baseline;
  if (sent >= burst_from() && sent < stop_sending()) return Window::burst;
  return Window::none;
}

WindowTally* Observer::window_tally(int64_t tenant, Time sent) {
  switch (window_of(sent)) {
    case Window::baseline: return &baseline_[static_cast<size_t>(tenant)];
    case Window::burst: return &burst_[static_cast<size_t>(tenant)];
    case Window::none: return nullptr;
  }
  return nullptr;
}

void Observer::record_ok(int64_t tenant, Time sent, Duration latency, uint64_t count) {
  tallies_[static_cast<size_t>(tenant)].ok += count;
  latency_[static_cast<size_t>(tenant)].record(latency, count);
  if (window_of(sent) == Window::baseline) settled_.record(latency, count);
  if (WindowTally* window = window_tally(tenant, sent)) window->ok_latency.record(latency, count);
}

void Observer::record_throttled(int64_t tenant, Time sent, uint64_t count) {
  tallies_[static_cast<size_t>(tenant)].throttled += count;
  if (WindowTally* window = window_tally(tenant, sent)) window->throttled += count;
}

void Observer::record_sent(int64_t tenant, Time sent, uint64_t count) {
  tallies_[static_cast<size_t>(tenant)].sent += count;
  if (WindowTally* window = window_tally(tenant, sent)) window->sent += count;
}

void Observer::record_served(int64_t tenant, Time sent, int64_t pod, uint64_t count) {
  if (sent >= heal_) return;
  served_[static_cast<size_t>(tenant)][static_cast<size_t>(pod)] += count;
}

void Observer::record_lookups(uint64_t lookups, uint64_t hits) {
  lookups_ += lookups;
  hits_ += hits;
}

void Observer::record_db_wait(int64_t pod, Time arrival, Duration wait) {
  if (window_of(arrival) != Window::baseline) return;
  db_wait_.record(wait);
  ++db_window_requests_[static_cast<size_t>(pod)];
}

void Observer::record_db(Duration busy, uint64_t requests, uint64_t shed) {
  db_busy_ += busy;
  db_requests_ += requests;
  db_shed_ += shed;
}

std::vector<bool> Observer::other_tenants() const {
  std::vector<bool> other(static_cast<size_t>(params_.tenants));
  for (int64_t t = 0; t < params_.tenants; ++t) {
    // In pods mode the burster's pod-mates share its scale unit by design:
    // isolation is promised between pods, not inside one.
    const bool same_unit =
        params_.isolation == Isolation::pods ? pod_of(t) == pod_of(plan_.burst_tenant) : t == plan_.burst_tenant;
    other[static_cast<size_t>(t)] = !same_unit;
  }
  return other;
}

int64_t Observer::workers_total() const {
  // Pods: db_workers each; the pool: one database with pods x db_workers.
  return params_.db_workers * params_.pods;
}

std::vector<NodeId> Observer::tenant_nodes(const Culprit& culprit, bool with_burster) const {
  std::vector<NodeId> nodes;
  if (topology_ == nullptr) return nodes;
  const auto generator_of = [&](int64_t tenant) {
    const auto index = static_cast<size_t>(tenant % params_.generators);
    if (index < topology_->generators.size()) nodes.push_back(topology_->generators[index]);
  };
  if (culprit.tenant >= 0) generator_of(culprit.tenant);
  const int64_t pod = culprit.pod >= 0 ? culprit.pod : culprit.tenant >= 0 ? pod_of(culprit.tenant) : -1;
  if (pod >= 0 && static_cast<size_t>(pod) < topology_->caches.size())
    nodes.push_back(topology_->caches[static_cast<size_t>(pod)]);
  if (with_burster) generator_of(plan_.burst_tenant);
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  return nodes;
}

CheckResult Observer::placed(CheckResult result, Time at, const Culprit& culprit, bool with_burster) const {
  if (result.verdict == Verdict::pass) return result;
  return std::move(result.at(at).on(tenant_nodes(culprit, with_burster)));
}

// Times: a count over the whole run is due at its end, one over the
// fault period at the heal, a window comparison at the burst's start
// (where `replay --window auto` should look).
CheckResult Observer::check() const {
  if (stop_sending() + params_.request_timeout + Duration::milliseconds(100) > end_) {
    return CheckResult::liveness(
               "settle_long_enough",
               fmt::format("the generators send until {:.3f}s (heal + recover + 2 x burst_length) and must hear every "
                           "answer or timeout before the end at {:.3f}s: lengthen settle",
                           stop_sending().to_seconds(), end_.to_seconds()))
        .at(end_)
        .on(topology_ ? topology_->generators : std::vector<NodeId>{});
  }
  Culprit culprit;
  CheckResult answered = check_every_request_answered(tallies_, &culprit);
  if (answered.verdict != Verdict::pass) return placed(std::move(answered), end_, culprit);
  CheckResult matched = check_answers_match(errors_);
  if (matched.verdict != Verdict::pass) {
    return std::move(matched.at(end_).on(topology_ ? topology_->caches : std::vector<NodeId>{}));
  }
  CheckResult blast = check_blast_radius(served_, tenant_pod_, &culprit);
  if (blast.verdict != Verdict::pass) return placed(std::move(blast), heal_, culprit);
  if (!params_.bursts()) return CheckResult::ok();
  const std::vector<bool> other = other_tenants();
  const auto min_requests = static_cast<uint64_t>(params_.min_window_requests);
  if (params_.isolation == Isolation::quota) {
    CheckResult throttled =
        check_throttled_innocent(baseline_, burst_, other, params_.throttle_tolerance, min_requests, &culprit);
    if (throttled.verdict != Verdict::pass) return placed(std::move(throttled), burst_from(), culprit, true);
  }
  IsolationOutcome outcome;
  CheckResult isolated = check_isolation(baseline_, burst_, other, params_.isolation_factor, params_.isolation_floor,
                                         min_requests, &outcome);
  return placed(std::move(isolated), burst_from(), Culprit{outcome.worst_tenant, -1}, true);
}

// M/M/c at the busiest database, from the arrival rate it saw in the
// baseline window: what queueing theory predicts for its waits (Erlang C;
// sim/metrics/queueing.h). Exact for requests=explicit with no faults (a
// Poisson stream, exponential service, FIFO); for batches, the arrivals are
// smoother than Poisson, so theory is an upper bound.
void Observer::report_theory(MetricList& metrics) const {
  const uint64_t busiest = *std::max_element(db_window_requests_.begin(), db_window_requests_.end());
  const double lambda = static_cast<double>(busiest) / params_.burst_length.to_seconds();
  const double mu = 1 / params_.db_service.to_seconds();
  const int64_t c = workers_total() / pod_count_;
  const double rho = lambda / (static_cast<double>(c) * mu);
  metrics.push_back({"mmc_busiest_db_rate", lambda});
  metrics.push_back({"mmc_busiest_db_rho", rho});
  if (rho >= 1 || lambda <= 0) return;
  metrics.push_back({"mmc_db_wait_mean_s", queueing::mmc_wait_mean_s(lambda, mu, c)});
  metrics.push_back({"mmc_db_wait_p99_s", queueing::mmc_wait_quantile_s(lambda, mu, c, 0.99)});
}

void Observer::report(MetricList& metrics) const {
  uint64_t sent = 0, ok = 0, throttled = 0, failed = 0;
  for (const TenantTally& tally : tallies_) {
    sent += tally.sent;
    ok += tally.ok;
    throttled += tally.throttled;
    failed += tally.failed;
  }
  const double run_s = (stop_sending() - Time::zero()).to_seconds();
  metrics.push_back({"requests_sent", static_cast<double>(sent)});
  metrics.push_back({"offered_req_per_s", static_cast<double>(sent) / run_s});
  metrics.push_back({"requests_ok", static_cast<double>(ok)});
  metrics.push_back({"requests_throttled", static_cast<double>(throttled)});
  metrics.push_back({"requests_failed", static_cast<double>(failed)});
  metrics.push_back({"late_answers", static_cast<double>(late_answers_)});
  metrics.push_back({"hit_ratio", lookups_ ? static_cast<double>(hits_) / static_cast<double>(lookups_) : 0});
  metrics.push_back({"db_requests", static_cast<double>(db_requests_)});
  metrics.push_back({"db_shed", static_cast<double>(db_shed_)});
  metrics.push_back({"db_utilisation", db_busy_.to_seconds() / (static_cast<double>(workers_total()) *
                                                                (end_ - Time::zero()).to_seconds())});
  metrics.push_back({"server_restarts", static_cast<double>(restarts_)});
  metrics.push_back({"slow_disk_probes", static_cast<double>(slow_disk_probes_)});
  metrics.push_back({"p50_s", settled_.quantile_s(0.5)});
  metrics.push_back({"p99_s", settled_.quantile_s(0.99)});
  metrics.push_back({"p999_s", settled_.quantile_s(0.999)});
  metrics.push_back({"db_wait_mean_s", db_wait_.mean_s()});
  metrics.push_back({"db_wait_p99_s", db_wait_.quantile_s(0.99)});
  report_theory(metrics);
  metrics.push_back({"burst_tenant", static_cast<double>(plan_.burst_tenant)});
  metrics.push_back({"burst_factor", plan_.burst_factor});
  if (params_.bursts()) {
    IsolationOutcome outcome;
    check_isolation(baseline_, burst_, other_tenants(), params_.isolation_factor, params_.isolation_floor,
                    static_cast<uint64_t>(params_.min_window_requests), &outcome);
    metrics.push_back({"worst_other_p99_degradation", outcome.worst_degradation});
    metrics.push_back({"worst_other_tenant", static_cast<double>(outcome.worst_tenant)});
    metrics.push_back({"other_tenants_compared", static_cast<double>(outcome.compared)});
  }
  // Per tenant, the first 32 (a sweep's CSV stays readable).
  for (size_t t = 0; t < std::min<size_t>(latency_.size(), 32); ++t) {
    metrics.push_back({fmt::format("tenant{}_p50_s", t), latency_[t].quantile_s(0.5)});
    metrics.push_back({fmt::format("tenant{}_p99_s", t), latency_[t].quantile_s(0.99)});
    metrics.push_back({fmt::format("tenant{}_p999_s", t), latency_[t].quantile_s(0.999)});
  }
}

}  // namespace detsim::noisy
