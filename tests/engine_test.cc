// The engine's contract: event order, FIFO fibers, stop conditions, crash
// unwinding, pause, and the detection of model bugs it must not hang on.
#include "sim/core/engine.h"

#include <gtest/gtest.h>

#include <boost/fiber/operations.hpp>
#include <string>
#include <vector>

#include "sim/core/assert.h"

namespace detsim {
namespace {

using namespace time_literals;

class RecordingTarget final : public EventTarget {
 public:
  void fire(uint64_t a, uint64_t) override { fired.push_back(a); }
  std::vector<uint64_t> fired;
};

TEST(EventQueue, EqualTimesPopInSchedulingOrder) {
  EventQueue queue;
  RecordingTarget target;
  // Interleave three instants; within each, the push order must survive.
  for (uint64_t i = 0; i < 300; ++i) queue.push(Time::from_ns(static_cast<int64_t>((i * 7) % 3)), &target, i, 0);
  std::vector<std::pair<int64_t, uint64_t>> popped;
  while (!queue.empty()) {
    Event e = queue.pop();
    popped.push_back({e.at.count_ns(), e.a});
  }
  ASSERT_EQ(popped.size(), 300u);
  for (size_t i = 1; i < popped.size(); ++i) {
    ASSERT_LE(popped[i - 1].first, popped[i].first);
    if (popped[i - 1].first == popped[i].first) {
      ASSERT_LT(popped[i - 1].second, popped[i].second);
    }
  }
}

EngineOptions options_until(Duration limit) {
  EngineOptions options;
  options.seed = 7;
  options.time_limit = Time::zero() + limit;
  return options;
}

TEST(Engine, ReadyFibersRunInFifoOrder) {
  std::vector<int> order;
  Engine engine(options_until(1_s));
  GroupId group = engine.create_group(0);
  for (int i = 0; i < 5; ++i) {
    engine.spawn(group, "f", [&, i] {
      order.push_back(i);
      engine.sleep_until(engine.now() + 10_ms);  // all wake at the same instant
      order.push_back(10 + i);
    });
  }
  engine.run();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 10, 11, 12, 13, 14}));
}

TEST(Engine, SameRunTwiceGivesSameFingerprintAndDifferentSeedsDiffer) {
  auto run = [](uint64_t seed) {
    EngineOptions options = options_until(2_s);
    options.seed = seed;
    Engine engine(options);
    GroupId group = engine.create_group(0);
    for (int i = 0; i < 10; ++i)
      engine.spawn(group, "f", [&engine, i] {
        for (;;) engine.sleep_until(engine.now() + Duration::milliseconds(3 + i));
      });
    engine.run();
    return engine.fingerprint();
  };
  EXPECT_EQ(run(1), run(1));
  EXPECT_NE(run(1), run(2));
}

TEST(Engine, TimeLimitStopsAtTheLimit) {
  Engine engine(options_until(1_s));
  GroupId group = engine.create_group(0);
  int wakes = 0;
  engine.spawn(group, "ticker", [&] {
    for (;;) {
      engine.sleep_until(engine.now() + 100_ms);
      ++wakes;
    }
  });
  EXPECT_EQ(engine.run(), StopReason::time_limit);
  EXPECT_EQ(wakes, 10);
  EXPECT_EQ(engine.now(), Time::zero() + 1_s);
}

TEST(Engine, QuiescenceStopsWhenNothingCanHappen) {
  Engine engine(options_until(1000_s));
  GroupId group = engine.create_group(0);
  engine.spawn(group, "sleeper", [&] { engine.sleep_until(engine.now() + 5_s); });
  EXPECT_EQ(engine.run(), StopReason::quiescent);
  EXPECT_EQ(engine.now(), Time::zero() + 5_s);
}

TEST(Engine, EventLimitStops) {
  EngineOptions options = options_until(1000_s);
  options.event_limit = 50;
  Engine engine(options);
  GroupId group = engine.create_group(0);
  engine.spawn(group, "ticker", [&] {
    for (;;) engine.sleep_until(engine.now() + 1_ms);
  });
  EXPECT_EQ(engine.run(), StopReason::event_limit);
  EXPECT_EQ(engine.events_fired(), 50u);
}

