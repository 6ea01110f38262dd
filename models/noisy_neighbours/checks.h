// The noisy-neighbours invariants, as pure functions over small tallies, so
// each can be shown to reject a known-bad state in a unit test
// (tests/noisy_neighbours_checks_test.cc). The generators fill the tallies
// as answers come; the model's check() runs these on them.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "sim/api/metrics.h"
#include "sim/api/model.h"

namespace detsim::noisy {

// One tenant's requests over the whole run.
struct TenantTally {
  uint64_t sent = 0;
  uint64_t ok = 0;
  uint64_t throttled = 0;
  uint64_t failed = 0;   // timed out, or shed by an overloaded database
  uint64_t pending = 0;  // sent, not yet answered nor timed out
};

// Answers that break the books: for another tenant than the request's, for
// a batch no generator sent, or more answers than a batch had requests.
struct AnswerErrors {
  uint64_t wrong_tenant = 0;
  uint64_t invented = 0;
  uint64_t over_answered = 0;
};

// One tenant's requests sent in one window (by send time).
struct WindowTally {
  Histogram ok_latency;
  uint64_t sent = 0;
  uint64_t throttled = 0;
};

// Safety: every request got exactly one answer (ok, throttled or failed),
// and none was left unanswered when the run ended: lost.
// The checks that blame one tenant (or pod) say which in *culprit, if
// given, for the violation's nodes (Observer::check).
struct Culprit {
  int64_t tenant = -1;
  int64_t pod = -1;
};
CheckResult check_every_request_answered(const std::vector<TenantTally>& tenants, Culprit* culprit = nullptr);
// Safety: no answer for the wrong tenant, for a batch never sent, or beyond
// a batch's request count.
CheckResult check_answers_match(const AnswerErrors& errors);

struct IsolationOutcome {
  double worst_degradation = 0;  // burst p99 / baseline p99, over the other tenants compared
  int64_t worst_tenant = -1;
  int64_t compared = 0;  // other tenants with enough answers in both windows
};
// Safety, the isolation SLO: each other tenant's p99 in the burst window is
// at most `factor` x its p99 in the baseline window of the same length. The
// baseline p99 counts as at least `floor` (a sub-millisecond p99 doubling
// to two milliseconds is not what a 10 ms SLO is about). Only tenants with
// at least min_requests ok answers in both windows count.
CheckResult check_isolation(const std::vector<WindowTally>& baseline, const std::vector<WindowTally>& burst,
                            const std::vector<bool>& is_other, double factor, Duration floor, uint64_t min_requests,
                            IsolationOutcome* outcome);
// Safety, quota mode: another tenant's throttled share of its requests
// rises by at most `tolerance` from the baseline window to the burst
// window: the burster's bucket is its own.
CheckResult check_throttled_innocent(const std::vector<WindowTally>& baseline, const std::vector<WindowTally>& burst,
                                     const std::vector<bool>& is_other, double tolerance, uint64_t min_requests,
                                     Culprit* culprit = nullptr);

// served[t][p]: tenant t's requests, sent while faults ran, that pod p's
// servers answered, failed, or let time out.
using ServedBy = std::vector<std::vector<uint64_t>>;
// Safety, the blast radius: while faults run, a tenant's requests, and so
// its failures, come only from its own pod's servers; so a fault in pod p
// reaches no tenant outside pod p.
CheckResult check_blast_radius(const ServedBy& served, const std::vector<int64_t>& tenant_pod,
                               Culprit* culprit = nullptr);

}  // namespace detsim::noisy
