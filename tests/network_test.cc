// The simulated network's faults, each shown by its effect: partitions
// (symmetric, one-way, bridged), clogs, per-link overrides and their text
// form, jitter, reordering and late replay, and that faulty runs repeat
// by seed.
#include <algorithm>
#include <functional>
#include <set>
#include <utility>

#include "tests/network_harness.h"

namespace detsim {
namespace {

using namespace time_literals;
using testing::constant_latency;
using testing::NetHarness;
using testing::Packet;

struct Arrival {
  NodeId from;
  NodeId to;
  int seq = 0;
  Time at;
};

// Servers that record every datagram they get, and a driver that runs a script.
struct DatagramWorld {
  explicit DatagramWorld(int servers, NetworkOptions network = constant_latency(5_ms), uint64_t seed = 3,
                         Time heal_at = Time::max())
      : h(60_s, network, seed, heal_at) {
    for (int i = 0; i < servers; ++i) {
      h.world->add_server(fmt::format("s{}", i), [this](Context& ctx) {
        while (auto envelope = ctx.net().receive()) {
          arrivals.push_back({envelope->from, ctx.self(), envelope->message.get_if<Packet>()->seq, ctx.now()});
        }
      });
      this->servers.push_back(NodeId(static_cast<uint32_t>(i)));
    }
  }
  StopReason run(std::function<void(Context&)> script) {
    h.world->add_client("driver", [script](Context& ctx) { script(ctx); });
    return h.run();
  }
  void send(NodeId from, NodeId to, int seq) { h.world->send(from, to, Packet{seq}); }
  void send_all_pairs(int seq) {
    for (NodeId a : servers) {
      for (NodeId b : servers) {
        if (a != b) send(a, b, seq);
      }
    }
  }
  // Which (from, to) pairs got the datagram numbered seq.
  std::set<std::pair<uint32_t, uint32_t>> pairs(int seq) const {
    std::set<std::pair<uint32_t, uint32_t>> out;
    for (const Arrival& a : arrivals) {
      if (a.seq == seq) out.insert({a.from.index(), a.to.index()});
    }
    return out;
  }
  std::set<std::pair<uint32_t, uint32_t>> all_pairs() const {
    std::set<std::pair<uint32_t, uint32_t>> out;
    for (NodeId a : servers) {
      for (NodeId b : servers) {
        if (a != b) out.insert({a.index(), b.index()});
      }
    }
    return out;
  }
  std::optional<Time> arrival_time(int seq) const {
    for (const Arrival& a : arrivals) {
      if (a.seq == seq) return a.at;
    }
    return std::nullopt;
  }
  size_t drops(const std::string& reason) const {
    size_t n = 0;
    for (const TraceEvent& e : h.trace.events) n += e.kind == TraceKind::drop && e.text == reason;
    return n;
  }
  bool has_fault(const std::string& text) const {
    auto faults = h.trace.texts(TraceKind::fault);
    return std::find(faults.begin(), faults.end(), text) != faults.end();
  }