TEST(Engine, ManyEventsWithoutTimeAdvancingIsALivelock) {
  EngineOptions options = options_until(10_s);
  options.livelock_events = 10'000;
  Engine engine(options);
  GroupId group = engine.create_group(0);
  engine.spawn(group, "spinner", [&] {
    for (;;) engine.sleep_until(engine.now());  // a zero-length timer loop
  });
  EXPECT_EQ(engine.run(), StopReason::livelock);
  EXPECT_EQ(engine.now(), Time::zero());
}

struct Flag {
  bool* set;
  ~Flag() { *set = true; }
};

TEST(Engine, KillUnwindsParkedFibersAndRunsDestructors) {
  Engine engine(options_until(10_s));
  GroupId victim = engine.create_group(0);
  GroupId killer = engine.create_group(1);
  bool destroyed = false;
  bool ran_past_park = false;
  engine.spawn(victim, "victim", [&] {
    Flag flag{&destroyed};
    engine.sleep_until(Time::zero() + 100_s);
    ran_past_park = true;
  });
  engine.spawn(killer, "killer", [&] {
    engine.sleep_until(Time::zero() + 1_s);
    engine.kill_group(victim);
  });
  EXPECT_EQ(engine.run(), StopReason::time_limit);
  EXPECT_TRUE(destroyed);
  EXPECT_FALSE(ran_past_park);
  EXPECT_EQ(engine.live_fibers(victim), 0u);
}

TEST(Engine, KilledGroupAcceptsNoNewFibers) {
  Engine engine(options_until(1_s));
  GroupId group = engine.create_group(0);
  engine.kill_group(group);
  EXPECT_EQ(engine.spawn(group, "late", [] {}), kNoFiber);
  engine.run();
}

TEST(Engine, SwallowingTheCrashIsReportedAsAModelBug) {
  Engine engine(options_until(10_s));
  GroupId victim = engine.create_group(0);
  GroupId killer = engine.create_group(1);
  engine.spawn(victim, "stubborn", [&] {
    try {
      engine.sleep_until(Time::zero() + 100_s);
    } catch (...) {
      // A model bug: no rethrow.
    }
  });
  engine.spawn(killer, "killer", [&] {
    engine.sleep_until(Time::zero() + 1_s);
    engine.kill_group(victim);
  });
  EXPECT_EQ(engine.run(), StopReason::model_crashed);
  EXPECT_NE(engine.stop_detail().find("catch (...) without rethrow"), std::string::npos) << engine.stop_detail();
}

TEST(Engine, SwallowingInALoopIsReportedAndTheRunStillEnds) {
  Engine engine(options_until(10_s));
  GroupId victim = engine.create_group(0);
  GroupId killer = engine.create_group(1);
  engine.spawn(victim, "looping", [&] {
    for (int i = 0; i < 20; ++i) {
      try {
        engine.sleep_until(engine.now() + 100_ms);
      } catch (...) {
      }
    }
  });
  engine.spawn(killer, "killer", [&] {
    engine.sleep_until(Time::zero() + 1_s);
    engine.kill_group(victim);
  });
  EXPECT_EQ(engine.run(), StopReason::model_crashed);
  EXPECT_NE(engine.stop_detail().find("looping"), std::string::npos);
}

TEST(Engine, ExceptionInAFiberIsAModelCrash) {
  Engine engine(options_until(10_s));
  GroupId group = engine.create_group(0);
  engine.spawn(group, "thrower", [&] {
    engine.sleep_until(Time::zero() + 2_s);
    throw std::runtime_error("boom");
  });
  EXPECT_EQ(engine.run(), StopReason::model_crashed);
  EXPECT_NE(engine.stop_detail().find("boom"), std::string::npos);
  EXPECT_NE(engine.stop_detail().find("thrower"), std::string::npos);
  EXPECT_EQ(engine.now(), Time::zero() + 2_s);
}

