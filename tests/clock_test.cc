// Node clocks: offset, drift, jumps, NTP discipline, and the monotonic
// clock that never goes back.
#include "sim/world/clock.h"

#include <gtest/gtest.h>

namespace detsim {
namespace {

using namespace time_literals;

Time at(Duration d) { return Time::zero() + d; }

TEST(ClockTest, StartsAtTheEpochPlusOffset) {
  NodeClock clock(25_ms, 0);
  EXPECT_EQ(clock.wall(Time::zero()), kSimulationEpoch + 25_ms);
  EXPECT_EQ(clock.wall(at(10_s)) - clock.wall(Time::zero()), 10_s);
  EXPECT_EQ(clock.monotonic(at(10_s)), at(10_s));
}

TEST(ClockTest, DriftOf100PpmGains100MicrosecondsPerSecond) {
  NodeClock clock(Duration::zero(), 100'000);  // 100 ppm in ppb
  EXPECT_EQ(clock.error(at(1_s)), 100_us);
  EXPECT_EQ(clock.error(at(10_s)), 1_ms);
  EXPECT_EQ(clock.monotonic(at(1_s)), at(1_s + 100_us));
  NodeClock slow(Duration::zero(), -100'000);
  EXPECT_EQ(slow.error(at(1_s)), -100_us);
}

TEST(ClockTest, JumpMovesWallClockOnlyAndCanGoBackwards) {
  NodeClock clock(Duration::zero(), 0);
  const WallTime before = clock.wall(at(5_s));
  clock.jump(at(5_s), -2_s);
  EXPECT_EQ(clock.wall(at(5_s)), before - 2_s);
  EXPECT_LT(clock.wall(at(6_s)), before);  // read later, yet earlier
  EXPECT_EQ(clock.monotonic(at(6_s)), at(6_s));
}

TEST(ClockTest, DriftChangeAppliesFromNowOn) {
  NodeClock clock(Duration::zero(), 0);
  clock.set_drift_ppb(at(10_s), 1'000'000);  // 1000 ppm from 10 s
  EXPECT_EQ(clock.error(at(10_s)), Duration::zero());
  EXPECT_EQ(clock.error(at(11_s)), 1_ms);
}

TEST(ClockTest, NtpStepsLargeErrorsAndSlewsSmallOnes) {
  ClockOptions options;
  options.ntp = true;
  options.ntp_interval = 16_s;
  NodeClock stepped(500_ms, 0);
  EXPECT_EQ(stepped.discipline(at(1_s), options), "ntp step -500ms");
  EXPECT_EQ(stepped.error(at(1_s)), Duration::zero());

  NodeClock slewed(4_ms, 0);  // 4 ms over 16 s: 250 ppm, under the limit
  EXPECT_EQ(slewed.discipline(at(1_s), options), "ntp slew -250.0ppm");
  EXPECT_EQ(slewed.error(at(17_s)), Duration::zero());
  // Slewing never steps: the monotonic clock and the wall clock both only
  // run slow, never back.
  EXPECT_GT(slewed.wall(at(2_s)), slewed.wall(at(1_s)));
}

TEST(ClockTest, NtpSlewIsLimitedTo500Ppm) {
  ClockOptions options;
  options.ntp_interval = 16_s;
  NodeClock clock(100_ms, 0);  // 100 ms / 16 s would need 6250 ppm
  EXPECT_EQ(clock.discipline(at(0_s), options), "ntp slew -500.0ppm");
  EXPECT_EQ(clock.error(at(16_s)), 100_ms - 8_ms);
}

TEST(ClockTest, MakeDrawsWithinBoundsAndIsDeterministic) {
  ClockOptions options;
  options.offset_max = 50_ms;
  options.drift_max_ppm = 200;
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    Rng a(seed), b(seed);
    NodeClock x = NodeClock::make(a, options);
    NodeClock y = NodeClock::make(b, options);
    EXPECT_EQ(x.wall(at(3_s)), y.wall(at(3_s)));
    EXPECT_LE(x.error(Time::zero()), 50_ms);
    EXPECT_GE(x.error(Time::zero()), -50_ms);
    EXPECT_LE(x.drift_ppb(), 200'000);
    EXPECT_GE(x.drift_ppb(), -200'000);
  }
}

}  // namespace
}  // namespace detsim
