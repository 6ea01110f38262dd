// Fault actions applied by the world, as a schedule names them: each one
// reaches the model through the seam (Context's clocks, disk and network)
// and leaves a line in the trace. The fault models themselves are tested
// in clock_test, disk_test and network_test; this is the wiring.
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "sim/world/world.h"
#include "tests/fault_harness.h"

namespace detsim {
namespace {

using namespace time_literals;
using testing::FaultHarness;

TEST(WorldFaults, ClockJumpMovesTheWallClockButNotTheMonotonicOne) {
  FaultHarness h(10_s);
  std::vector<std::pair<WallTime, Time>> readings;
  h.world->add_server("n0", [&](Context& ctx) {
    readings.push_back({ctx.wall_now(), ctx.monotonic_now()});
    ctx.sleep_until(Time::zero() + 2_s);
    readings.push_back({ctx.wall_now(), ctx.monotonic_now()});
  });
  h.run("1s clock_jump n0 -3s");
  ASSERT_EQ(readings.size(), 2u);
  // Two seconds passed; the wall clock went back three.
  EXPECT_EQ(readings[1].first - readings[0].first, -1_s);
  EXPECT_EQ(readings[1].second - readings[0].second, 2_s);
  EXPECT_TRUE(h.traced("clock: jump -3s"));
}

TEST(WorldFaults, DriftOfOneHundredPpmMovesTheWallClockATenthOfAMillisecondPerSecond) {
  FaultHarness h(20_s);
  std::vector<WallTime> readings;
  h.world->add_server("n0", [&](Context& ctx) {
    for (int i = 0; i <= 10; ++i) {
      readings.push_back(ctx.wall_now());
      ctx.sleep_for(1_s);
    }
  });
  h.run("0s clock_drift n0 100ppm");
  ASSERT_EQ(readings.size(), 11u);
  for (size_t i = 1; i < readings.size(); ++i) {
    EXPECT_EQ(readings[i] - readings[i - 1], 1_s + Duration::microseconds(100)) << "second " << i;
  }
  EXPECT_TRUE(h.traced("clock: drift 100ppm"));
}

TEST(WorldFaults, NtpStepsALargeOffsetAway) {
  WorldOptions options;
  options.clock.offset_max = 5_s;
  options.clock.ntp = true;
  options.clock.ntp_interval = 1_s;
  FaultHarness h(3_s, options);
  Duration error_before, error_after;
  h.world->add_server("n0", [&](Context& ctx) {
    error_before = ctx.wall_now() - (kSimulationEpoch + ctx.now().since_start());
    ctx.sleep_until(Time::zero() + 1500_ms);
    error_after = ctx.wall_now() - (kSimulationEpoch + ctx.now().since_start());
  });
  h.run();
  // Seed 5 starts this clock off by more than the step threshold.
  ASSERT_GT(std::llabs(error_before.count_ns()), options.clock.ntp_step_threshold.count_ns());
  EXPECT_EQ(error_after, Duration::zero());
  EXPECT_TRUE(h.traced("clock: ntp step"));
}

TEST(WorldFaults, CrashDropsUnsyncedWritesAndKeepsSyncedOnes) {
  FaultHarness h(5_s);
  std::vector<std::string> seen;
  h.world->add_server("n0", [&](Context& ctx) {
    Disk& disk = ctx.disk();
    if (ctx.incarnation() == 0) {
      disk.open("f", true);
      disk.append("f", "synced;");
      disk.fsync("f");
      disk.append("f", "unsynced;");
      ctx.sleep_until(Time::zero() + 10_s);
    }
    std::string out;
    disk.read("f", 0, 100, &out);
    seen.push_back(out);
  });
  h.run("1s crash n0\n2s restart n0");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], "synced;");
  EXPECT_TRUE(h.traced("disk:"));
}

TEST(WorldFaults, FullDiskRefusesGrowthUntilItEnds) {
  FaultHarness h(5_s);
  std::vector<IoStatus> statuses;
  h.world->add_server("n0", [&](Context& ctx) {
    ctx.disk().open("f", true);
    for (Time at : {Time::zero() + 500_ms, Time::zero() + 1500_ms, Time::zero() + 2500_ms}) {
      ctx.sleep_until(at);
      statuses.push_back(ctx.disk().append("f", "x"));
    }
  });
  h.run("1s disk_full n0 1s");
  EXPECT_EQ(statuses, (std::vector<IoStatus>{IoStatus::ok, IoStatus::no_space, IoStatus::ok}));
  EXPECT_TRUE(h.traced("disk: full until"));
}

TEST(WorldFaults, HealEndsAFullDiskEarly) {
  WorldOptions options;
  options.heal_at = Time::zero() + 2_s;
  FaultHarness h(5_s, options);
  std::optional<IoStatus> after_heal;
  h.world->add_server("n0", [&](Context& ctx) {
    ctx.disk().open("f", true);
    ctx.sleep_until(Time::zero() + 3_s);
    after_heal = ctx.disk().append("f", "x");
  });
  h.run("1s disk_full n0 10s");
  EXPECT_EQ(after_heal, IoStatus::ok);
  EXPECT_TRUE(h.traced("disk: healed"));
}

TEST(WorldFaults, OneWayPartitionFromAScheduleBlocksOneDirectionOnly) {
  FaultHarness h(5_s);
  std::vector<std::string> received;
  auto node = [&](Context& ctx) {
    const NodeId peer(1 - ctx.self().index());
    ctx.sleep_until(Time::zero() + 1500_ms);
    ctx.net().send(peer, Message(testing::Packet{static_cast<int>(ctx.self().index())}));
    while (auto envelope = ctx.net().receive(1_s)) {
      const auto* packet = envelope->message.get_if<testing::Packet>();
      ASSERT_NE(packet, nullptr);
      received.push_back(fmt::format("{}<-n{}", ctx.name(), packet->seq));
    }
  };
  h.world->add_server("n0", node);
  h.world->add_server("n1", node);
  h.run("1s partition n0>n1\n3s heal");
  EXPECT_EQ(received, (std::vector<std::string>{"n0<-n1"}));
}

TEST(WorldFaults, CorruptionFromAScheduleIsTraced) {
  WorldOptions options;
  options.disk.fault_budget = false;
  FaultHarness h(5_s, options);
  h.world->add_server("n0", [&](Context& ctx) {
    ctx.disk().open("f", true);
    ctx.disk().append("f", std::string(8192, 'a'));
    ctx.disk().fsync("f");
  });
  h.run("1s corrupt n0 1");
  EXPECT_TRUE(h.traced("disk: corrupted f sector 1"));
}

}  // namespace
}  // namespace detsim
