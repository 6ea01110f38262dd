// The replicated partitioned log (models/parts/plog) under chosen faults,
// placed at chosen times through the world's fault API: clean and unclean
// leader elections, min_insync, committed offsets across crashes, and a
// follower truncating what diverged from the new leader's log.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/plog_harness.h"

namespace detsim::testing {
namespace {

constexpr plog::TopicPartition kTp{0, 0};  // replicas b0, b1, b2; b0 leads first

std::vector<std::string> expected(std::initializer_list<std::pair<const char*, int>> runs) {
  std::vector<std::string> out;
  for (const auto& [prefix, count] : runs) {
    for (const plog::Record& r : records(prefix, 0, count)) out.push_back(r.value);
  }
  return out;
}

// Sends count one-record batches value prefix0.. and counts failures.
void produce(Context& ctx, PlogHarness& h, const char* prefix, int count, plog::ProducerOptions options,
             int* failures) {
  plog::Producer producer(ctx, h.cluster, options);
  for (int i = 0; i < count; ++i) {
    *failures += producer.send(kTp, records(prefix, i, 1)).error != plog::ProduceError::none;
  }
}

// Reads the partition from offset 0 up to its end offset.
std::vector<std::string> read_all(Context& ctx, PlogHarness& h) {
  plog::Consumer consumer(ctx, h.cluster, "reader");
  std::vector<std::string> out;
  const int64_t end = consumer.end_offset(kTp).value_or(0);
  while (static_cast<int64_t>(out.size()) < end) {
    auto fetched = consumer.fetch(kTp, static_cast<int64_t>(out.size()), 100, 1_s);
    if (!fetched || fetched->empty()) break;
    for (const plog::FetchedRecord& r : *fetched) out.push_back(r.record.value);
  }
  return out;
}

TEST(PlogFailover, LeaderCrashElectsAnIsrMemberAndLosesNoAckedRecord) {
  PlogHarness h(one_topic(), {}, 5, 20_s);
  int failures = 0;
  std::vector<std::string> read;
  h.client("producer", [&](Context& ctx) {
    produce(ctx, h, "a", 10, {}, &failures);
    ctx.sleep_until(Time::zero() + 2_s);
    produce(ctx, h, "b", 20, {}, &failures);  // across the failover
  });
  h.at(2_s, [&] { h.world->crash(h.broker(0)); });
  h.at(8_s, [&] { h.world->restart(h.broker(0)); });
  h.client("reader", [&](Context& ctx) {
    ctx.sleep_until(Time::zero() + 12_s);
    read = read_all(ctx, h);
  });
  std::vector<std::string> on_b0, on_leader;
  h.before_unwind = [&] {
    on_b0 = h.values(0, kTp);
    on_leader = h.values(h.observer.state(kTp).leader, kTp);
  };
  h.run();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(read, expected({{"a", 10}, {"b", 20}}));
  EXPECT_EQ(h.observer.unclean_elections(), 0u);
  const plog::PartitionState state = h.observer.state(kTp);
  EXPECT_TRUE(state.leader == 1 || state.leader == 2) << state.leader;
  EXPECT_GT(state.leader_epoch, 0);
  EXPECT_FALSE(h.lost) << h.lost->detail;
  EXPECT_FALSE(h.diverged) << h.diverged->detail;
  EXPECT_EQ(on_b0, on_leader) << "the restarted old leader did not catch up";
}

// The controller crashes after one failover; while it is down the next
// leader crash is not repaired; restarted from its disk it carries on from
// the epochs it had (a controller that forgot them would hand out epochs
// the brokers ignore) and elects a new leader.
TEST(PlogFailover, ARestartedControllerResumesFromItsDisk) {
  PlogHarness h(one_topic(), {}, 29, 20_s);
  int failures = 0;
  std::vector<plog::ProduceError> while_down;
  std::vector<std::string> read;
  int32_t epoch_before_crash = -1;
  h.client("producer", [&](Context& ctx) {
    produce(ctx, h, "a", 5, {}, &failures);
    ctx.sleep_until(Time::zero() + 4500_ms);
    plog::ProducerOptions quick;
    quick.delivery_timeout = 2_s;
    plog::Producer producer(ctx, h.cluster, quick);
    while_down.push_back(producer.send(kTp, records("lost", 0, 1)).error);
    ctx.sleep_until(Time::zero() + 10_s);
    produce(ctx, h, "b", 5, {}, &failures);
    read = read_all(ctx, h);
  });
  h.at(1_s, [&] { h.world->crash(h.broker(0)); });
  h.at(2500_ms, [&] { h.world->restart(h.broker(0)); });
  h.at(3500_ms, [&] {
    epoch_before_crash = h.observer.state(kTp).leader_epoch;
    h.world->crash(h.cluster.controller());
  });
  h.at(4_s, [&] { h.world->crash(h.observer.state(kTp).leader == 1 ? h.broker(1) : h.broker(2)); });
  h.at(7_s, [&] { h.world->restart(h.cluster.controller()); });
  h.run();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(while_down, (std::vector<plog::ProduceError>{plog::ProduceError::timeout}));
  EXPECT_GT(epoch_before_crash, 0);
  EXPECT_GT(h.observer.state(kTp).leader_epoch, epoch_before_crash);
  EXPECT_EQ(read, expected({{"a", 5}, {"b", 5}}));
  EXPECT_FALSE(h.lost) << h.lost->detail;
}

// b2 is cut off and leaves the ISR; "b" records are acknowledged by b0 and
// b1 only; then b0 and b1 crash and b2 comes back. Unclean, b2 leads and
// the "b" records are gone; clean, the partition waits for b1.
struct UncleanRun {
  std::vector<std::string> read;
  std::optional<CheckResult> lost;
  size_t unclean = 0;
  int failures = 0;
};

UncleanRun lagging_replica_run(bool unclean) {
  plog::LogConfig config = one_topic();
  config.unclean_election = unclean;
  PlogHarness h(config, {}, 9, 24_s);
  UncleanRun run;
  h.client("producer", [&](Context& ctx) {
    produce(ctx, h, "a", 5, {}, &run.failures);
    ctx.sleep_until(Time::zero() + 3_s);
    produce(ctx, h, "b", 5, {}, &run.failures);
  });
  h.at(1_s, [&] { h.isolate(h.broker(2)); });
  h.at(5_s, [&] { h.world->crash(h.broker(0)); });
  h.at(7_s, [&] { h.world->crash(h.broker(1)); });
  h.at(9_s, [&] { h.world->heal_network(); });
  h.at(13_s, [&] {
    h.world->restart(h.broker(0));
    h.world->restart(h.broker(1));
  });
  h.client("reader", [&](Context& ctx) {
    ctx.sleep_until(Time::zero() + 18_s);
    run.read = read_all(ctx, h);
  });
  h.run();
  run.lost = h.lost;
  run.unclean = h.observer.unclean_elections();
  return run;
}

TEST(PlogFailover, UncleanElectionOfALaggingReplicaLosesAckedRecordsAndTheObserverSaysSo) {
  const UncleanRun run = lagging_replica_run(true);
  EXPECT_EQ(run.failures, 0);
  EXPECT_GE(run.unclean, 1u);
  ASSERT_TRUE(run.lost.has_value());
  EXPECT_EQ(run.lost->property, "no_acked_record_lost");
  EXPECT_EQ(run.read, expected({{"a", 5}})) << "the new leader should hold only what b2 had";
}

TEST(PlogFailover, CleanElectionWaitsForAnIsrMemberAndLosesNothing) {
  const UncleanRun run = lagging_replica_run(false);
  EXPECT_EQ(run.failures, 0);
  EXPECT_EQ(run.unclean, 0u);
  EXPECT_FALSE(run.lost) << run.lost->detail;
  EXPECT_EQ(run.read, expected({{"a", 5}, {"b", 5}}));
}

TEST(PlogFailover, AcksAllIsRefusedWhileTheIsrIsBelowMinInsync) {
  PlogHarness h(one_topic(1, 3, 3), {}, 13, 14_s);
  std::vector<plog::ProduceError> all, one;
  h.client("producer", [&](Context& ctx) {
    plog::ProducerOptions quick;
    quick.delivery_timeout = 1_s;
    plog::ProducerOptions leader_only = quick;
    leader_only.acks = 1;
    plog::Producer producer(ctx, h.cluster, quick);
    plog::Producer acks_one(ctx, h.cluster, leader_only);
    for (int at : {0, 4, 10}) {
      ctx.sleep_until(Time::zero() + Duration::seconds(at));
      all.push_back(producer.send(kTp, records("all", at, 1)).error);
      one.push_back(acks_one.send(kTp, records("one", at, 1)).error);
    }
  });
  h.at(1_s, [&] { h.isolate(h.broker(2)); });
  h.at(6_s, [&] { h.world->heal_network(); });
  std::vector<std::string> on_leader;
  h.before_unwind = [&] { on_leader = h.values(h.observer.state(kTp).leader, kTp); };
  h.run();
  using E = plog::ProduceError;
  EXPECT_EQ(all, (std::vector<E>{E::none, E::not_enough_replicas, E::none}));
  EXPECT_EQ(one, (std::vector<E>{E::none, E::none, E::none}));
  // Refused before the append: the batch is in no log.
  EXPECT_EQ(on_leader, (std::vector<std::string>{"all0", "one0", "one4", "all10", "one10"}));
}

// The leader is cut off from its followers: an acks=all batch it appends
// is not acknowledged, neither before the ISR shrinks (the followers lack
// it) nor after (the ISR is below min_insync); the batch is refused, and
// no acknowledged record is lost when that leader then crashes.
TEST(PlogFailover, AcksAllWaitsForTheIsrAndIsRefusedAfterAShrinkBelowMinInsync) {
  PlogHarness h(one_topic(1, 3, 2), {}, 19, 14_s);
  std::vector<plog::ProduceError> results;
  h.client("producer", [&](Context& ctx) {
    plog::ProducerOptions options;
    options.delivery_timeout = 3_s;
    plog::Producer producer(ctx, h.cluster, options);
    results.push_back(producer.send(kTp, records("a", 0, 1)).error);
    ctx.sleep_until(Time::zero() + 1100_ms);
    results.push_back(producer.send(kTp, records("cut", 0, 1)).error);
  });
  // Reads b0 while it holds the batch that never reached the HW.
  std::vector<std::string> read;
  h.client("consumer", [&](Context& ctx) {
    ctx.sleep_until(Time::zero() + 2_s);
    plog::Consumer consumer(ctx, h.cluster, "g");
    for (const plog::FetchedRecord& r :
         consumer.fetch(kTp, 0, 10, 500_ms).value_or(std::vector<plog::FetchedRecord>{})) {
      read.push_back(r.record.value);
    }
  });
  h.at(1_s, [&] { h.world->partition({{h.broker(0)}, {h.broker(1), h.broker(2)}}); });
  h.at(4500_ms, [&] { h.world->crash(h.broker(0)); });
  h.run();
  using E = plog::ProduceError;
  EXPECT_EQ(results, (std::vector<E>{E::none, E::not_enough_replicas}));
  EXPECT_EQ(read, (std::vector<std::string>{"a0"})) << "a consumer read past the high watermark";
  EXPECT_EQ(h.observer.acked_records(), 1u);
  EXPECT_FALSE(h.lost) << h.lost->detail;
}

TEST(PlogFailover, CommittedOffsetsSurviveBrokerCrashesThroughTheOffsetsTopic) {
  PlogHarness h(one_topic(3), {}, 17, 20_s);
  const plog::TopicPartition p0{0, 0}, p1{0, 1}, p2{0, 2};
  std::vector<bool> commits;
  std::vector<std::optional<int64_t>> after_leader_crash, after_all_crash, other_group;
  h.client("consumer", [&](Context& ctx) {
    plog::Consumer consumer(ctx, h.cluster, "g");
    commits.push_back(consumer.commit(p0, 41));
    commits.push_back(consumer.commit(p1, 7));
    commits.push_back(consumer.commit(p0, 42));  // the latest commit wins
    const int32_t leader = h.observer.state(consumer.offsets_partition(p0)).leader;
    h.world->crash(h.broker(leader));
    ctx.sleep_until(Time::zero() + 5_s);
    plog::Consumer fresh(ctx, h.cluster, "g");  // no cache: reads the log
    after_leader_crash = {fresh.committed(p0), fresh.committed(p1), fresh.committed(p2)};
    for (int32_t b = 0; b < 3; ++b) h.world->crash(h.broker(b));
    ctx.sleep_until(Time::zero() + 6_s);
    for (int32_t b = 0; b < 3; ++b) h.world->restart(h.broker(b));
    ctx.sleep_until(Time::zero() + 10_s);
    plog::Consumer again(ctx, h.cluster, "g");
    after_all_crash = {again.committed(p0), again.committed(p1), again.committed(p2)};
    plog::Consumer stranger(ctx, h.cluster, "other");
    other_group = {stranger.committed(p0)};
  });
  h.run();
  using Offsets = std::vector<std::optional<int64_t>>;
  EXPECT_EQ(commits, (std::vector<bool>{true, true, true}));
  EXPECT_EQ(after_leader_crash, (Offsets{42, 7, std::nullopt}));
  EXPECT_EQ(after_all_crash, (Offsets{42, 7, std::nullopt}));
  EXPECT_EQ(other_group, (Offsets{std::nullopt}));
  EXPECT_FALSE(h.lost) << h.lost->detail;
}

// b0 leads, is cut off from its followers and takes acks=1 records only it
// has; it crashes, b1 leads a new epoch and takes other records. When b0
// comes back its log diverges at offset 5: it must truncate there
// (KIP-101/KIP-279) and copy b1's records.
TEST(PlogFailover, AFollowerTruncatesWhatDivergedFromTheNewLeader) {
  PlogHarness h(one_topic(), {}, 21, 14_s);
  int failures = 0;
  h.client("producer", [&](Context& ctx) {
    produce(ctx, h, "a", 5, {}, &failures);
    ctx.sleep_until(Time::zero() + 2100_ms);
    plog::ProducerOptions leader_only;
    leader_only.acks = 1;
    produce(ctx, h, "x", 3, leader_only, &failures);
    ctx.sleep_until(Time::zero() + 5_s);
    produce(ctx, h, "b", 3, {}, &failures);
  });
  h.at(2_s, [&] { h.world->partition({{h.broker(0)}, {h.broker(1), h.broker(2)}}); });
  h.at(2500_ms, [&] { h.world->crash(h.broker(0)); });
  h.at(6_s, [&] {
    h.world->heal_network();
    h.world->restart(h.broker(0));
  });
  std::vector<std::string> on_b0, on_b1;
  std::optional<CheckResult> acks_one_lost;
  h.before_unwind = [&] {
    on_b0 = h.values(0, kTp);
    on_b1 = h.values(1, kTp);
    acks_one_lost = h.observer.no_acked_record_lost(true);
  };
  h.run();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(on_b1, expected({{"a", 5}, {"b", 3}}));
  EXPECT_EQ(on_b0, on_b1);
  EXPECT_GE(h.observer.truncations(), 1u);
  EXPECT_FALSE(h.diverged) << h.diverged->detail;
  EXPECT_FALSE(h.lost) << h.lost->detail;
  // acks=1 promised nothing beyond the leader: those records are gone.
  ASSERT_TRUE(acks_one_lost.has_value());
  EXPECT_NE(acks_one_lost->detail.find("acks=1"), std::string::npos) << acks_one_lost->detail;
}

}  // namespace
}  // namespace detsim::testing
