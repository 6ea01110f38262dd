// The world: datagrams, the node lifecycle, and the sim-aware primitives
// (each of which a crash must be able to unwind).
#include "sim/world/world.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/api/sync.h"

namespace detsim {
namespace {

using namespace time_literals;

struct Ping {
  int value = 0;
};

}  // namespace
}  // namespace detsim

template <>
struct fmt::formatter<detsim::Ping> : fmt::formatter<std::string_view> {
  auto format(const detsim::Ping& p, format_context& ctx) const {
    return fmt::format_to(ctx.out(), "Ping({})", p.value);
  }
};

namespace detsim {
namespace {

struct Harness {
  explicit Harness(Duration limit, NetworkOptions network = {}) {
    EngineOptions options;
    options.seed = 3;
    options.time_limit = Time::zero() + limit;
    engine = std::make_unique<Engine>(options);
    WorldOptions world_options;
    world_options.network = network;
    world = std::make_unique<World>(*engine, Rng(3), world_options);
  }
  StopReason run() {
    world->start();
    return engine->run();
  }
  std::unique_ptr<Engine> engine;
  std::unique_ptr<World> world;
};

NetworkOptions constant_latency(Duration d) {
  NetworkOptions network;
  network.latency = DurationDist::constant(d);
  return network;
}

TEST(World, DatagramArrivesAfterTheLatencyWithItsTypedValue) {
  Harness h(10_s, constant_latency(5_ms));
  std::optional<Envelope> got;
  Time got_at;
  NodeId b = NodeId(1);
  h.world->add_server("a", [&](Context& ctx) { ctx.net().send(b, Ping{42}); });
  h.world->add_server("b", [&](Context& ctx) {
    got = ctx.net().receive(1_s);
    got_at = ctx.now();
  });
  h.run();
  ASSERT_TRUE(got.has_value());
  ASSERT_NE(got->message.get_if<Ping>(), nullptr);
  EXPECT_EQ(got->message.get_if<Ping>()->value, 42);
  EXPECT_EQ(got->from, NodeId(0));
  EXPECT_EQ(got_at, Time::zero() + 5_ms);
  EXPECT_EQ(got->message.describe(), "Ping(42)");
}

TEST(World, ReceiveTimesOutInSimulatedTime) {
  Harness h(10_s);
  Time returned_at;
  bool empty = false;
  h.world->add_server("lonely", [&](Context& ctx) {
    empty = !ctx.net().receive(250_ms).has_value();
    returned_at = ctx.now();
  });
  h.run();
  EXPECT_TRUE(empty);
  EXPECT_EQ(returned_at, Time::zero() + 250_ms);
}

TEST(World, LossDropsAboutThatShareOfDatagrams) {
  NetworkOptions network = constant_latency(1_ms);
  network.loss = 0.3;
  Harness h(100_s, network);
  int received = 0;
  h.world->add_server("sender", [&](Context& ctx) {
    for (int i = 0; i < 10000; ++i) ctx.net().send(NodeId(1), Ping{i});
  });
  h.world->add_server("receiver", [&](Context& ctx) {
    while (ctx.net().receive(1_s)) ++received;
  });
  h.run();
  EXPECT_NEAR(received, 7000, 200);
}

TEST(World, CrashUnwindsEveryFiberAndRestartRunsMainWithAFreshContext) {
  Harness h(10_s);
  std::vector<std::string> log;
  struct Note {
    std::vector<std::string>* log;
    std::string text;
    ~Note() { log->push_back(text); }
  };
  NodeId victim = h.world->add_server("victim", [&](Context& ctx) {
    log.push_back(fmt::format("boot {}", ctx.incarnation()));
    ctx.spawn("helper", [&log, &ctx] {
      Note note{&log, fmt::format("helper unwound {}", ctx.incarnation())};
      ctx.net().receive();  // blocks forever
    });
    Note note{&log, fmt::format("main unwound {}", ctx.incarnation())};
    ctx.sleep_for(100_s);
  });
  h.world->add_client("nemesis", [&](Context& ctx) {
    ctx.sleep_for(1_s);
    h.world->crash(victim);
    EXPECT_FALSE(h.world->is_up(victim));
    ctx.sleep_for(1_s);
    h.world->restart(victim);
  });
  h.run();
  // Incarnation 0 unwound at the crash; incarnation 1 at the end of the run.
  ASSERT_GE(log.size(), 6u);
  EXPECT_EQ(log[0], "boot 0");
  EXPECT_EQ(log[1], "main unwound 0");
  EXPECT_EQ(log[2], "helper unwound 0");
  EXPECT_EQ(log[3], "boot 1");
}

TEST(World, MessagesToADownNodeAreDropped) {
  Harness h(10_s, constant_latency(10_ms));
  int received = 0;
  NodeId target = h.world->add_server("target", [&](Context& ctx) {
    while (ctx.net().receive()) ++received;
  });
  h.world->add_client("sender", [&](Context& ctx) {
    ctx.net().send(target, Ping{1});
    h.world->crash(target);  // the datagram is in flight
    ctx.sleep_for(1_s);
    h.world->restart(target);
    ctx.sleep_for(1_s);
    ctx.net().send(target, Ping{2});
  });
  h.run();
  EXPECT_EQ(received, 1);
}

struct Flag {
  bool* set;
  ~Flag() { *set = true; }
};

// Each primitive: a fiber blocked in it is unwound by a crash.
template <class BlockForever>
bool crash_unwinds(BlockForever block) {
  Harness h(10_s);
  bool unwound = false;
  NodeId victim = h.world->add_server("victim", [&](Context& ctx) {
    Flag flag{&unwound};
    block(ctx);
  });
  h.world->add_client("nemesis", [&](Context& ctx) {
    ctx.sleep_for(1_s);
    h.world->crash(victim);
  });
  StopReason stop = h.run();
  return unwound && stop != StopReason::model_crashed;
}

TEST(Primitives, CrashUnwindsAFiberBlockedInAnyOfThem) {
  EXPECT_TRUE(crash_unwinds([](Context& ctx) {
    Mailbox<int> box(ctx);
    box.pop();
  }));
  EXPECT_TRUE(crash_unwinds([](Context& ctx) {
    Mutex mutex(ctx);
    mutex.lock();
    ctx.spawn("second", [&] { mutex.lock(); });
    ctx.sleep_for(100_s);
  }));
  EXPECT_TRUE(crash_unwinds([](Context& ctx) {
    Mutex mutex(ctx);
    Condition condition(ctx);
    LockGuard guard(mutex);
    condition.wait_for(mutex);
  }));
  EXPECT_TRUE(crash_unwinds([](Context& ctx) {
    Promise<int> promise(ctx);
    promise.future().get();
  }));
}

TEST(Primitives, MailboxTimeoutAndHandOff) {
  Harness h(10_s);
  std::vector<std::string> seen;
  h.world->add_server("node", [&](Context& ctx) {
    Mailbox<int> box(ctx);
    ctx.spawn("producer", [&] {
      ctx.sleep_for(300_ms);
      box.push(7);
    });
    EXPECT_FALSE(box.pop(100_ms).has_value());
    EXPECT_EQ(ctx.now(), Time::zero() + 100_ms);
    auto value = box.pop(1_s);
    ASSERT_TRUE(value.has_value());
    EXPECT_EQ(*value, 7);
    EXPECT_EQ(ctx.now(), Time::zero() + 300_ms);
    seen.push_back("done");
  });
  h.run();
  EXPECT_EQ(seen.size(), 1u);
}

TEST(Primitives, MutexHandsOverInFifoOrderAndTimesOut) {
  Harness h(10_s);
  std::vector<int> order;
  bool timed_out = false;
  h.world->add_server("node", [&](Context& ctx) {
    Mutex mutex(ctx);
    mutex.lock();
    for (int i = 0; i < 3; ++i) {
      ctx.spawn("worker", [&, i] {
        LockGuard guard(mutex);
        order.push_back(i);
        ctx.sleep_for(10_ms);
      });
    }
    ctx.spawn("impatient", [&] { timed_out = !mutex.try_lock_for(5_ms); });
    ctx.sleep_for(50_ms);
    mutex.unlock();
    ctx.sleep_for(1_s);
  });
  h.run();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
  EXPECT_TRUE(timed_out);
}

TEST(Primitives, ConditionAndFutureWakeWaiters) {
  Harness h(10_s);
  int woken = 0;
  std::optional<int> future_value;
  h.world->add_server("node", [&](Context& ctx) {
    Mutex mutex(ctx);
    Condition condition(ctx);
    bool ready = false;
    Promise<int> promise(ctx);
    for (int i = 0; i < 3; ++i) {
      ctx.spawn("waiter", [&] {
        LockGuard guard(mutex);
        while (!ready) condition.wait_for(mutex);
        ++woken;
      });
    }
    ctx.spawn("future", [&] { future_value = promise.future().get(1_s); });
    ctx.sleep_for(10_ms);
    {
      LockGuard guard(mutex);
      ready = true;
      condition.notify_all();
    }
    promise.set(99);
    ctx.sleep_for(1_s);
  });
  h.run();
  EXPECT_EQ(woken, 3);
  EXPECT_EQ(future_value, 99);
}

TEST(World, PauseDelaysTimersUntilResume) {
  Harness h(10_s);
  Time woke_at;
  NodeId sleeper = h.world->add_server("sleeper", [&](Context& ctx) {
    ctx.sleep_for(100_ms);
    woke_at = ctx.now();
  });
  h.world->add_client("nemesis", [&](Context& ctx) {
    ctx.sleep_for(50_ms);
    h.world->pause(sleeper, 400_ms);
  });
  h.run();
  EXPECT_EQ(woke_at, Time::zero() + 450_ms);
}

}  // namespace
}  // namespace detsim
