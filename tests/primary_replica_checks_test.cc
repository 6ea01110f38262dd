// Each primary_replica invariant rejects a known-bad state and accepts a
// good one.
#include <gtest/gtest.h>

#include "models/primary_replica/checks.h"

namespace detsim::primary_replica {
namespace {

Time at_ms(int64_t ms) { return Time::zero() + Duration::milliseconds(ms); }

TEST(PrimaryReplicaChecks, AnAcknowledgedWriteMissingFromTheFinalPrimaryIsLost) {
  const std::map<Gtid, Time> acked{{{0, 1}, at_ms(5)}, {{0, 2}, at_ms(6)}};
  EXPECT_EQ(check_no_acked_write_lost(acked, {{0, 1}, {0, 2}, {1, 1}}).verdict, Verdict::pass);
  const CheckResult lost = check_no_acked_write_lost(acked, {{0, 1}, {1, 1}});
  EXPECT_EQ(lost.verdict, Verdict::safety);
  EXPECT_EQ(lost.property, "no_acked_write_lost");
  EXPECT_NE(lost.detail.find("0:2"), std::string::npos) << lost.detail;
}

TEST(PrimaryReplicaChecks, AWriteAcceptedAfterAnotherNodeWasPromotedIsSplitBrain) {
  const std::vector<Promotion> promotions{{0, 0, at_ms(0)}, {1, 1, at_ms(100)}};
  EXPECT_EQ(check_single_writable_primary(promotions, {{0, 0, at_ms(90)}, {1, 1, at_ms(120)}}).verdict, Verdict::pass);
  const CheckResult split = check_single_writable_primary(promotions, {{0, 0, at_ms(150)}});
  EXPECT_EQ(split.verdict, Verdict::safety);
  EXPECT_EQ(split.property, "single_writable_primary");
}

TEST(PrimaryReplicaChecks, AGapIsUnfillableAnErrantTransactionMustBeReportedAndLagIsLiveness) {
  const GtidList primary{{0, 1}, {0, 2}, {0, 3}};
  EXPECT_EQ(check_replicas_converge(primary, {{1, primary}, {2, primary}}, {}).verdict, Verdict::pass);
  const CheckResult gap = check_replicas_converge(primary, {{1, {{0, 1}, {0, 3}}}}, {});
  EXPECT_EQ(gap.verdict, Verdict::safety);
  EXPECT_EQ(gap.property, "replicas_converge");
  EXPECT_NE(gap.detail.find("0:2"), std::string::npos) << gap.detail;
  GtidList errant = primary;
  errant.insert({2, 1});
  const CheckResult unreported = check_replicas_converge(primary, {{2, errant}}, {});
  EXPECT_EQ(unreported.verdict, Verdict::safety);
  EXPECT_EQ(unreported.property, "errant_transactions_reported");
  EXPECT_EQ(check_replicas_converge(primary, {{2, errant}}, {2}).verdict, Verdict::liveness);
  const CheckResult behind = check_replicas_converge(primary, {{1, {{0, 1}}}}, {});
  EXPECT_EQ(behind.verdict, Verdict::liveness);
  EXPECT_EQ(behind.property, "replicas_catch_up");
}

TEST(PrimaryReplicaChecks, AReadOfAWriteTheFinalPrimaryLacksIsAPhantom) {
  const std::vector<ReadOf> reads{{{0, 1}, at_ms(10)}, {{0, 2}, at_ms(20)}};
  EXPECT_EQ(check_no_phantom_read(reads, {{0, 1}, {0, 2}}).verdict, Verdict::pass);
  const CheckResult phantom = check_no_phantom_read(reads, {{0, 1}});
  EXPECT_EQ(phantom.verdict, Verdict::safety);
  EXPECT_EQ(phantom.property, "no_phantom_read");
}

}  // namespace
}  // namespace detsim::primary_replica
