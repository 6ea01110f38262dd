#include "models/noisy_neighbours/checks.h"

#include <fmt/format.h>

#include <algorithm>

namespace detsim::noisy {
namespace {

bool counts(const WindowTally& baseline, const WindowTally& burst, uint64_t min_requests) {
  return baseline.ok_latency.count() >= min_requests && burst.ok_latency.count() >= min_requests;
}

double throttled_share(const WindowTally& window) {
  return window.sent == 0 ? 0 : static_cast<double>(window.throttled) / static_cast<double>(window.sent);
}

}  // namespace

CheckResult check_every_request_answered(const std::vector<TenantTally>& tenants, Culprit* culprit) {
  for (size_t t = 0; t < tenants.size(); ++t) {
    const TenantTally& tally = tenants[t];
    const uint64_t answered = tally.ok + tally.throttled + tally.failed;
    if (tally.pending == 0 && answered == tally.sent) continue;
    if (culprit) culprit->tenant = static_cast<int64_t>(t);
    return CheckResult::safety(
        "every_request_answered",
        fmt::format("tenant {}: sent {} but ok {} + throttled {} + failed {} = {}, and {} never answered (lost)", t,
                    tally.sent, tally.ok, tally.throttled, tally.failed, answered, tally.pending));
  }
  return CheckResult::ok();
}

CheckResult check_answers_match(const AnswerErrors& errors) {
  if (errors.wrong_tenant == 0 && errors.invented == 0 && errors.over_answered == 0) return CheckResult::ok();
  return CheckResult::safety("answered_for_right_tenant",
                             fmt::format("{} answers for another tenant than the batch's, {} for batches never sent, "
                                         "{} requests answered beyond their batch's count",
                                         errors.wrong_tenant, errors.invented, errors.over_answered));
}

CheckResult check_isolation(const std::vector<WindowTally>& baseline, const std::vector<WindowTally>& burst,
                            const std::vector<bool>& is_other, double factor, Duration floor, uint64_t min_requests,
                            IsolationOutcome* outcome) {
  *outcome = IsolationOutcome{};
  Duration worst_base;
  Duration worst_burst;
  for (size_t t = 0; t < is_other.size(); ++t) {
    if (!is_other[t] || !counts(baseline[t], burst[t], min_requests)) continue;
    ++outcome->compared;
    const Duration base = std::max(floor, baseline[t].ok_latency.quantile(0.99));
    const Duration during = burst[t].ok_latency.quantile(0.99);
    const double degradation = during.to_seconds() / base.to_seconds();
    if (degradation <= outcome->worst_degradation) continue;
    outcome->worst_degradation = degradation;
    outcome->worst_tenant = static_cast<int64_t>(t);
    worst_base = base;
    worst_burst = during;
  }
  if (outcome->worst_degradation <= factor) return CheckResult::ok();
  return CheckResult::safety(
      "isolation_slo", fmt::format("tenant {}'s p99 rose from {:.3f} ms to {:.3f} ms ({:.2f}x > {:.2f}x) while "
                                   "another tenant burst ({} other tenants compared)",
                                   outcome->worst_tenant, worst_base.to_seconds() * 1e3, worst_burst.to_seconds() * 1e3,
                                   outcome->worst_degradation, factor, outcome->compared));
}

CheckResult check_throttled_innocent(const std::vector<WindowTally>& baseline, const std::vector<WindowTally>& burst,
                                     const std::vector<bool>& is_other, double tolerance, uint64_t min_requests,
                                     Culprit* culprit) {
  for (size_t t = 0; t < is_other.size(); ++t) {
    if (!is_other[t] || baseline[t].sent < min_requests || burst[t].sent < min_requests) continue;
    const double before = throttled_share(baseline[t]);
    const double during = throttled_share(burst[t]);
    if (during - before <= tolerance) continue;
    if (culprit) culprit->tenant = static_cast<int64_t>(t);
    return CheckResult::safety(
        "throttled_innocent",
        fmt::format("tenant {}, not the burster, had {:.1f}% of its requests throttled during the burst "
                    "({} of {}) against {:.1f}% before it",
                    t, during * 100, burst[t].throttled, burst[t].sent, before * 100));
  }
  return CheckResult::ok();
}

CheckResult check_blast_radius(const ServedBy& served, const std::vector<int64_t>& tenant_pod, Culprit* culprit) {
  for (size_t t = 0; t < served.size(); ++t) {
    for (size_t p = 0; p < served[t].size(); ++p) {
      if (served[t][p] == 0 || static_cast<int64_t>(p) == tenant_pod[t]) continue;
      if (culprit) *culprit = Culprit{static_cast<int64_t>(t), static_cast<int64_t>(p)};
      return CheckResult::safety("blast_radius",
                                 fmt::format("tenant {} (pod {}) had {} requests served, failed or timed out by "
                                             "pod {} while faults ran",
                                             t, tenant_pod[t], served[t][p], p));
    }
  }
  return CheckResult::ok();
}

}  // namespace detsim::noisy
