// The noisy-neighbours invariants (models/noisy_neighbours/checks.h), each
// shown a good state and a known-bad one, and the workload arithmetic
// (workload.h): Poisson counts, zipf shares and Che's LRU approximation.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "models/noisy_neighbours/checks.h"
#include "models/noisy_neighbours/workload.h"

namespace detsim::noisy {
namespace {

TEST(NoisyChecks, EveryRequestAnsweredRejectsALostAndAnUnbalancedTenant) {
  std::vector<TenantTally> tenants{{.sent = 10, .ok = 6, .throttled = 3, .failed = 1}};
  EXPECT_EQ(check_every_request_answered(tenants).verdict, Verdict::pass);
  tenants[0].pending = 1;  // never answered by the end: lost
  EXPECT_EQ(check_every_request_answered(tenants).property, "every_request_answered");
  tenants[0].pending = 0;
  tenants[0].ok = 7;  // answered twice
  EXPECT_EQ(check_every_request_answered(tenants).verdict, Verdict::safety);
}

TEST(NoisyChecks, AnswersMatchRejectsEachKindOfWrongAnswer) {
  EXPECT_EQ(check_answers_match(AnswerErrors{}).verdict, Verdict::pass);
  EXPECT_EQ(check_answers_match(AnswerErrors{.wrong_tenant = 1}).property, "answered_for_right_tenant");
  EXPECT_EQ(check_answers_match(AnswerErrors{.invented = 1}).verdict, Verdict::safety);
  EXPECT_EQ(check_answers_match(AnswerErrors{.over_answered = 3}).verdict, Verdict::safety);
}

// n answers of `latency` each.
WindowTally window(Duration latency, uint64_t n, uint64_t throttled = 0) {
  WindowTally w;
  w.ok_latency.record(latency, n);
  w.sent = n + throttled;
  w.throttled = throttled;
  return w;
}

TEST(NoisyChecks, IsolationSloRejectsAnOtherTenantsP99Tripling) {
  const Duration ms = Duration::milliseconds(1);
  const std::vector<WindowTally> baseline{window(ms * 2, 5000), window(ms * 2, 5000)};
  std::vector<WindowTally> burst{window(ms * 40, 5000), window(ms * 3, 5000)};
  const std::vector<bool> other{false, true};  // tenant 0 bursts
  IsolationOutcome outcome;
  EXPECT_EQ(check_isolation(baseline, burst, other, 2.0, ms, 2000, &outcome).verdict, Verdict::pass);
  EXPECT_NEAR(outcome.worst_degradation, 1.5, 0.05);
  EXPECT_EQ(outcome.compared, 1);
  burst[1] = window(ms * 6, 5000);
  const CheckResult result = check_isolation(baseline, burst, other, 2.0, ms, 2000, &outcome);
  EXPECT_EQ(result.property, "isolation_slo");
  EXPECT_EQ(outcome.worst_tenant, 1);
}

TEST(NoisyChecks, IsolationSloIgnoresThinWindowsAndSubFloorBaselines) {
  const Duration us = Duration::microseconds(1);
  IsolationOutcome outcome;
  // Too few answers to have a p99: not compared, whatever they show.
  EXPECT_EQ(check_isolation({window(us * 500, 100)}, {window(us * 50000, 100)}, {true}, 2.0, us * 1000, 2000, &outcome)
                .verdict,
            Verdict::pass);
  EXPECT_EQ(outcome.compared, 0);
  // 0.3 ms to 1.5 ms is within 2x of the 1 ms floor...
  EXPECT_EQ(check_isolation({window(us * 300, 5000)}, {window(us * 1500, 5000)}, {true}, 2.0, us * 1000, 2000, &outcome)
                .verdict,
            Verdict::pass);
  // ...2.5 ms is not.
  EXPECT_EQ(check_isolation({window(us * 300, 5000)}, {window(us * 2500, 5000)}, {true}, 2.0, us * 1000, 2000, &outcome)
                .verdict,
            Verdict::safety);
}

TEST(NoisyChecks, ThrottledInnocentRejectsAnOtherTenantThrottledByTheBurst) {
  const Duration ms = Duration::milliseconds(1);
  const std::vector<WindowTally> baseline{window(ms, 5000), window(ms, 5000)};
  const std::vector<bool> other{false, true};
  // The burster itself is throttled hard: its own bucket, allowed.
  std::vector<WindowTally> burst{window(ms, 5000, 90000), window(ms, 4990, 10)};
  EXPECT_EQ(check_throttled_innocent(baseline, burst, other, 0.01, 2000).verdict, Verdict::pass);
  burst[1] = window(ms, 3000, 2000);
  EXPECT_EQ(check_throttled_innocent(baseline, burst, other, 0.01, 2000).property, "throttled_innocent");
}

TEST(NoisyChecks, BlastRadiusRejectsATenantServedByAnotherPod) {
  const std::vector<int64_t> tenant_pod{0, 1};
  ServedBy served{{100, 0}, {0, 80}};
  EXPECT_EQ(check_blast_radius(served, tenant_pod).verdict, Verdict::pass);
  served[1][0] = 1;  // tenant 1 (pod 1) failed by pod 0
  const CheckResult result = check_blast_radius(served, tenant_pod);
  EXPECT_EQ(result.property, "blast_radius");
  EXPECT_NE(result.detail.find("tenant 1 (pod 1)"), std::string::npos) << result.detail;
}

TEST(NoisyWorkload, PoissonCountsHaveTheirMeanAndVarianceAtEveryScale) {
  Rng rng(7);
  for (double mean : {0.5, 4.0, 30.0, 2500.0}) {
    const int n = 20000;
    double sum = 0, sum_sq = 0;
    for (int i = 0; i < n; ++i) {
      const auto k = static_cast<double>(poisson(rng, mean));
      sum += k;
      sum_sq += k * k;
    }
    const double m = sum / n;
    const double variance = sum_sq / n - m * m;
    EXPECT_NEAR(m, mean, 4 * std::sqrt(mean / n)) << "mean " << mean;
    EXPECT_NEAR(variance, mean, 0.05 * mean) << "mean " << mean;
  }
  EXPECT_EQ(poisson(rng, 0), 0u);
}

TEST(NoisyWorkload, ZipfSharesAndKeyBandsAreNormalised) {
  const std::vector<double> shares = zipf_shares(8, 1.0);
  double total = 0;
  for (double s : shares) total += s;
  EXPECT_NEAR(total, 1.0, 1e-12);
  EXPECT_NEAR(shares[0] / shares[1], 2.0, 1e-12);
  const KeyBands bands = key_bands(20000, 0.9);
  double keys = 0, mass = 0;
  for (size_t b = 0; b < bands.p.size(); ++b) {
    keys += bands.keys[b];
    mass += bands.keys[b] * bands.p[b];
  }
  EXPECT_EQ(keys, 20000);
  EXPECT_NEAR(mass, 1.0, 1e-9);
  EXPECT_LT(bands.p.size(), 60u);
}

// Che's approximation: monotone in capacity, all hits when every key fits,
// and a tenant with more traffic holds more of a shared cache.
TEST(NoisyWorkload, LruHitRatiosFollowCapacityAndRate) {
  const KeyBands bands = key_bands(10000, 0.9);
  const std::vector<Stream> one{{1000, &bands}};
  EXPECT_EQ(lru_hit_ratios(one, 10000)[0], 1.0);
  EXPECT_EQ(lru_hit_ratios(one, 0)[0], 0.0);
  const double small = lru_hit_ratios(one, 500)[0];
  const double large = lru_hit_ratios(one, 3000)[0];
  EXPECT_GT(small, 0.2);
  EXPECT_LT(small, large);
  EXPECT_LT(large, 1.0);
  const std::vector<double> shared = lru_hit_ratios({{1000, &bands}, {20000, &bands}}, 3000);
  EXPECT_LT(shared[0], large) << "a noisy neighbour takes cache from the quiet tenant";
  EXPECT_GT(shared[1], shared[0]);
}

}  // namespace
}  // namespace detsim::noisy
