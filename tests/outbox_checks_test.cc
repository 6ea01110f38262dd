// Each outbox invariant rejects a known-bad state and accepts a good one.
#include <gtest/gtest.h>

#include "models/outbox/checks.h"

namespace detsim::outbox {
namespace {

Time at_ms(int64_t ms) { return Time::zero() + Duration::milliseconds(ms); }

TEST(OutboxChecks, AGoodLedgerPassesEveryCheck) {
  Ledger ledger(2);
  ledger.on_committed(10, 1, 1, at_ms(1));
  ledger.on_committed(11, 1, 2, at_ms(2));
  for (size_t c = 0; c < 2; ++c) {
    ledger.on_applied(c, 10, 1, 1, at_ms(5));
    ledger.on_applied(c, 11, 1, 2, at_ms(6));
  }
  EXPECT_EQ(check_no_invented_events(ledger).verdict, Verdict::pass);
  EXPECT_EQ(check_exactly_once(ledger).verdict, Verdict::pass);
  EXPECT_EQ(check_per_aggregate_order(ledger).verdict, Verdict::pass);
  EXPECT_EQ(check_every_commit_delivered(ledger, {}, {}).verdict, Verdict::pass);
  ASSERT_EQ(ledger.delivery_delays().size(), 2u);
  EXPECT_EQ(ledger.delivery_delays()[0], Duration::milliseconds(4));
}

TEST(OutboxChecks, AnEventForAChangeThatNeverCommittedIsInvented) {
  Ledger ledger(1);
  ledger.on_applied(0, 7, 3, 1, at_ms(5));
  const CheckResult result = check_no_invented_events(ledger);
  EXPECT_EQ(result.verdict, Verdict::safety);
  EXPECT_EQ(result.property, "no_event_without_commit");
  EXPECT_NE(result.detail.find("change 7"), std::string::npos) << result.detail;
}

TEST(OutboxChecks, AChangeAppliedTwiceBreaksExactlyOnce) {
  Ledger ledger(1);
  ledger.on_committed(7, 3, 1, at_ms(1));
  ledger.on_applied(0, 7, 3, 1, at_ms(5));
  EXPECT_EQ(check_exactly_once(ledger).verdict, Verdict::pass);
  ledger.on_applied(0, 7, 3, 1, at_ms(9));
  const CheckResult result = check_exactly_once(ledger);
  EXPECT_EQ(result.verdict, Verdict::safety);
  EXPECT_EQ(result.property, "effect_exactly_once");
}

TEST(OutboxChecks, AnOlderVersionAfterANewerOneIsOutOfOrder) {
  Ledger ledger(2);
  ledger.on_committed(1, 3, 1, at_ms(1));
  ledger.on_committed(2, 3, 2, at_ms(2));
  ledger.on_applied(0, 1, 3, 1, at_ms(5));
  ledger.on_applied(0, 2, 3, 2, at_ms(6));
  ledger.on_applied(1, 2, 3, 2, at_ms(5));
  EXPECT_EQ(check_per_aggregate_order(ledger).verdict, Verdict::pass);
  ledger.on_applied(1, 1, 3, 1, at_ms(7));
  const CheckResult result = check_per_aggregate_order(ledger);
  EXPECT_EQ(result.verdict, Verdict::safety);
  EXPECT_EQ(result.property, "per_aggregate_order");
  EXPECT_NE(result.detail.find("consumer 1"), std::string::npos) << result.detail;
}

TEST(OutboxChecks, AMissingEventIsLostUnlessItIsQueuedOrPublished) {
  Ledger ledger(2);
  ledger.on_committed(1, 3, 1, at_ms(1));
  ledger.on_applied(0, 1, 3, 1, at_ms(5));
  const CheckResult lost = check_every_commit_delivered(ledger, {}, {});
  EXPECT_EQ(lost.verdict, Verdict::safety);
  EXPECT_EQ(lost.property, "every_commit_published");
  EXPECT_NE(lost.detail.find("consumer 1"), std::string::npos) << lost.detail;
  const CheckResult slow = check_every_commit_delivered(ledger, {1}, {});
  EXPECT_EQ(slow.verdict, Verdict::liveness);
  EXPECT_EQ(slow.property, "outbox_drains");
  const CheckResult behind = check_every_commit_delivered(ledger, {}, {1});
  EXPECT_EQ(behind.verdict, Verdict::liveness);
  EXPECT_EQ(behind.property, "consumers_catch_up");
  // A queued change does not excuse a lost one.
  ledger.on_committed(2, 4, 1, at_ms(2));
  EXPECT_EQ(check_every_commit_delivered(ledger, {1}, {}).verdict, Verdict::safety);
}

}  // namespace
}  // namespace detsim::outbox
