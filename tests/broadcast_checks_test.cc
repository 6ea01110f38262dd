// The broadcast checker on hand-built states: it must reject a known-bad
// one (an acknowledged value missing on a server), not only pass good ones.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "models/broadcast/checks.h"

namespace detsim::broadcast {
namespace {

struct TwoServers {
  TwoServers() {
    observer.add_server(NodeId(0), "n0");
    observer.add_server(NodeId(1), "n1");
    observer.attach(NodeId(0), 0, Time::zero(), first);
    observer.attach(NodeId(1), 0, Time::zero(), second);
  }
  Observer observer;
  std::shared_ptr<ServerStore> first = std::make_shared<ServerStore>();
  std::shared_ptr<ServerStore> second = std::make_shared<ServerStore>();
};

// In-memory mode's ack check (ack_on_majority): three servers, n0 acks.
struct ThreeServers {
  ThreeServers() {
    for (uint32_t i = 0; i < 3; ++i) {
      observer.add_server(NodeId(i), fmt::format("n{}", i));
      stores.push_back(std::make_shared<ServerStore>());
      observer.attach(NodeId(i), 0, Time::zero(), stores.back());
    }
  }
  Time at(int64_t ms) const { return Time::zero() + Duration::milliseconds(ms); }
  Observer observer;
  std::vector<std::shared_ptr<ServerStore>> stores;
};

TEST(BroadcastChecks, AcceptsAnAckHeldByALiveMajority) {
  ThreeServers state;
  state.stores[0]->values = {7};
  state.stores[1]->values = {7};
  state.observer.on_ack_in_memory(NodeId(0), 7);
  EXPECT_FALSE(state.observer.violation().has_value());
}

TEST(BroadcastChecks, RejectsAnAckCountingServersThatNeverHeldTheValue) {
  ThreeServers state;
  state.stores[0]->values = {7};
  state.observer.on_delivered(NodeId(0), NodeId(1), state.at(5));
  state.observer.on_ack_in_memory(NodeId(0), 7);
  ASSERT_TRUE(state.observer.violation().has_value());
  EXPECT_EQ(state.observer.violation()->property, "ack_on_majority");
}

TEST(BroadcastChecks, ADeadHolderCountsUntilTheAckerHearsItsSuccessor) {
  ThreeServers state;
  state.stores[0]->values = {7};
  state.stores[1]->values = {7};
  state.observer.on_delivered(NodeId(0), NodeId(1), state.at(5));
  // n1 crashes and comes back empty at 100 ms.
  state.observer.detach(NodeId(1), 0);
  auto reborn = std::make_shared<ServerStore>();
  state.observer.attach(NodeId(1), 1, state.at(100), reborn);
  // n0 has heard only from the dead incarnation, which held 7: it counts.
  state.observer.on_ack_in_memory(NodeId(0), 7);
  EXPECT_FALSE(state.observer.violation().has_value());
  // Once n0 heard the empty successor, it no longer does.
  state.observer.on_delivered(NodeId(0), NodeId(1), state.at(150));
  state.observer.on_ack_in_memory(NodeId(0), 7);
  ASSERT_TRUE(state.observer.violation().has_value());
  EXPECT_EQ(state.observer.violation()->property, "ack_on_majority");
}

TEST(BroadcastChecks, RejectsAConfirmationFromAnIncarnationThatNeverHeldTheValue) {
  ThreeServers state;
  state.stores[1]->values = {7};
  state.observer.on_confirmed(NodeId(0), NodeId(1), 0, 7);  // n1 holds 7
  EXPECT_FALSE(state.observer.violation().has_value());
  // n1 restarts empty; its old incarnation's memory still counts for it.
  state.observer.detach(NodeId(1), 0);
  state.observer.attach(NodeId(1), 1, state.at(100), std::make_shared<ServerStore>());
  state.observer.on_confirmed(NodeId(0), NodeId(1), 0, 7);
  EXPECT_FALSE(state.observer.violation().has_value());
  // Taking the new, empty incarnation to hold 7 is the bug.
  state.observer.on_confirmed(NodeId(0), NodeId(1), 1, 7);
  ASSERT_TRUE(state.observer.violation().has_value());
  EXPECT_EQ(state.observer.violation()->property, "confirmed_holder_holds");
}

TEST(BroadcastChecks, AcceptsEveryAckedValueOnEveryServer) {
  TwoServers state;
  state.first->values = {7, 8};
  state.second->values = {7, 8, 9};  // 9 was never acknowledged: fine
  state.observer.record_ack(7, Time::zero());
  state.observer.record_ack(8, Time::zero());
  EXPECT_EQ(check_acked_everywhere(state.observer).verdict, Verdict::pass);
}

TEST(BroadcastChecks, RejectsAnAckedValueMissingOnOneServer) {
  TwoServers state;
  state.first->values = {7};
  state.second->values = {};
  state.observer.record_ack(7, Time::zero() + Duration::milliseconds(1200));
  CheckResult result = check_acked_everywhere(state.observer);
  EXPECT_EQ(result.verdict, Verdict::safety);
  EXPECT_EQ(result.property, "acked_value_everywhere");
  EXPECT_NE(result.detail.find("n1"), std::string::npos) << result.detail;
  EXPECT_NE(result.detail.find("7"), std::string::npos) << result.detail;
}

TEST(BroadcastChecks, AServerWithNoLiveIncarnationLacksEverything) {
  TwoServers state;
  state.first->values = {7};
  state.second->values = {7};
  state.observer.record_ack(7, Time::zero());
  state.observer.detach(NodeId(1), 0);  // crashed, never restarted
  EXPECT_EQ(check_acked_everywhere(state.observer).verdict, Verdict::safety);
}

TEST(BroadcastChecks, RejectsAValueNoClientSent) {
  TwoServers state;
  state.observer.record_sent(7);
  state.first->values = {7};
  state.second->values = {7};
  EXPECT_EQ(check_values_sent(state.observer).verdict, Verdict::pass);
  state.second->values = {7, 4242};  // a phantom: a bad record read as a value
  CheckResult result = check_values_sent(state.observer);
  EXPECT_EQ(result.verdict, Verdict::safety);
  EXPECT_EQ(result.property, "value_never_sent");
  EXPECT_NE(result.detail.find("n1 holds value 4242"), std::string::npos) << result.detail;
}

TEST(BroadcastChecks, RejectsAnAckSentWhileOnlyAMinorityHoldsItDurably) {
  Observer observer;
  for (uint32_t i = 0; i < 3; ++i) observer.add_server(NodeId(i), fmt::format("n{}", i));
  observer.on_durable(NodeId(0), {7});
  observer.on_ack_sent(NodeId(0), 7);
  ASSERT_TRUE(observer.violation().has_value());
  EXPECT_EQ(observer.violation()->property, "ack_durable_on_majority");
  Observer good;
  for (uint32_t i = 0; i < 3; ++i) good.add_server(NodeId(i), fmt::format("n{}", i));
  good.on_durable(NodeId(0), {7});
  good.on_durable(NodeId(2), {7});
  good.on_ack_sent(NodeId(0), 7);
  EXPECT_FALSE(good.violation().has_value());
}

TEST(BroadcastChecks, NoAckAtAllIsALivenessFailureWhenClientsRan) {
  TwoServers state;
  EXPECT_EQ(check_progress(state.observer, /*workload_ran=*/true).verdict, Verdict::liveness);
  EXPECT_EQ(check_progress(state.observer, /*workload_ran=*/false).verdict, Verdict::pass);
}

}  // namespace
}  // namespace detsim::broadcast
