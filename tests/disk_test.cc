// The simulated disk: durability at fsync, what a crash does to unsynced
// operations, the queue's timing, and each disk fault with its effect.
#include "sim/world/disk.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "sim/core/engine.h"

namespace detsim {
namespace {

using namespace time_literals;

constexpr uint64_t kSector = 4096;

DiskOptions quiet_options() {
  DiskOptions options;
  options.latency = DurationDist::constant(100_us);
  options.fsync_latency = DurationDist::constant(1_ms);
  return options;
}

EngineOptions engine_options(uint64_t seed, Duration limit = 1000_s) {
  EngineOptions options;
  options.seed = seed;
  options.time_limit = Time::zero() + limit;
  return options;
}

// One engine run. The driver fiber plays both the node and the nemesis: it
// calls the farm's fault entry points between its own operations.
struct DiskHarness {
  explicit DiskHarness(DiskOptions options = quiet_options(), uint64_t seed = 11)
      : engine(engine_options(seed)), farm(engine, Rng(seed).fork("disk"), std::move(options)) {
    farm.set_trace([this](NodeId node, std::string text) { traces.push_back(fmt::format("{} {}", node, text)); });
  }
  void run(std::function<void(SimDisk&)> body, uint32_t node = 0) {
    GroupId group = engine.create_group(node);
    engine.spawn(group, "driver", [this, node, body] { body(farm.disk(NodeId(node))); });
    EXPECT_EQ(engine.run(), StopReason::quiescent);
  }
  bool traced(std::string_view needle) const {
    for (const std::string& line : traces) {
      if (line.find(needle) != std::string::npos) return true;
    }
    return false;
  }
  Engine engine;
  DiskFarm farm;
  std::vector<std::string> traces;
};

std::string sectors_of(char fill, uint64_t count) { return std::string(count * kSector, fill); }

void write_synced(SimDisk& disk, std::string_view path, std::string_view data) {
  ASSERT_EQ(disk.open(path, true), IoStatus::ok);
  ASSERT_EQ(disk.write(path, 0, data), IoStatus::ok);
  ASSERT_EQ(disk.fsync(path), IoStatus::ok);
}

TEST(Disk, UnsyncedWritesAreLostAtACrashAndSyncedOnesSurvive) {
  DiskHarness h;
  h.run([&](SimDisk& disk) {
    write_synced(disk, "a", "synced");
    ASSERT_EQ(disk.write("a", 0, "XX"), IoStatus::ok);
    ASSERT_EQ(disk.append("a", "tail"), IoStatus::ok);
    ASSERT_EQ(disk.open("b", true), IoStatus::ok);
    ASSERT_EQ(disk.write("b", 0, "b"), IoStatus::ok);
    std::string got;
    ASSERT_EQ(disk.read("a", 0, 100, &got), IoStatus::ok);
    EXPECT_EQ(got,
              "XXnced"
              "tail");  // reads see the page cache
    EXPECT_EQ(disk.unsynced_ops(), 3u);
    h.farm.crash(NodeId(0));
    ASSERT_EQ(disk.read("a", 0, 100, &got), IoStatus::ok);
    EXPECT_EQ(got, "synced");
    EXPECT_EQ(disk.size("b"), 0u);  // created durably, written volatilely
    EXPECT_EQ(disk.unsynced_ops(), 0u);
    EXPECT_EQ(disk.cached_bytes(), 6u);
  });
  EXPECT_TRUE(h.traced("n0 disk: crash lost 3 unsynced ops, persisted 0 out of order, tore 0"));
}

TEST(Disk, ReadsAreShortAtTheEndAndMissingFilesAreNotFound) {
  DiskHarness h;
  h.run([&](SimDisk& disk) {
    std::string got = "junk";
    EXPECT_EQ(disk.open("f", false), IoStatus::not_found);
    EXPECT_EQ(disk.read("f", 0, 1, &got), IoStatus::not_found);
    EXPECT_EQ(disk.write("f", 0, "x"), IoStatus::not_found);
    EXPECT_EQ(disk.fsync("f"), IoStatus::not_found);
    EXPECT_EQ(disk.size("f"), std::nullopt);
    write_synced(disk, "f", "abc");
    ASSERT_EQ(disk.read("f", 1, 10, &got), IoStatus::ok);
    EXPECT_EQ(got, "bc");
    ASSERT_EQ(disk.read("f", 10, 10, &got), IoStatus::ok);
    EXPECT_EQ(got, "");
    ASSERT_EQ(disk.write("f", 5, "z"), IoStatus::ok);  // the gap reads as zeros
    EXPECT_EQ(disk.cached_content("f"), std::string("abc\0\0z", 6));
    EXPECT_STREQ(to_string(IoStatus::no_space), "no_space");
  });
}

TEST(Disk, TornWriteLeavesAMixOfOldAndNewSectors) {
  std::vector<std::string> patterns;
  for (uint64_t seed : {1, 2, 3, 1}) {
    DiskOptions options = quiet_options();
    options.tear = 1;
    DiskHarness h(options, seed);
    std::string pattern;
    h.run([&](SimDisk& disk) {
      write_synced(disk, "wal", sectors_of('o', 8));
      ASSERT_EQ(disk.write("wal", 0, sectors_of('n', 8)), IoStatus::ok);
      h.farm.crash(NodeId(0));
      std::string durable = *disk.durable_content("wal");
      ASSERT_EQ(durable.size(), 8 * kSector);
      for (uint64_t s = 0; s < 8; ++s) {
        std::string sector = durable.substr(s * kSector, kSector);
        // Sectors are atomic: each is wholly old or wholly new.
        ASSERT_TRUE(sector == std::string(kSector, 'o') || sector == std::string(kSector, 'n'));
        pattern += sector[0];
      }
    });
    EXPECT_NE(pattern.find('o'), std::string::npos) << pattern;
    EXPECT_NE(pattern.find('n'), std::string::npos) << pattern;
    EXPECT_TRUE(h.traced("tore 1 (wal sectors ")) << h.traces.back();
    patterns.push_back(pattern);
  }
  EXPECT_EQ(patterns[0], patterns[3]);  // same seed, same tear
  EXPECT_TRUE(patterns[0] != patterns[1] || patterns[0] != patterns[2]);
}

// The rule: each unsynced operation persists with probability `reorder`,
// independently of the others, so a later write can survive an earlier one
// that is lost.
TEST(Disk, ReorderPersistsEachUnsyncedOperationIndependently) {
  auto outcome = [](double reorder, uint64_t seed) {
    DiskOptions options = quiet_options();
    options.reorder = reorder;
    DiskHarness h(options, seed);
    std::string result;
    h.run([&](SimDisk& disk) {
      write_synced(disk, "f", sectors_of('o', 2));
      ASSERT_EQ(disk.write("f", 0, "first"), IoStatus::ok);
      ASSERT_EQ(disk.write("f", kSector, "second"), IoStatus::ok);
      h.farm.crash(NodeId(0));
      std::string durable = *disk.durable_content("f");
      result += durable.starts_with("first") ? 'F' : '-';
      result += durable.substr(kSector).starts_with("second") ? 'S' : '-';
    });
    return result;
  };
  EXPECT_EQ(outcome(1, 5), "FS");
  EXPECT_EQ(outcome(0, 5), "--");
  std::set<std::string> seen;
  for (uint64_t seed = 1; seed <= 64; ++seed) seen.insert(outcome(0.5, seed));
  EXPECT_TRUE(seen.contains("-S")) << "a later write never persisted alone";
  EXPECT_EQ(seen, (std::set<std::string>{"--", "-S", "F-", "FS"}));
}

TEST(Disk, MetadataIsDurableAtOnceAndPendingWritesFollowARename) {
  DiskHarness h;
  h.run([&](SimDisk& disk) {
    write_synced(disk, "data", "old");
    write_synced(disk, "gone", "x");
    ASSERT_EQ(disk.open("tmp", true), IoStatus::ok);
    ASSERT_EQ(disk.write("tmp", 0, "new"), IoStatus::ok);
    ASSERT_EQ(disk.rename("tmp", "data"), IoStatus::ok);
    ASSERT_EQ(disk.remove("gone"), IoStatus::ok);
    EXPECT_EQ(disk.cached_content("data"), "new");
    EXPECT_EQ(disk.unsynced_ops(), 1u);  // the write moved with its file
    h.farm.crash(NodeId(0));
    EXPECT_EQ(disk.list(), (std::vector<std::string>{"data"}));
    EXPECT_EQ(disk.durable_content("data"), "");  // tmp's durable bytes, old "data" replaced

    ASSERT_EQ(disk.open("tmp", true), IoStatus::ok);
    ASSERT_EQ(disk.write("tmp", 0, "new"), IoStatus::ok);
    ASSERT_EQ(disk.rename("tmp", "data"), IoStatus::ok);
    ASSERT_EQ(disk.fsync("data"), IoStatus::ok);
    h.farm.crash(NodeId(0));
    EXPECT_EQ(disk.durable_content("data"), "new");
    EXPECT_EQ(disk.rename("tmp", "x"), IoStatus::not_found);
    ASSERT_EQ(disk.open("log.1", true), IoStatus::ok);
    EXPECT_EQ(disk.list("log"), (std::vector<std::string>{"log.1"}));
  });
}

TEST(Disk, CapacityAndFullDiskGiveNoSpaceAndChangeNothing) {
  DiskOptions options = quiet_options();
  options.capacity = 10'000;
  DiskHarness h(options);
  h.run([&](SimDisk& disk) {
    ASSERT_EQ(disk.open("f", true), IoStatus::ok);
    ASSERT_EQ(disk.write("f", 0, std::string(8'000, 'a')), IoStatus::ok);
    EXPECT_EQ(disk.append("f", std::string(3'000, 'b')), IoStatus::no_space);
    EXPECT_EQ(disk.truncate("f", 20'000), IoStatus::no_space);
    EXPECT_EQ(disk.cached_content("f"), std::string(8'000, 'a'));
    EXPECT_EQ(disk.unsynced_ops(), 1u);
    EXPECT_EQ(disk.write("f", 0, "cc"), IoStatus::ok);  // overwriting does not grow
    EXPECT_EQ(disk.append("f", std::string(2'000, 'b')), IoStatus::ok);
    EXPECT_EQ(disk.cached_bytes(), 10'000u);

    ASSERT_EQ(disk.truncate("f", 5'000), IoStatus::ok);
    h.farm.set_full_until(NodeId(0), h.engine.now() + 1_s);
    EXPECT_EQ(disk.append("f", "x"), IoStatus::no_space);
    EXPECT_EQ(disk.write("f", 4'999, "yz"), IoStatus::no_space);
    EXPECT_EQ(disk.write("f", 0, "ok"), IoStatus::ok);
    EXPECT_EQ(disk.size("f"), 5'000u);
    h.engine.sleep_until(h.engine.now() + 1_s);
    EXPECT_EQ(disk.append("f", "x"), IoStatus::ok);
  });
  EXPECT_TRUE(h.traced("disk: full until 1.00"));
}

TEST(Disk, CorruptionChangesExactlyOneDurableSector) {
  DiskHarness h;
  h.run([&](SimDisk& disk) {
    EXPECT_FALSE(h.farm.corrupt(NodeId(0), 0));  // nothing durable yet
    const std::string original = sectors_of('a', 4);
    write_synced(disk, "f", original);
    ASSERT_TRUE(h.farm.corrupt(NodeId(0), 6));  // 6 mod 4 sectors: sector 2
    std::string durable = *disk.durable_content("f");
    for (uint64_t s = 0; s < 4; ++s) {
      EXPECT_EQ(durable.compare(s * kSector, kSector, original, s * kSector, kSector) != 0, s == 2) << s;
    }
    EXPECT_EQ(disk.cached_content("f"), durable);  // reads see it too
    EXPECT_FALSE(disk.sector_intact("f", 2));

    // An unsynced newer version of the sector stays in the cache; syncing a
    // full rewrite of it heals the platter.
    ASSERT_EQ(disk.write("f", kSector, sectors_of('n', 1)), IoStatus::ok);
    ASSERT_TRUE(h.farm.corrupt(NodeId(0), 1));
    EXPECT_EQ(disk.cached_content("f")->substr(kSector, kSector), sectors_of('n', 1));
    EXPECT_NE(disk.durable_content("f")->substr(kSector, kSector), sectors_of('a', 1));
    ASSERT_EQ(disk.fsync("f"), IoStatus::ok);
    EXPECT_TRUE(disk.sector_intact("f", 1));
    EXPECT_FALSE(disk.sector_intact("f", 2));
  });
  EXPECT_TRUE(h.traced("n0 disk: corrupted f sector 2"));
}

// Three replicas write the same file; corruptions hit them in turn. With the
// budget, every sector keeps at least one intact copy; without, some lose all.
uint64_t sectors_lost_everywhere(bool fault_budget) {
  DiskOptions options = quiet_options();
  options.fault_budget = fault_budget;
  DiskHarness h(options);
  h.farm.set_replicas({0, 1, 2});
  uint64_t lost = 0;
  h.run([&](SimDisk&) {
    for (uint32_t node = 0; node < 3; ++node) write_synced(h.farm.disk(NodeId(node)), "wal", sectors_of('a', 4));
    for (uint64_t pick = 0; pick < 300; ++pick) h.farm.corrupt(NodeId(pick % 3), pick * 7919);
    for (uint64_t sector = 0; sector < 4; ++sector) {
      bool intact = false;
      for (uint32_t node = 0; node < 3; ++node)
        intact = intact || h.farm.disk(NodeId(node)).sector_intact("wal", sector);
      lost += intact ? 0 : 1;
    }
    // Outside the replica set the budget does not apply.
    write_synced(h.farm.disk(NodeId(7)), "wal", sectors_of('a', 1));
    EXPECT_TRUE(h.farm.corrupt(NodeId(7), 0));
  });
  return lost;
}

TEST(Disk, FaultBudgetNeverCorruptsASectorOnEveryReplica) {
  EXPECT_EQ(sectors_lost_everywhere(true), 0u);
  EXPECT_GT(sectors_lost_everywhere(false), 0u);
}

TEST(Disk, MisdirectedWriteLeavesTheIntendedRangeOldAndLandsElsewhere) {
  DiskHarness h;
  h.run([&](SimDisk& disk) {
    write_synced(disk, "data", sectors_of('a', 4));
    h.farm.misdirect_next_write(NodeId(0));
    ASSERT_EQ(disk.write("data", 2 * kSector, sectors_of('b', 1)), IoStatus::ok);
    std::string cached = *disk.cached_content("data");
    EXPECT_EQ(cached.substr(2 * kSector, kSector), sectors_of('a', 1));
    uint64_t landed = 0;
    for (uint64_t s = 0; s * kSector < cached.size(); ++s) {
      if (cached.compare(s * kSector, kSector, sectors_of('b', 1)) == 0) ++landed;
    }
    EXPECT_EQ(landed, 1u);
    // Only the next write goes astray.
    ASSERT_EQ(disk.write("data", 2 * kSector, sectors_of('c', 1)), IoStatus::ok);
    EXPECT_EQ(disk.cached_content("data")->substr(2 * kSector, kSector), sectors_of('c', 1));
  });
  EXPECT_TRUE(h.traced("disk: misdirected write data@8192 -> @"));
}

// An append that goes astray still grows the file (the size is metadata):
// its range holds zeros, and the next append lands after it, where the
// writer's own bookkeeping expects it.
TEST(Disk, AMisdirectedAppendStillGrowsTheFile) {
  DiskHarness h;
  h.run([&](SimDisk& disk) {
    write_synced(disk, "log", sectors_of('a', 4));
    h.farm.misdirect_next_write(NodeId(0));
    ASSERT_EQ(disk.append("log", sectors_of('b', 1)), IoStatus::ok);
    ASSERT_EQ(disk.append("log", sectors_of('c', 1)), IoStatus::ok);
    const std::string cached = *disk.cached_content("log");
    ASSERT_EQ(cached.size(), 6 * kSector);
    EXPECT_EQ(cached.substr(4 * kSector, kSector), std::string(kSector, '\0'));
    EXPECT_EQ(cached.substr(5 * kSector, kSector), sectors_of('c', 1));
  });
  EXPECT_TRUE(h.traced("disk: misdirected write log@16384 -> @"));
}

TEST(Disk, MisdirectedWritesKeepTheFaultBudget) {
  DiskHarness h;
  h.farm.set_replicas({0, 1});
  h.run([&](SimDisk&) {
    SimDisk& first = h.farm.disk(NodeId(0));
    SimDisk& second = h.farm.disk(NodeId(1));
    write_synced(first, "data", sectors_of('a', 2));
    write_synced(second, "data", sectors_of('a', 2));
    // The other replica holds sector 1 intact: this one may lose it.
    h.farm.misdirect_next_write(NodeId(0));
    ASSERT_EQ(first.write("data", kSector, sectors_of('b', 1)), IoStatus::ok);
    EXPECT_EQ(first.cached_content("data")->substr(kSector, kSector), sectors_of('a', 1));
    EXPECT_FALSE(first.sector_intact("data", 1));
    // Now the second replica's sector 1 is the last good copy: its write
    // lands where it was meant to.
    h.farm.misdirect_next_write(NodeId(1));
    ASSERT_EQ(second.write("data", kSector, sectors_of('c', 1)), IoStatus::ok);
    EXPECT_EQ(second.cached_content("data")->substr(kSector, kSector), sectors_of('c', 1));
  });
  EXPECT_TRUE(h.traced("n1 disk: misdirect of data@4096 found no sector within the fault budget"));
}

TEST(Disk, BandwidthQueueMakesTenMegabytesTakeTenSeconds) {
  DiskOptions options = quiet_options();
  options.bandwidth = 1e6;
  DiskHarness h(options);
  Time done[2];
  // Two writers share the disk's one FIFO queue.
  GroupId group = h.engine.create_group(0);
  for (int writer = 0; writer < 2; ++writer) {
    h.engine.spawn(group, "writer", [&, writer] {
      SimDisk& disk = h.farm.disk(NodeId(0));
      std::string path = fmt::format("f{}", writer);
      ASSERT_EQ(disk.open(path, true), IoStatus::ok);
      for (int i = 0; i < 5; ++i) ASSERT_EQ(disk.append(path, std::string(1'000'000, 'x')), IoStatus::ok);
      done[writer] = h.engine.now();
    });
  }
  EXPECT_EQ(h.engine.run(), StopReason::quiescent);
  const Time last = std::max(done[0], done[1]);
  EXPECT_GE(last, Time::zero() + 10_s);
  EXPECT_LE(last, Time::zero() + 10_s + 1_ms);
  EXPECT_GE(std::min(done[0], done[1]), Time::zero() + 9_s);  // FIFO: they interleave
}

TEST(Disk, SlowFactorMultipliesLatencyUntilItEnds) {
  DiskOptions options = quiet_options();
  options.latency = DurationDist::constant(1_ms);
  DiskHarness h(options);
  h.run([&](SimDisk& disk) {
    ASSERT_EQ(disk.open("f", true), IoStatus::ok);
    Time start = h.engine.now();
    ASSERT_EQ(disk.append("f", "x"), IoStatus::ok);
    EXPECT_EQ(h.engine.now() - start, 1_ms);
    h.farm.set_slow(NodeId(0), 10, h.engine.now() + 1_s);
    start = h.engine.now();
    ASSERT_EQ(disk.append("f", "x"), IoStatus::ok);
    EXPECT_EQ(h.engine.now() - start, 10_ms);
    h.engine.sleep_until(h.engine.now() + 1_s);
    start = h.engine.now();
    ASSERT_EQ(disk.append("f", "x"), IoStatus::ok);
    EXPECT_EQ(h.engine.now() - start, 1_ms);
  });
  EXPECT_TRUE(h.traced("disk: slow x10 until 1.00"));
}

// The world's crash: kill the node's fibers, then crash its disk. A write
// whose I/O had not completed never reaches even the page cache.
TEST(Disk, OperationOfAKilledFiberNeverHappens) {
  DiskOptions options = quiet_options();
  options.latency = DurationDist::constant(10_ms);
  DiskHarness h(options);
  GroupId node = h.engine.create_group(0);
  GroupId nemesis = h.engine.create_group(1);
  bool returned = false;
  h.engine.spawn(node, "model", [&] {
    SimDisk& disk = h.farm.disk(NodeId(0));
    write_synced(disk, "f", "durable");
    disk.append("f", "+lost");
    returned = true;
  });
  h.engine.spawn(nemesis, "nemesis", [&] {
    h.engine.sleep_until(Time::zero() + 25_ms);  // the append is in flight from 21 ms to 31 ms
    h.engine.kill_group(node);
    h.farm.crash(NodeId(0));
    const uint64_t fingerprint = h.engine.fingerprint();
    h.farm.crash(NodeId(5));  // a node that never used its disk: no effect at all
    EXPECT_EQ(h.farm.find(NodeId(5)), nullptr);
    EXPECT_EQ(h.engine.fingerprint(), fingerprint);
    h.engine.sleep_until(Time::zero() + 100_ms);
    EXPECT_EQ(h.farm.disk(NodeId(0)).cached_content("f"), "durable");
  });
  EXPECT_EQ(h.engine.run(), StopReason::quiescent);
  EXPECT_FALSE(returned);
  EXPECT_FALSE(h.traced("disk: crash"));  // nothing was unsynced
}

void spawn_model(Engine& engine, DiskFarm& farm, Rng rng, uint32_t node, GroupId group) {
  engine.spawn(group, "model", [&farm, node, rng]() mutable {
    SimDisk& disk = farm.disk(NodeId(node));
    for (;;) {
      std::string path = fmt::format("f{}", rng.below(3));
      std::string data(rng.below(3 * kSector), static_cast<char>('a' + rng.below(26)));
      std::string got;
      switch (rng.below(6)) {
        case 0: disk.open(path, true); break;
        case 1: disk.write(path, rng.below(4 * kSector), data); break;
        case 2: disk.append(path, data); break;
        case 3: disk.fsync(path); break;
        case 4: disk.read(path, 0, 100, &got); break;
        default: disk.rename(path, fmt::format("f{}", rng.below(3))); break;
      }
    }
  });
}

// Two nodes run random file operations; a nemesis crashes and restarts them
// and injects every disk fault. Returns the fingerprint and the fault lines.
std::pair<uint64_t, std::vector<std::string>> random_workload(uint64_t seed) {
  Engine engine(engine_options(seed, 2_s));
  DiskOptions options;  // the default random latencies
  options.tear = 0.3;
  options.reorder = 0.3;
  options.capacity = 200'000;
  const Rng rng(seed);
  DiskFarm farm(engine, rng.fork("disk"), options);
  std::vector<std::string> traces;
  farm.set_trace([&](NodeId node, std::string text) { traces.push_back(fmt::format("{} {}", node, text)); });
  farm.set_replicas({0, 1});
  std::vector<GroupId> groups;
  for (uint32_t node = 0; node < 2; ++node) {
    groups.push_back(engine.create_group(node));
    spawn_model(engine, farm, rng.fork("model", node), node, groups[node]);
  }
  engine.spawn(engine.create_group(9), "nemesis", [&] {
    Rng faults = rng.fork("nemesis");
    for (uint64_t round = 1;; ++round) {
      engine.sleep_until(engine.now() + faults.uniform(10_ms, 100_ms));
      const uint32_t node = static_cast<uint32_t>(faults.below(2));
      switch (faults.below(4)) {
        case 0:
          engine.kill_group(groups[node]);
          farm.crash(NodeId(node));
          groups[node] = engine.create_group(node);
          spawn_model(engine, farm, rng.fork("model", round << 8 | node), node, groups[node]);
          break;
        case 1: farm.corrupt(NodeId(node), faults.next_u64()); break;
        case 2: farm.misdirect_next_write(NodeId(node)); break;
        default: farm.set_slow(NodeId(node), 5, engine.now() + 50_ms); break;
      }
    }
  });
  EXPECT_EQ(engine.run(), StopReason::time_limit);
  return {engine.fingerprint(), traces};
}

TEST(Disk, SameSeedGivesTheSameFingerprintUnderCrashesAndFaults) {
  auto [first, first_traces] = random_workload(21);
  auto [again, again_traces] = random_workload(21);
  auto [other, other_traces] = random_workload(22);
  EXPECT_EQ(first, again);
  EXPECT_EQ(first_traces, again_traces);
  EXPECT_NE(first, other);
  // The workload did exercise the faults it claims to.
  auto count = [&](std::string_view needle) {
    return std::count_if(first_traces.begin(), first_traces.end(),
                         [&](const std::string& line) { return line.find(needle) != std::string::npos; });
  };
  EXPECT_GT(count("disk: crash"), 0);
  EXPECT_GT(count("disk: corrupted"), 0);
  EXPECT_GT(count("disk: misdirected write"), 0);
}

}  // namespace
}  // namespace detsim
