// The replicated partitioned log (models/parts/plog) when disks fill up
// and every server loses power, and across controller restarts: what the
// outbox model's stock scenario found (docs/parts.md, "Replicated
// partitioned log"). A broker must not count, replicate or acknowledge a
// batch its disk refused; the controller must not announce a state it did
// not persist, so its metadata versions and leader epochs never go back
// and clients converge on the real leaders.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "models/parts/plog/messages.h"
#include "tests/plog_harness.h"

namespace detsim::testing {
namespace {

constexpr plog::TopicPartition kTp{0, 0};  // replicas b0, b1, b2; b0 leads first

struct Acked {
  int64_t offset = -1;
  std::string value;
};

// Sends one-record acks=all batches value prefix0, prefix1, ... until
// `until`, and notes the acknowledged ones.
void produce_until(Context& ctx, PlogHarness& h, const std::string& prefix, Time until, std::vector<Acked>* acked) {
  plog::Producer producer(ctx, h.cluster, {});
  for (int i = 0; ctx.now() < until; ++i) {
    const std::vector<plog::Record> batch = records(prefix, i, 1);
    const plog::ProduceResult result = producer.send(kTp, batch);
    if (result.error == plog::ProduceError::none) acked->push_back({result.base_offset, batch.front().value});
  }
}

// The acknowledged records missing from `log` at their offsets.
std::vector<std::string> missing(const std::vector<Acked>& acked, const std::vector<std::string>& log) {
  std::vector<std::string> out;
  for (const Acked& a : acked) {
    const auto at = static_cast<size_t>(a.offset);
    if (a.offset < 0 || at >= log.size() || log[at] != a.value) out.push_back(a.value);
  }
  return out;
}

struct MetadataSeen {
  Time at;
  int64_t version = 0;
  int32_t leader = -1;
  int32_t leader_epoch = 0;
};

// Asks the controller for metadata every 50 ms until `until`.
void poll_controller(Context& ctx, PlogHarness& h, Time until, std::vector<MetadataSeen>* seen) {
  plog::Endpoint& endpoint = h.cluster.endpoint(ctx);
  while (ctx.now() < until) {
    std::optional<Message> reply = endpoint.call(h.cluster.controller(), plog::MetadataRequest{}, 200_ms);
    const auto* metadata = reply ? reply->get_if<plog::MetadataReply>() : nullptr;
    if (metadata != nullptr) {
      for (const plog::PartitionState& state : metadata->partitions) {
        if (state.tp == kTp) seen->push_back({ctx.now(), metadata->version, state.leader, state.leader_epoch});
      }
    }
    ctx.sleep_for(50_ms);
  }
}

// Polls the controller until `until`, then reads the partition back.
void watch_until(PlogHarness& h, Duration until, std::vector<MetadataSeen>* seen, std::vector<std::string>* read) {
  h.client("poller", [&h, until, seen](Context& ctx) { poll_controller(ctx, h, Time::zero() + until, seen); });
  h.client("reader", [&h, until, read](Context& ctx) {
    ctx.sleep_until(Time::zero() + until);
    *read = read_partition(ctx, h, kTp);
  });
}

// The first answer whose version or leader epoch is below an earlier one's.
std::optional<std::string> went_back(const std::vector<MetadataSeen>& seen) {
  for (size_t i = 1; i < seen.size(); ++i) {
    if (seen[i].version < seen[i - 1].version || seen[i].leader_epoch < seen[i - 1].leader_epoch) {
      return fmt::format("at {} ns: version {} epoch {} after version {} epoch {}", seen[i].at.since_start().count_ns(),
                         seen[i].version, seen[i].leader_epoch, seen[i - 1].version, seen[i - 1].leader_epoch);
    }
  }
  return std::nullopt;
}

// b0 leads 0/0 while its disk is full for a second, then every server
// loses power at once (the controller too, so it cannot notice b0's
// restart and b0 leads on in epoch 0). A batch b0's disk refused was once
// kept in memory, replicated and acknowledged; b0's file had a gap there,
// so after the restart b0 cut its log before it, its followers truncated
// to match, and the next records took those offsets.
TEST(PlogStorage, ABatchTheLeadersFullDiskRefusedIsNeverAcknowledged) {
  DiskOptions disk;  // the power loss tears and reorders unsynced writes
  disk.tear = 0.3;
  disk.reorder = 0.3;
  PlogHarness h(one_topic(), {}, 41, 16_s, disk);
  std::vector<Acked> acked;
  std::vector<std::string> read;
  h.client("producer", [&](Context& ctx) {
    produce_until(ctx, h, "a", Time::zero() + 2800_ms, &acked);
    ctx.sleep_until(Time::zero() + 5_s);
    produce_until(ctx, h, "b", Time::zero() + 6_s, &acked);
  });
  h.client("reader", [&](Context& ctx) {
    ctx.sleep_until(Time::zero() + 12_s);
    read = read_partition(ctx, h, kTp);
  });
  h.at(1_s, [&] { h.fill_disk(h.broker(0), 1_s); });
  h.at(3_s, [&] {
    for (NodeId node : h.servers()) h.world->crash(node);
  });
  h.at(3500_ms, [&] {
    for (NodeId node : h.servers()) h.world->restart(node);
  });
  TraceCounter refused("storage_error");
  h.world->set_trace(&refused);
  h.run();
  EXPECT_GT(refused.count, 0) << "b0's full disk never refused a batch: the test lost its point";
  EXPECT_GT(acked.size(), 20u);
  EXPECT_EQ(missing(acked, read), std::vector<std::string>{});
  EXPECT_FALSE(h.lost) << h.lost->detail;
  EXPECT_FALSE(h.diverged) << h.diverged->detail;
}

// The controller's disk is full when b0's crash makes it elect b1. It once
// renamed the short temporary file over its metadata and pushed the new
// state anyway; its restart then found no valid file, started over at
// version 1 with b0 leading in epoch 0, brokers ignored its pushes and
// clients asking it were sent to b0. Now it stalls until the state is on
// disk, and a restart resumes from it.
TEST(PlogStorage, AControllerWhoseDiskIsFullElectsOnlyWhatItPersisted) {
  PlogHarness h(one_topic(), {}, 43, 20_s);
  std::vector<Acked> acked;
  std::vector<MetadataSeen> seen;
  std::vector<std::string> read;
  h.client("producer", [&](Context& ctx) {
    produce_until(ctx, h, "a", Time::zero() + 1400_ms, &acked);
    ctx.sleep_until(Time::zero() + 8_s);
    produce_until(ctx, h, "b", Time::zero() + 9_s, &acked);
  });
  watch_until(h, 12_s, &seen, &read);
  h.at(1_s, [&] { h.fill_disk(h.cluster.controller(), 3_s); });
  h.at(1500_ms, [&] { h.world->crash(h.broker(0)); });
  h.at(6_s, [&] { h.world->crash(h.cluster.controller()); });
  h.at(6500_ms, [&] { h.world->restart(h.cluster.controller()); });
  h.at(7_s, [&] { h.world->restart(h.broker(0)); });
  TraceCounter stalled("not persisted");
  h.world->set_trace(&stalled);
  h.run();
  EXPECT_GT(stalled.count, 0) << "the controller never met its full disk: the test lost its point";
  ASSERT_FALSE(seen.empty());
  EXPECT_FALSE(went_back(seen)) << *went_back(seen);
  EXPECT_GT(seen.back().leader_epoch, 0) << "b0's crash made no election";
  EXPECT_GT(acked.size(), 10u);
  EXPECT_EQ(missing(acked, read), std::vector<std::string>{});
  EXPECT_EQ(read.size(), acked.size());
  EXPECT_FALSE(h.lost) << h.lost->detail;
}

// Elections before and while the controller is down, and brokers restarted
// while it is: across its restart the versions and epochs it answers only
// grow, and a consumer created afterwards finds the leader and reads every
// acknowledged record.
TEST(PlogStorage, AcrossAControllerRestartVersionsAndEpochsOnlyGrowAndClientsConverge) {
  PlogHarness h(one_topic(), {}, 47, 20_s);
  std::vector<Acked> acked;
  std::vector<MetadataSeen> seen;
  std::vector<std::string> read;
  h.client("producer", [&](Context& ctx) { produce_until(ctx, h, "a", Time::zero() + 9_s, &acked); });
  watch_until(h, 12_s, &seen, &read);
  h.at(1_s, [&] { h.world->crash(h.broker(0)); });
  h.at(2500_ms, [&] { h.world->restart(h.broker(0)); });
  h.at(4_s, [&] { h.world->crash(h.cluster.controller()); });
  h.at(4500_ms, [&] {
    h.world->crash(h.broker(1));
    h.world->crash(h.broker(2));
  });
  h.at(5_s, [&] {
    h.world->restart(h.broker(1));
    h.world->restart(h.broker(2));
  });
  h.at(6_s, [&] { h.world->restart(h.cluster.controller()); });
  h.at(6500_ms, [&] { h.world->crash(h.broker(1)); });
  h.run();
  ASSERT_FALSE(seen.empty());
  EXPECT_FALSE(went_back(seen)) << *went_back(seen);
  EXPECT_GE(seen.back().leader_epoch, 2) << "the crashes made fewer than two elections";
  EXPECT_NE(seen.back().leader, 1);
  EXPECT_GT(acked.size(), 20u);
  EXPECT_EQ(missing(acked, read), std::vector<std::string>{});
  EXPECT_FALSE(h.lost) << h.lost->detail;
}

}  // namespace
}  // namespace detsim::testing
