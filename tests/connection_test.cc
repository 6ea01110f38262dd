// TCP-like connections: FIFO under random latency, bandwidth and queueing,
// and every way one breaks (partition, crash, close, restart), each seen by
// both ends; plus connect's timeout and refusal, and crash unwinding of
// fibers blocked in connect, accept and receive.
#include <algorithm>
#include <functional>

#include "sim/api/sync.h"
#include "tests/network_harness.h"

namespace detsim {
namespace {

using namespace time_literals;
using testing::constant_latency;
using testing::NetHarness;
using testing::Packet;

constexpr uint32_t kPort = 80;

int seq_of(const Message& m) { return m.get_if<Packet>()->seq; }

TEST(Connection, EchoesOverAFreshConnection) {
  NetHarness h(10_s, constant_latency(5_ms));
  std::optional<int> echoed;
  Time connected_at;
  NodeId server = h.world->add_server("server", [](Context& ctx) {
    auto conn = ctx.net().accept(kPort);
    Message m;
    while (conn->receive(&m) == NetStatus::ok) conn->send(m);
  });
  h.world->add_client("client", [&](Context& ctx) {
    NetStatus status;
    auto conn = ctx.net().connect(server, kPort, 1_s, &status);
    ASSERT_EQ(status, NetStatus::ok);
    connected_at = ctx.now();
    EXPECT_EQ(conn->peer(), server);
    EXPECT_EQ(conn->self(), ctx.self());
    EXPECT_EQ(conn->send(Packet{7}), NetStatus::ok);
    Message m;
    EXPECT_EQ(conn->receive(&m, 1_s), NetStatus::ok);
    echoed = seq_of(m);
    EXPECT_EQ(conn->receive(&m, 100_ms), NetStatus::timeout);
  });
  h.run();
  EXPECT_EQ(connected_at, Time::zero() + 10_ms);  // one round trip
  EXPECT_EQ(echoed, 7);
}

TEST(Connection, StaysFifoUnderRandomLatency) {
  NetworkOptions network;
  network.latency = DurationDist::uniform(1_ms, 80_ms);
  network.jitter = 20_ms;
  NetHarness h(60_s, network);
  std::vector<int> got;
  NodeId server = h.world->add_server("server", [&](Context& ctx) {
    auto conn = ctx.net().accept(kPort);
    Message m;
    while (conn->receive(&m) == NetStatus::ok) got.push_back(seq_of(m));
  });
  h.world->add_client("client", [&](Context& ctx) {
    auto conn = ctx.net().connect(server, kPort, 1_s);
    ASSERT_TRUE(conn.has_value());
    for (int i = 0; i < 1000; ++i) {
      conn->send(Packet{i});
      if (i % 10 == 0) ctx.sleep_for(1_ms);
    }
    ctx.sleep_for(10_s);
  });
  h.run();
  ASSERT_EQ(got.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(got[static_cast<size_t>(i)], i);
}

TEST(Connection, TenMegabytesOverAOneMegabytePerSecondLinkTakeTenSeconds) {
  NetworkOptions network = constant_latency(1_ms);
  network.bandwidth = 1e6;
  NetHarness h(60_s, network);
  Time sent_at;
  Time last_at;
  int received = 0;
  NodeId server = h.world->add_server("server", [&](Context& ctx) {
    auto conn = ctx.net().accept(kPort);
    Message m;
    while (conn->receive(&m) == NetStatus::ok) {
      ++received;
      last_at = ctx.now();
    }
  });
  h.world->add_client("client", [&](Context& ctx) {
    auto conn = ctx.net().connect(server, kPort, 1_s);
    ASSERT_TRUE(conn.has_value());
    sent_at = ctx.now();
    for (int i = 0; i < 100; ++i) conn->send(Packet{i, 0, 100'000});
    ctx.sleep_for(30_s);
  });
  h.run();
  EXPECT_EQ(received, 100);
  EXPECT_NEAR((last_at - sent_at).to_seconds(), 10.0, 0.01);
}

TEST(Connection, ASlowLinkBuildsAQueueUnderLoad) {
  NetHarness h(60_s, constant_latency(10_ms));
  std::vector<Duration> lags;
  NodeId server = h.world->add_server("server", [&](Context& ctx) {
    auto conn = ctx.net().accept(kPort);
    Message m;
    while (conn->receive(&m) == NetStatus::ok) lags.push_back(ctx.now() - Time::from_ns(m.get_if<Packet>()->sent_ns));
  });
  NodeId client = h.world->add_client("client", [&](Context& ctx) {
    auto conn = ctx.net().connect(server, kPort, 1_s);
    ASSERT_TRUE(conn.has_value());
    // 100 bytes every 50 ms is 2000 B/s, twice what the link carries.
    for (int i = 0; i < 100; ++i) {
      conn->send(Packet{i, ctx.now().count_ns(), 100});
      ctx.sleep_for(50_ms);
    }
    ctx.sleep_for(20_s);
  });
  LinkOptions slow;
  slow.bandwidth = 1000;
  h.world->set_link(client, server, slow);
  h.run();
  ASSERT_EQ(lags.size(), 100u);
  EXPECT_EQ(lags.front(), 110_ms);  // 100 ms on the wire, 10 ms latency
  EXPECT_TRUE(std::is_sorted(lags.begin(), lags.end()));
  EXPECT_NEAR(lags.back().to_seconds(), 0.11 + 99 * 0.05, 0.001);  // each waits 50 ms more than the last
}

// A connection between a (server) and b (client); the nemesis breaks it at
// 1 s. Returns what each end saw.
struct BreakOutcome {
  NetStatus server_receive = NetStatus::ok;
  NetStatus client_send = NetStatus::ok;
  NetStatus client_receive = NetStatus::ok;
  int server_got = 0;
  bool server_unwound = false;
  StopReason stop = StopReason::none;
  NetHarness h{10_s, constant_latency(10_ms)};
};

struct Flag {
  bool* set;
  ~Flag() { *set = true; }
};

void break_connection(BreakOutcome& out, const std::function<void(World&, NodeId, NodeId)>& nemesis) {
  NodeId server = out.h.world->add_server("server", [&out](Context& ctx) {
    Flag flag{&out.server_unwound};
    auto conn = ctx.net().accept(kPort);
    Message m;
    NetStatus status;
    while ((status = conn->receive(&m)) == NetStatus::ok) ++out.server_got;
    out.server_receive = status;
  });
  NodeId client = out.h.world->add_client("client", [&out, server](Context& ctx) {
    auto conn = ctx.net().connect(server, kPort, 1_s);
    ASSERT_TRUE(conn.has_value());
    conn->send(Packet{1});
    ctx.sleep_for(1_s - ctx.now().since_start() - 5_ms);
    conn->send(Packet{2});  // in flight at the break: lost
    ctx.sleep_for(10_ms);
    out.client_send = conn->send(Packet{3});
    Message m;
    out.client_receive = conn->receive(&m);
    EXPECT_FALSE(conn->is_open());
  });
  out.h.world->add_client("nemesis", [&out, &nemesis, server, client](Context& ctx) {
    ctx.sleep_for(1_s);
    nemesis(*out.h.world, server, client);
  });
  out.stop = out.h.run();
}

TEST(ConnectionBreak, APartitionBreaksItAndBothEndsSeeBroken) {
  for (bool one_way : {false, true}) {
    BreakOutcome out;
    break_connection(out, [one_way](World& world, NodeId server, NodeId client) {
      world.partition({{server}, {client}}, one_way);  // one-way: only server -> client is cut
    });
    EXPECT_EQ(out.server_got, 1) << one_way;
    EXPECT_EQ(out.server_receive, NetStatus::broken) << one_way;
    EXPECT_EQ(out.client_send, NetStatus::broken) << one_way;
    EXPECT_EQ(out.client_receive, NetStatus::broken) << one_way;
    auto faults = out.h.trace.texts(TraceKind::fault);
    EXPECT_NE(std::find(faults.begin(), faults.end(), "connection #1 client<>server broken: partition"), faults.end());
  }
}

TEST(ConnectionBreak, ACrashBreaksItAndUnwindsAReceiveBlockedOnTheCrashedEnd) {
  BreakOutcome out;
  break_connection(out, [](World& world, NodeId server, NodeId) { world.crash(server); });
  EXPECT_TRUE(out.server_unwound);
  EXPECT_EQ(out.server_receive, NetStatus::ok);  // never returned: the fiber unwound
  EXPECT_EQ(out.client_send, NetStatus::broken);
  EXPECT_EQ(out.client_receive, NetStatus::broken);
  EXPECT_NE(out.stop, StopReason::model_crashed);
}

TEST(ConnectionBreak, CloseDeliversWhatWasSentThenBreaks) {
  NetHarness h(10_s, constant_latency(10_ms));
  std::vector<int> got;
  NetStatus end_status = NetStatus::ok;
  NetStatus closer_send = NetStatus::ok;
  NodeId server = h.world->add_server("server", [&](Context& ctx) {
    auto conn = ctx.net().accept(kPort);
    Message m;
    while ((end_status = conn->receive(&m)) == NetStatus::ok) got.push_back(seq_of(m));
  });
  h.world->add_client("client", [&](Context& ctx) {
    auto conn = ctx.net().connect(server, kPort, 1_s);
    for (int i = 0; i < 3; ++i) conn->send(Packet{i});
    conn->close();
    closer_send = conn->send(Packet{9});
  });
  h.run();
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(end_status, NetStatus::broken);
  EXPECT_EQ(closer_send, NetStatus::broken);
}

TEST(ConnectionBreak, ARestartLeavesOldHandlesBroken) {
  NetHarness h(10_s, constant_latency(10_ms));
  std::optional<Connection> old_handle;
  NetStatus old_send = NetStatus::ok;
  NetStatus old_receive = NetStatus::ok;
  bool old_open = true;
  NetStatus client_status = NetStatus::ok;
  NodeId server = h.world->add_server("server", [&](Context& ctx) {
    if (ctx.incarnation() == 0) {
      old_handle = ctx.net().accept(kPort);
      ctx.sleep_for(100_s);
      return;
    }
    old_open = old_handle->is_open();
    old_send = old_handle->send(Packet{1});
    Message m;
    old_receive = old_handle->receive(&m, 1_s);
  });
  h.world->add_client("client", [&](Context& ctx) {
    auto conn = ctx.net().connect(server, kPort, 1_s);
    ASSERT_TRUE(conn.has_value());
    conn->send(Packet{5});  // arrives, unread, before the crash
    ctx.sleep_for(1_s);
    h.world->crash(server);
    h.world->restart(server);
    Message m;
    client_status = conn->receive(&m, 1_s);
  });
  h.run();
  EXPECT_FALSE(old_open);
  EXPECT_EQ(old_send, NetStatus::broken);
  EXPECT_EQ(old_receive, NetStatus::broken);  // the unread message died with the crash
  EXPECT_EQ(client_status, NetStatus::broken);
}

TEST(Connect, ToADownNodeTimesOut) {
  NetHarness h(10_s, constant_latency(10_ms));
  NetStatus status = NetStatus::ok;
  Time returned_at;
  NodeId server = h.world->add_server("server", [](Context& ctx) { ctx.net().accept(kPort); });
  h.world->add_client("client", [&](Context& ctx) {
    h.world->crash(server);
    auto conn = ctx.net().connect(server, kPort, 500_ms, &status);
    EXPECT_FALSE(conn.has_value());
    returned_at = ctx.now();
  });
  h.run();
  EXPECT_EQ(status, NetStatus::timeout);
  EXPECT_EQ(returned_at, Time::zero() + 500_ms);
}

TEST(Connect, IsRefusedOnAPortNeverAcceptedOnAndTimesOutWhenNobodyAccepts) {
  NetHarness h(10_s, constant_latency(10_ms));
  NetStatus refused = NetStatus::ok;
  NetStatus unanswered = NetStatus::ok;
  Time refused_at;
  NodeId server = h.world->add_server("server", [](Context& ctx) {
    ctx.net().accept(kPort, 1_ms);  // listens on kPort, then never accepts again
    ctx.sleep_for(100_s);
  });
  h.world->add_client("client", [&](Context& ctx) {
    ctx.sleep_for(10_ms);
    EXPECT_FALSE(ctx.net().connect(server, kPort + 1, 1_s, &refused).has_value());
    refused_at = ctx.now();
    EXPECT_FALSE(ctx.net().connect(server, kPort, 200_ms, &unanswered).has_value());
  });
  h.run();
  EXPECT_EQ(refused, NetStatus::refused);
  EXPECT_EQ(refused_at, Time::zero() + 30_ms);
  EXPECT_EQ(unanswered, NetStatus::timeout);
}

// A fiber blocked in connect, accept or receive is unwound by its node's crash.
bool crash_unwinds(const std::function<void(Context&, NodeId)>& block) {
  NetHarness h(10_s, constant_latency(10_ms));
  bool unwound = false;
  NodeId peer = h.world->add_server("peer", [](Context& ctx) {
    auto conn = ctx.net().accept(kPort);
    ctx.sleep_for(100_s);
  });
  NodeId victim = h.world->add_server("victim", [&](Context& ctx) {
    Flag flag{&unwound};
    block(ctx, peer);
  });
  h.world->add_client("nemesis", [&](Context& ctx) {
    ctx.sleep_for(1_s);
    h.world->crash(victim);
  });
  return h.run() != StopReason::model_crashed && unwound;
}

TEST(Connect, CrashUnwindsFibersBlockedInConnectAcceptAndReceive) {
  EXPECT_TRUE(crash_unwinds([](Context& ctx, NodeId) { ctx.net().accept(kPort); }));
  EXPECT_TRUE(crash_unwinds([](Context& ctx, NodeId peer) {
    ctx.sleep_for(10_ms);
    ctx.net().connect(peer, kPort + 1, 10_s);  // refused...
    ctx.net().connect(peer, kPort, 10_s);      // ...then connected
    ctx.net().connect(peer, kPort, 10_s);      // nobody accepts again: blocks
  }));
  EXPECT_TRUE(crash_unwinds([](Context& ctx, NodeId peer) {
    auto conn = ctx.net().connect(peer, kPort, 10_s);
    Message m;
    conn->receive(&m);
  }));
}

uint64_t connection_run_fingerprint(uint64_t seed) {
  NetworkOptions network;
  network.latency = DurationDist::uniform(1_ms, 30_ms);
  network.bandwidth = 50'000;
  NetHarness h(20_s, network, seed);
  NodeId server = h.world->add_server("server", [](Context& ctx) {
    while (auto conn = ctx.net().accept(kPort)) {
      ctx.spawn("echo", [conn]() mutable {
        Message m;
        while (conn->receive(&m) == NetStatus::ok) conn->send(m);
      });
    }
  });
  NodeId client = h.world->add_client("client", [&](Context& ctx) {
    while (true) {
      auto conn = ctx.net().connect(server, kPort, 500_ms);
      if (!conn) continue;
      for (int i = 0;; ++i) {
        const auto bytes = static_cast<size_t>(ctx.rng().uniform_int(10, 2000));
        if (conn->send(Packet{i, 0, bytes}) != NetStatus::ok) break;
        Message m;
        if (conn->receive(&m, 200_ms) == NetStatus::broken) break;
      }
      ctx.sleep_for(100_ms);
    }
  });
  h.world->add_client("nemesis", [&](Context& ctx) {
    ctx.sleep_for(3_s);
    h.world->partition({{server}, {client}});
    ctx.sleep_for(1_s);
    h.world->heal_network();
    h.world->clog(server, client, 300_ms, 2_s);
    ctx.sleep_for(4_s);
    h.world->crash(server);
    ctx.sleep_for(1_s);
    h.world->restart(server);
  });
  h.run();
  // The partition and the crash each broke a connection, and it was reopened.
  size_t breaks = 0;
  for (const std::string& text : h.trace.texts(TraceKind::fault)) breaks += text.find("broken") != std::string::npos;
  size_t opens = 0;
  for (const std::string& text : h.trace.texts(TraceKind::log)) opens += text.ends_with(" open");
  EXPECT_GE(breaks, 2u);
  EXPECT_GE(opens, 3u);
  return h.engine->fingerprint();
}

TEST(Connection, RunsWithBreaksRepeatBySeed) {
  EXPECT_EQ(connection_run_fingerprint(11), connection_run_fingerprint(11));
  EXPECT_NE(connection_run_fingerprint(11), connection_run_fingerprint(12));
}

}  // namespace
}  // namespace detsim