TEST(Engine, FailedAssertInAFiberNamesFileLineSeedAndTime) {
  Engine engine(options_until(10_s));
  GroupId group = engine.create_group(0);
  engine.spawn(group, "asserter", [&] {
    engine.sleep_until(Time::zero() + 1500_ms);
    int replicas = 2;
    DETSIM_ASSERT(replicas == 3);
  });
  EXPECT_EQ(engine.run(), StopReason::model_crashed);
  const std::string& detail = engine.stop_detail();
  EXPECT_NE(detail.find("replicas == 3"), std::string::npos) << detail;
  EXPECT_NE(detail.find("engine_test.cc"), std::string::npos) << detail;
  EXPECT_NE(detail.find("seed=7"), std::string::npos) << detail;
  EXPECT_NE(detail.find("t=1.5"), std::string::npos) << detail;
}

TEST(Engine, PausedGroupWakesLateAndInOrder) {
  Engine engine(options_until(10_s));
  GroupId paused = engine.create_group(0);
  GroupId control = engine.create_group(1);
  std::vector<std::pair<int, int64_t>> wakes;
  for (int i = 0; i < 2; ++i) {
    engine.spawn(paused, "sleeper", [&, i] {
      engine.sleep_until(Time::zero() + Duration::milliseconds(100 + i));
      wakes.push_back({i, engine.now().count_ns()});
    });
  }
  engine.spawn(control, "control", [&] {
    engine.sleep_until(Time::zero() + 50_ms);
    engine.pause_group(paused);
    engine.sleep_until(Time::zero() + 500_ms);
    engine.resume_group(paused);
  });
  engine.run();
  ASSERT_EQ(wakes.size(), 2u);
  EXPECT_EQ(wakes[0], (std::pair<int, int64_t>{0, 500'000'000}));
  EXPECT_EQ(wakes[1], (std::pair<int, int64_t>{1, 500'000'000}));
}

TEST(Engine, WakeOfAFinishedWaitDoesNothing) {
  Engine engine(options_until(10_s));
  GroupId group = engine.create_group(0);
  Waiter stale;
  bool second_wait_timed_out = false;
  engine.spawn(group, "waiter", [&] {
    stale = engine.begin_wait();
    engine.park(engine.now() + 10_ms);  // times out
    engine.begin_wait();
    second_wait_timed_out = !engine.park(engine.now() + 1_s);
  });
  engine.spawn(group, "waker", [&] {
    engine.sleep_until(Time::zero() + 500_ms);
    EXPECT_FALSE(engine.wake(stale));
  });
  engine.run();
  EXPECT_TRUE(second_wait_timed_out);
}

TEST(Engine, PooledStacksWithoutGuardRunTheSameAsGuardedOnes) {
  auto run = [](bool guard) {
    EngineOptions options = options_until(10_s);
    options.stack_guard = guard;
    options.stack_bytes = 16 * 1024;
    Engine engine(options);
    GroupId group = engine.create_group(0);
    // Waves of short-lived fibers, so pooled stacks are freed and reused.
    engine.spawn(group, "spawner", [&] {
      for (int wave = 0; wave < 20; ++wave) {
        for (int i = 0; i < 100; ++i)
          engine.spawn(group, "short",
                       [&engine, i] { engine.sleep_until(engine.now() + Duration::milliseconds(i % 7)); });
        engine.sleep_until(engine.now() + 10_ms);
      }
    });
    engine.run();
    return std::pair{engine.fingerprint(), engine.events_fired()};
  };
  auto guarded = run(true);
  EXPECT_EQ(run(false), guarded);
  EXPECT_GT(guarded.second, 2000u);
}

TEST(EngineDeathTest, RealTimeWaitInsideASimulationAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        Engine engine(options_until(1_s));
        GroupId group = engine.create_group(0);
        engine.spawn(group, "bad", [] { boost::this_fiber::sleep_for(std::chrono::milliseconds(1)); });
        engine.run();
      },
      "waited on real time");
}

}  // namespace
}  // namespace detsim