  NetHarness h;
  std::vector<NodeId> servers;
  std::vector<Arrival> arrivals;
};

using Pairs = std::set<std::pair<uint32_t, uint32_t>>;
const NodeId n0(0), n1(1), n2(2), n3(3);

TEST(Partition, SymmetricCutsBothWaysBetweenGroupsAndHealRestores) {
  DatagramWorld w(4);
  w.run([&](Context& ctx) {
    w.h.world->partition({{n0, n1}, {n2, n3}});
    w.send_all_pairs(1);
    ctx.sleep_for(1_s);
    w.h.world->heal_network();
    w.send_all_pairs(2);
    ctx.sleep_for(1_s);
  });
  EXPECT_EQ(w.pairs(1), (Pairs{{0, 1}, {1, 0}, {2, 3}, {3, 2}}));
  EXPECT_EQ(w.pairs(2), w.all_pairs());
  EXPECT_EQ(w.drops("partition"), 8u);
  EXPECT_TRUE(w.has_fault("partition s0,s1 | s2,s3"));
  EXPECT_TRUE(w.has_fault("heal network"));
}

TEST(Partition, OneWayCutsOnlyFromTheFirstGroup) {
  DatagramWorld w(3);
  w.run([&](Context& ctx) {
    w.h.world->partition({{n0}, {n1, n2}}, /*one_way=*/true);
    w.send_all_pairs(1);
    ctx.sleep_for(1_s);
  });
  EXPECT_EQ(w.pairs(1), (Pairs{{1, 0}, {2, 0}, {1, 2}, {2, 1}}));
  EXPECT_TRUE(w.has_fault("one-way s0 > s1,s2"));
}

TEST(Partition, AnUnlistedNodeBridgesBothSides) {
  DatagramWorld w(3);
  w.run([&](Context& ctx) {
    w.h.world->partition({{n0}, {n1}});
    w.send_all_pairs(1);
    ctx.sleep_for(1_s);
  });
  EXPECT_EQ(w.pairs(1), (Pairs{{0, 2}, {2, 0}, {1, 2}, {2, 1}}));
}

TEST(Partition, PartitionsAccumulateUntilHealed) {
  DatagramWorld w(3);
  w.run([&](Context& ctx) {
    w.h.world->partition({{n0}, {n1}});
    w.h.world->partition({{n1}, {n2}});
    w.send_all_pairs(1);
    ctx.sleep_for(1_s);
    w.h.world->heal_network();
    w.send_all_pairs(2);
    ctx.sleep_for(1_s);
  });
  EXPECT_EQ(w.pairs(1), (Pairs{{0, 2}, {2, 0}}));
  EXPECT_EQ(w.pairs(2), w.all_pairs());
}

// Chosen semantics: the cut is checked at send and again at arrival.
TEST(Partition, ADatagramInFlightWhenItsLinkIsCutIsDropped) {
  DatagramWorld w(2, constant_latency(10_ms));
  w.run([&](Context& ctx) {
    w.send(n0, n1, 1);
    w.send(n1, n0, 2);
    ctx.sleep_for(5_ms);
    w.h.world->partition({{n0}, {n1}}, /*one_way=*/true);
    ctx.sleep_for(1_s);
  });
  EXPECT_FALSE(w.arrival_time(1).has_value());
  EXPECT_EQ(w.arrival_time(2), Time::zero() + 10_ms);
  EXPECT_EQ(w.drops("partition"), 1u);
}

TEST(Partition, TheEndOfTheFaultWindowHealsTheNetwork) {
  DatagramWorld w(2, constant_latency(5_ms), 3, Time::zero() + 1_s);
  w.run([&](Context& ctx) {
    w.h.world->partition({{n0}, {n1}});
    w.h.world->clog(n1, n0, 1_s, 10_s);
    w.send(n0, n1, 1);
    ctx.sleep_for(2_s);
    w.send(n0, n1, 2);
    w.send(n1, n0, 3);
    ctx.sleep_for(1_s);
  });
  EXPECT_FALSE(w.arrival_time(1).has_value());
  EXPECT_EQ(w.arrival_time(2), Time::zero() + 2_s + 5_ms);
  EXPECT_EQ(w.arrival_time(3), Time::zero() + 2_s + 5_ms);
  EXPECT_TRUE(w.has_fault("heal network"));
}

TEST(Clog, AddsItsDelayOnItsLinkForItsLengthOnly) {
  DatagramWorld w(2);
  w.run([&](Context& ctx) {
    w.h.world->clog(n0, n1, 300_ms, 2_s);
    w.send(n0, n1, 1);
    w.send(n1, n0, 2);
    ctx.sleep_for(1_s);
    w.send(n0, n1, 3);
    ctx.sleep_for(1500_ms);
    w.send(n0, n1, 4);
    ctx.sleep_for(1_s);
  });
  EXPECT_EQ(w.arrival_time(1), Time::zero() + 305_ms);
  EXPECT_EQ(w.arrival_time(2), Time::zero() + 5_ms);
  EXPECT_EQ(w.arrival_time(3), Time::zero() + 1_s + 305_ms);
  EXPECT_EQ(w.arrival_time(4), Time::zero() + 2500_ms + 5_ms);
  EXPECT_TRUE(w.has_fault("clog s0>s1 +300ms for 2s"));
}

TEST(Links, AnOverrideAppliesToThatDirectionOnly) {
  DatagramWorld w(3);
  LinkOptions slow;
  slow.latency = DurationDist::constant(50_ms);
  LinkOptions lossy;
  lossy.loss = 1.0;
  w.h.world->set_link(n0, n1, slow);
  w.h.world->set_link(n0, n2, lossy);
  w.run([&](Context& ctx) {
    w.send(n0, n1, 1);
    w.send(n1, n0, 2);
    w.send(n0, n2, 3);
    w.send(n2, n0, 4);
    w.send(n1, n2, 5);
    ctx.sleep_for(1_s);
  });
  EXPECT_EQ(w.arrival_time(1), Time::zero() + 50_ms);
  EXPECT_EQ(w.arrival_time(2), Time::zero() + 5_ms);
  EXPECT_FALSE(w.arrival_time(3).has_value());
  EXPECT_EQ(w.arrival_time(4), Time::zero() + 5_ms);
  EXPECT_EQ(w.arrival_time(5), Time::zero() + 5_ms);
}

// A WAN link of 1 MB/s: a burst of 10 kB datagrams leaves one after
// another, 10 ms each, then takes the latency; the other direction and a
// link without a bandwidth deliver the same burst at once.
TEST(Links, ABandwidthSpreadsADatagramBurstBySizeOverBandwidth) {
  DatagramWorld w(3);
  w.h.world->set_link_bandwidth(n0, n1, 1e6);
  w.run([&](Context& ctx) {
    for (int seq = 1; seq <= 4; ++seq) w.h.world->send(n0, n1, Packet{seq, 0, 10'000});
    for (int seq = 11; seq <= 14; ++seq) w.h.world->send(n1, n0, Packet{seq, 0, 10'000});
    for (int seq = 21; seq <= 24; ++seq) w.h.world->send(n0, n2, Packet{seq, 0, 10'000});
    ctx.sleep_for(1_s);
    // The link has been idle: a new datagram does not queue behind the burst.
    w.h.world->send(n0, n1, Packet{5, 0, 10'000});
    ctx.sleep_for(1_s);
  });
  for (int seq = 1; seq <= 4; ++seq) EXPECT_EQ(w.arrival_time(seq), Time::zero() + 10_ms * seq + 5_ms) << seq;
  EXPECT_EQ(w.arrival_time(5), Time::zero() + 1_s + 15_ms);
  for (int seq = 11; seq <= 14; ++seq) EXPECT_EQ(w.arrival_time(seq), Time::zero() + 5_ms) << seq;
  for (int seq = 21; seq <= 24; ++seq) EXPECT_EQ(w.arrival_time(seq), Time::zero() + 5_ms) << seq;
}

// Loss still applies on a link with a bandwidth.
TEST(Links, ABandwidthLimitedLinkStillLoses) {
  DatagramWorld w(2);
  w.h.world->set_link_bandwidth(n0, n1, 1e6);
  LinkOptions lossy;
  lossy.loss = 1.0;
  w.h.world->set_link(n0, n1, lossy);
  w.run([&](Context& ctx) {
    w.h.world->send(n0, n1, Packet{1, 0, 10'000});
    ctx.sleep_for(1_s);
  });
  EXPECT_FALSE(w.arrival_time(1).has_value());
}

TEST(Links, TextOverridesApplyBothWaysAndToWildcards) {
  DatagramWorld w(3);
  std::string error;
  auto overrides = parse_link_overrides("n0<>n1 latency=const(40ms); *>n2 loss=1", &error);
  ASSERT_TRUE(overrides.has_value()) << error;
  w.h.world->apply_link_overrides(*overrides);
  w.run([&](Context& ctx) {
    w.send(n0, n1, 1);
    w.send(n1, n0, 2);
    w.send(n0, n2, 3);
    w.send(n1, n2, 4);
    w.send(n2, n0, 5);
    ctx.sleep_for(1_s);
  });
  EXPECT_EQ(w.arrival_time(1), Time::zero() + 40_ms);
  EXPECT_EQ(w.arrival_time(2), Time::zero() + 40_ms);
  EXPECT_FALSE(w.arrival_time(3).has_value());
  EXPECT_FALSE(w.arrival_time(4).has_value());
  EXPECT_EQ(w.arrival_time(5), Time::zero() + 5_ms);
}

TEST(LinkText, AcceptsGoodText) {
  std::string error;
  auto links = parse_link_overrides(
      " n0>n1 latency=const(50ms) loss=0.1; n2<>n3 bandwidth=1000000 ; *>n4 latency=uniform(1ms, 10ms);", &error);
  ASSERT_TRUE(links.has_value()) << error;
  ASSERT_EQ(links->size(), 3u);
  const LinkOverride& first = (*links)[0];
  EXPECT_EQ(first.from, n0);
  EXPECT_EQ(first.to, n1);
  EXPECT_FALSE(first.both_directions);
  EXPECT_EQ(first.options.latency->mean(), 50_ms);
  EXPECT_DOUBLE_EQ(*first.options.loss, 0.1);
  EXPECT_FALSE(first.options.bandwidth.has_value());
  EXPECT_TRUE((*links)[1].both_directions);
  EXPECT_DOUBLE_EQ(*(*links)[1].options.bandwidth, 1e6);
  EXPECT_FALSE((*links)[2].from.valid());
  EXPECT_EQ((*links)[2].options.latency->kind(), DurationDist::Kind::uniform);
  EXPECT_EQ(format_link_override(first), "n0>n1 latency=50ms loss=0.1");
  EXPECT_TRUE(parse_link_overrides("", &error).value().empty());
}

TEST(LinkText, RejectsBadTextWithOneClearLine) {
  auto error_of = [](std::string_view text) {
    std::string error;
    EXPECT_FALSE(parse_link_overrides(text, &error).has_value()) << text;
    EXPECT_EQ(error.find('\n'), std::string::npos);
    return error;
  };
  EXPECT_EQ(error_of("n0>n1 loss=0.1; n1>n2 colour=red"),
            "link override 2 ('n1>n2 colour=red'): unknown key 'colour' (expected latency, loss or bandwidth)");
  EXPECT_NE(error_of("n0-n1 loss=0.1").find("expected '>' or '<>'"), std::string::npos);
  EXPECT_NE(error_of("n0>n1 loss=2").find("loss '2': expected a probability in [0, 1]"), std::string::npos);
  EXPECT_NE(error_of("n0>n1 bandwidth=-5").find("bandwidth '-5'"), std::string::npos);
  EXPECT_NE(error_of("n0>n1 latency=fast").find("latency 'fast'"), std::string::npos);
  EXPECT_NE(error_of("n0>n1").find("no settings"), std::string::npos);
  EXPECT_NE(error_of("x>n1 loss=0").find("expected a node"), std::string::npos);
  EXPECT_NE(error_of("n0>n1 loss").find("expected key=value"), std::string::npos);
}

TEST(Datagrams, JitterSpreadsArrivalsWithinItsBound) {
  NetworkOptions network = constant_latency(10_ms);
  network.jitter = 5_ms;
  DatagramWorld w(2, network);
  w.run([&](Context& ctx) {
    for (int i = 0; i < 200; ++i) w.send(n0, n1, i);
    ctx.sleep_for(1_s);
  });
  ASSERT_EQ(w.arrivals.size(), 200u);
  std::set<Time> distinct;
  for (const Arrival& a : w.arrivals) {
    EXPECT_GE(a.at, Time::zero() + 10_ms);
    EXPECT_LE(a.at, Time::zero() + 15_ms);
    distinct.insert(a.at);
  }
  EXPECT_GT(distinct.size(), 100u);
}

std::vector<int> arrival_order(double reorder) {
  NetworkOptions network = constant_latency(10_ms);
  network.reorder = reorder;
  DatagramWorld w(2, network);
  w.run([&](Context& ctx) {
    for (int i = 0; i < 100; ++i) {
      w.send(n0, n1, i);
      ctx.sleep_for(1_ms);
    }
    ctx.sleep_for(1_s);
  });
  std::vector<int> order;
  for (const Arrival& a : w.arrivals) order.push_back(a.seq);
  return order;
}

TEST(Datagrams, ReorderLetsLaterDatagramsOvertake) {
  std::vector<int> in_order = arrival_order(0);
  EXPECT_TRUE(std::is_sorted(in_order.begin(), in_order.end()));
  std::vector<int> reordered = arrival_order(1);
  ASSERT_EQ(reordered.size(), 100u);  // held back, never lost
  EXPECT_FALSE(std::is_sorted(reordered.begin(), reordered.end()));
}

// A replayed datagram comes again replay_delay after its first copy, late
// enough to reach a restarted receiver; replay 0 draws nothing extra.
TEST(Datagrams, ReplayDeliversASecondCopyMuchLater) {
  NetworkOptions network = constant_latency(10_ms);
  network.replay = 1;
  network.replay_delay = DurationDist::uniform(1_s, 2_s);
  DatagramWorld w(2, network);
  w.run([&](Context& ctx) {
    for (int i = 0; i < 20; ++i) w.send(n0, n1, i);
    ctx.sleep_for(100_ms);
    w.h.world->crash(n1);
    ctx.sleep_for(100_ms);
    w.h.world->restart(n1);
    ctx.sleep_for(5_s);
  });
  ASSERT_EQ(w.arrivals.size(), 40u);
  for (size_t i = 0; i < 20; ++i) EXPECT_EQ(w.arrivals[i].at, Time::zero() + 10_ms);
  for (size_t i = 20; i < 40; ++i) {
    EXPECT_GE(w.arrivals[i].at, Time::zero() + 1010_ms);
    EXPECT_LE(w.arrivals[i].at, Time::zero() + 2010_ms);
  }
}

uint64_t faulty_run_fingerprint(uint64_t seed) {
  NetworkOptions network;
  network.jitter = 3_ms;
  network.reorder = 0.3;
  network.loss = 0.1;
  network.duplicate = 0.1;
  DatagramWorld w(4, network, seed);
  LinkOptions slow;
  slow.latency = DurationDist::uniform(20_ms, 80_ms);
  w.h.world->set_link(n2, n3, slow);
  w.run([&](Context& ctx) {
    for (int round = 0; round < 20; ++round) {
      if (round == 5) w.h.world->partition({{n0}, {n1, n2}}, round % 2 == 0);
      if (round == 8) w.h.world->clog(n1, n3, 200_ms, 300_ms);
      if (round == 12) w.h.world->heal_network();
      w.send_all_pairs(round);
      ctx.sleep_for(50_ms);
    }
    ctx.sleep_for(1_s);
  });
  return w.h.engine->fingerprint();
}

TEST(Datagrams, FaultyRunsRepeatBySeed) {
  EXPECT_EQ(faulty_run_fingerprint(5), faulty_run_fingerprint(5));
  EXPECT_NE(faulty_run_fingerprint(5), faulty_run_fingerprint(6));
}

}  // namespace
}  // namespace detsim
