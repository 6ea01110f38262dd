// Each resource_fsm invariant rejects a known-bad state and accepts a good
// one (models/resource_fsm/checks.h).
#include <gtest/gtest.h>

#include "models/resource_fsm/checks.h"

namespace detsim::rfsm {
namespace {

Time at_ms(int64_t ms) { return Time::zero() + Duration::milliseconds(ms); }

ResourceFacts facts(State state, int64_t version, int64_t change, int64_t based_on, int64_t spec, int64_t ms) {
  return ResourceFacts{state, version, change, based_on, spec, at_ms(ms)};
}

// create, finish, update, finish, delete, finish: a good life.
Ledger good_life() {
  Ledger ledger;
  ledger.on_resource_change(7, facts(State::creating, 1, 10, 0, 100, 1));
  ledger.on_resource_change(7, facts(State::ready, 2, 11, 10, 100, 5));
  ledger.on_resource_change(7, facts(State::updating, 3, 12, 11, 200, 6));
  ledger.on_resource_change(7, facts(State::ready, 4, 13, 12, 200, 9));
  ledger.on_resource_change(7, facts(State::deleting, 5, 14, 13, 200, 10));
  ledger.on_resource_change(7, facts(State::deleted, 6, 15, 14, 200, 12));
  return ledger;
}

TEST(ResourceFsmChecks, AGoodHistoryPassesEveryCheck) {
  Ledger ledger = good_life();
  ledger.on_acknowledged(12);
  ledger.on_grant(12, 1, at_ms(6));
  ledger.on_lease_judged(12, 1, at_ms(7));
  ledger.on_provider_write(7, 1, 0, at_ms(7));
  ledger.on_provider_write(7, 1, 0, at_ms(8));  // a resend: same token, same worker
  ledger.on_provider_write(7, 2, 1, at_ms(11));
  EXPECT_EQ(check_legal_transitions(ledger).verdict, Verdict::pass);
  EXPECT_EQ(check_deleted_terminal(ledger).verdict, Verdict::pass);
  EXPECT_EQ(check_version_increases(ledger).verdict, Verdict::pass);
  EXPECT_EQ(check_no_lost_update(ledger).verdict, Verdict::pass);
  EXPECT_EQ(check_one_writer_per_epoch(ledger).verdict, Verdict::pass);
  EXPECT_EQ(check_lease_judgement(ledger).verdict, Verdict::pass);
  EXPECT_EQ(check_settled_and_matching(ledger, {{7, ProviderEntry{false, 200, 2}}}).verdict, Verdict::pass);
  ASSERT_EQ(ledger.intermediate_times().size(), 3u);
  EXPECT_EQ(ledger.intermediate_times()[0], Duration::milliseconds(4));
}

TEST(ResourceFsmChecks, ATransitionOutsideTheMachineIsIllegal) {
  Ledger ledger;
  ledger.on_resource_change(7, facts(State::creating, 1, 10, 0, 100, 1));
  ledger.on_resource_change(7, facts(State::ready, 2, 11, 10, 100, 5));
  EXPECT_EQ(check_legal_transitions(ledger).verdict, Verdict::pass);
  ledger.on_resource_change(7, facts(State::ready, 3, 12, 11, 100, 6));  // a duplicated completion
  const CheckResult result = check_legal_transitions(ledger);
  EXPECT_EQ(result.verdict, Verdict::safety);
  EXPECT_EQ(result.property, "legal_transitions");
  EXPECT_NE(result.detail.find("ready -> ready"), std::string::npos) << result.detail;
}

TEST(ResourceFsmChecks, AnythingAfterDeletedBreaksTerminality) {
  Ledger ledger = good_life();
  EXPECT_EQ(check_deleted_terminal(ledger).verdict, Verdict::pass);
  ledger.on_resource_change(7, facts(State::ready, 7, 16, 15, 200, 20));
  const CheckResult result = check_deleted_terminal(ledger);
  EXPECT_EQ(result.verdict, Verdict::safety);
  EXPECT_EQ(result.property, "deleted_is_terminal");
}

TEST(ResourceFsmChecks, AVersionThatDoesNotGrowIsRejected) {
  Ledger ledger;
  ledger.on_resource_change(7, facts(State::creating, 1, 10, 0, 100, 1));
  ledger.on_resource_change(7, facts(State::ready, 1, 11, 10, 100, 5));
  const CheckResult result = check_version_increases(ledger);
  EXPECT_EQ(result.verdict, Verdict::safety);
  EXPECT_EQ(result.property, "version_increases");
}

TEST(ResourceFsmChecks, AChangeBasedOnAnOlderOneLosesAnUpdate) {
  Ledger ledger;
  ledger.on_resource_change(7, facts(State::creating, 1, 10, 0, 100, 1));
  ledger.on_resource_change(7, facts(State::ready, 2, 11, 10, 100, 5));
  ledger.on_resource_change(7, facts(State::updating, 3, 12, 11, 200, 6));
  // Read the row at change 11 too, and wrote over change 12 without seeing it.
  ledger.on_resource_change(7, facts(State::deleting, 4, 13, 11, 100, 7));
  const CheckResult result = check_no_lost_update(ledger);
  EXPECT_EQ(result.verdict, Verdict::safety);
  EXPECT_EQ(result.property, "no_lost_update");
  EXPECT_NE(result.detail.find("overwriting change 12"), std::string::npos) << result.detail;
}

TEST(ResourceFsmChecks, AnAcknowledgedChangeThatNeverCommittedIsLost) {
  Ledger ledger = good_life();
  ledger.on_acknowledged(99);
  const CheckResult result = check_no_lost_update(ledger);
  EXPECT_EQ(result.verdict, Verdict::safety);
  EXPECT_EQ(result.property, "no_lost_update");
}

TEST(ResourceFsmChecks, AnOlderTokenAfterANewerOneIsAnUnfencedWrite) {
  Ledger ledger;
  ledger.on_provider_write(7, 5, 1, at_ms(1));
  ledger.on_provider_write(7, 4, 0, at_ms(2));  // the worker that woke after its lease
  const CheckResult result = check_one_writer_per_epoch(ledger);
  EXPECT_EQ(result.verdict, Verdict::safety);
  EXPECT_EQ(result.property, "one_writer_per_epoch");
}

TEST(ResourceFsmChecks, TwoWorkersWithOneTokenAreTwoWritersInOneEpoch) {
  Ledger ledger;
  ledger.on_provider_write(7, 5, 1, at_ms(1));
  ledger.on_provider_write(7, 5, 2, at_ms(2));
  EXPECT_EQ(check_one_writer_per_epoch(ledger).verdict, Verdict::safety);
}

TEST(ResourceFsmChecks, TrustingALeaseGrantedToAnotherIsUnsafe) {
  Ledger ledger;
  ledger.on_grant(12, 1, at_ms(1));
  ledger.on_lease_judged(12, 1, at_ms(2));
  ledger.on_grant(12, 2, at_ms(500));
  ledger.on_lease_judged(12, 2, at_ms(501));
  EXPECT_EQ(check_lease_judgement(ledger).verdict, Verdict::pass);
  EXPECT_EQ(ledger.takeovers(), 1u);
  ledger.on_lease_judged(12, 1, at_ms(502));  // the old holder, by a slow wall clock
  const CheckResult result = check_lease_judgement(ledger);
  EXPECT_EQ(result.verdict, Verdict::safety);
  EXPECT_EQ(result.property, "lease_judged_safely");
}

TEST(ResourceFsmChecks, AStuckOrMismatchedResourceFailsLiveness) {
  Ledger busy;
  busy.on_resource_change(7, facts(State::creating, 1, 10, 0, 100, 1));
  const CheckResult stuck = check_settled_and_matching(busy, {});
  EXPECT_EQ(stuck.verdict, Verdict::liveness);
  EXPECT_EQ(stuck.property, "resources_settle");
  Ledger ready;
  ready.on_resource_change(7, facts(State::creating, 1, 10, 0, 100, 1));
  ready.on_resource_change(7, facts(State::ready, 2, 11, 10, 100, 5));
  EXPECT_EQ(check_settled_and_matching(ready, {{7, ProviderEntry{true, 100, 3}}}).verdict, Verdict::pass);
  const CheckResult stale = check_settled_and_matching(ready, {{7, ProviderEntry{true, 99, 3}}});
  EXPECT_EQ(stale.verdict, Verdict::liveness);
  EXPECT_EQ(stale.property, "provider_matches");
  EXPECT_EQ(check_settled_and_matching(ready, {}).verdict, Verdict::liveness);
  EXPECT_EQ(check_settled_and_matching(good_life(), {{7, ProviderEntry{true, 200, 2}}}).verdict, Verdict::liveness);
}

TEST(ResourceFsmChecks, TheMachineAllowsOnlyItsEdges) {
  EXPECT_TRUE(legal_transition(State::absent, State::creating));
  EXPECT_TRUE(legal_transition(State::failed, State::deleting));
  EXPECT_FALSE(legal_transition(State::absent, State::ready));
  EXPECT_FALSE(legal_transition(State::deleting, State::ready));
  EXPECT_FALSE(legal_transition(State::deleted, State::creating));
  EXPECT_FALSE(legal_transition(State::updating, State::updating));
}

}  // namespace
}  // namespace detsim::rfsm
