// The row store (models/parts/row_store.h) on one node: durability of
// commits across crashes with torn and reordered writes, logical decoding,
// compare-and-set, and WAL retention by slots and checkpoints up to a full
// disk.
#include "models/parts/row_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "sim/api/sync.h"
#include "tests/row_store_harness.h"

namespace detsim::parts {
namespace {

using namespace time_literals;
using testing::FaultHarness;

constexpr TableId kItems = 1;
constexpr TableId kMirror = 2;
constexpr TableId kCounter = 3;

Row wide_row(int64_t value, size_t columns) { return Row(columns, value); }

// Commits one small row per call; its key is the number of rows before it.
CommitResult commit_small(RowStore& store, TableId table, size_t columns = 60) {
  const Key key = static_cast<Key>(store.row_count(table));
  RowStore::Txn txn = store.begin();
  txn.put(table, key, wide_row(key, columns));
  return store.commit(std::move(txn));
}

// ------------------------------------------------------------- durability

struct CrashRun {
  std::vector<std::string> failures;
  uint64_t truncated = 0;  // torn or uncommitted tail bytes cut at open
  int reopened = 0;
  int in_flight_survived = 0;
  std::set<int64_t> replayed;  // kItems keys of the transactions on_replay told of
};

// Checks what a reopened store holds against what was attempted and what
// returned committed: every committed transaction whole, every other
// attempt whole or absent, and only the one in flight may be present
// without having returned (and from then on it must stay).
void check_reopened(const RowStore& store, const std::vector<int64_t>& attempted, std::set<int64_t>& committed,
                    size_t columns, CrashRun* run) {
  ++run->reopened;
  run->truncated += store.truncated_at_open();
  int64_t highest = 0;
  for (int64_t n : attempted) {
    const Row* item = store.get(kItems, n);
    const Row* mirror = store.get(kMirror, n);
    if ((item == nullptr) != (mirror == nullptr)) run->failures.push_back(fmt::format("txn {} half applied", n));
    if (item != nullptr && *item != wide_row(n, columns)) run->failures.push_back(fmt::format("txn {} garbled", n));
    if (committed.contains(n) && item == nullptr) run->failures.push_back(fmt::format("committed txn {} lost", n));
    if (item == nullptr) continue;
    highest = n;
    if (!committed.contains(n)) {
      if (n != attempted.back()) run->failures.push_back(fmt::format("txn {} present, never committed", n));
      // The oracle hook is how an observer hears of it.
      if (!run->replayed.contains(n)) run->failures.push_back(fmt::format("survivor {} not told by on_replay", n));
      ++run->in_flight_survived;
      committed.insert(n);  // recovered, so durable from now on
    }
  }
  const Row* counter = store.get(kCounter, 0);
  if (highest > 0 && (counter == nullptr || (*counter)[0] != highest)) {
    run->failures.push_back(fmt::format("counter does not match the last txn {}", highest));
  }
}

CrashRun crash_while_committing(uint64_t seed) {
  constexpr size_t kColumns = 300;  // ~2.4 KB a change: a batch spans sectors, so a crash can tear it
  FaultHarness h(1_s, testing::torn_disks(), seed);
  CrashRun run;
  std::vector<int64_t> attempted;  // test memory outlives the node's incarnations
  std::set<int64_t> committed;
  h.world->add_server("db", [&](Context& ctx) {
    RowStoreOptions options = testing::store_options("db", 16 * 1024, 64 * 1024);
    options.on_replay = [&run](const DecodedTxn& txn) {
      for (const Change& change : txn.changes) {
        if (change.table == kItems) run.replayed.insert(change.key);
      }
    };
    RowStore store(ctx, options);
    store.open();
    if (ctx.incarnation() > 0) check_reopened(store, attempted, committed, kColumns, &run);
    while (true) {
      const int64_t n = static_cast<int64_t>(attempted.size()) + 1;
      attempted.push_back(n);
      RowStore::Txn txn = store.begin();
      txn.put(kItems, n, wide_row(n, kColumns));
      txn.put(kMirror, n, wide_row(n, kColumns));
      txn.put(kCounter, 0, {n});
      if (store.commit(std::move(txn)).status == CommitStatus::committed) committed.insert(n);
    }
  });
  // Crash times that move with the seed land anywhere in a commit.
  const int64_t offset_us = static_cast<int64_t>(seed * 7919 % 9000);
  const Time first = Time::zero() + 200_ms + Duration::microseconds(offset_us);
  h.run(fmt::format("{}ns crash n0\n{}ns restart n0\n{}ns crash n0\n{}ns restart n0", first.count_ns(),
                    (first + 50_ms).count_ns(), (first + 300_ms).count_ns(), (first + 350_ms).count_ns()));
  return run;
}

TEST(RowStore, CommittedTxnsSurviveCrashesAndTornTxnsVanishWhole) {
  uint64_t truncated = 0;
  int reopened = 0, in_flight_survived = 0;
  for (uint64_t seed = 1; seed <= 16; ++seed) {
    CrashRun run = crash_while_committing(seed);
    for (const std::string& failure : run.failures) ADD_FAILURE() << "seed " << seed << ": " << failure;
    truncated += run.truncated;
    reopened += run.reopened;
    in_flight_survived += run.in_flight_survived;
  }
  EXPECT_EQ(reopened, 32);
  // The crashes did land inside commits: some left a torn or uncommitted
  // tail that recovery cut, and some in-flight transactions survived whole.
  EXPECT_GT(truncated, 0u);
  EXPECT_GT(in_flight_survived, 0);
}

// ----------------------------------------------------------------- decode

TEST(RowStore, DecodeReturnsCommitsInOrderNeverRollbacksAndRereadsAfterRestart) {
  FaultHarness h(5_s, testing::torn_disks());
  std::vector<DecodedTxn> hooked, first, after_a, second;
  CommitResult a, c, d, empty;
  DecodeStatus unknown = DecodeStatus::ok;
  bool rolled_back_visible = true;
  h.world->add_server("db", [&](Context& ctx) {
    RowStoreOptions options;
    options.on_commit = [&](const DecodedTxn& txn) { hooked.push_back(txn); };
    RowStore store(ctx, options);
    store.open();
    if (ctx.incarnation() == 0) {
      ASSERT_EQ(store.create_slot("s"), IoStatus::ok);
      RowStore::Txn ta = store.begin();
      ta.put(kItems, 1, {10});
      ta.put(kItems, 2, {20});
      a = store.commit(std::move(ta));
      RowStore::Txn tb = store.begin();
      tb.put(kItems, 3, {30});
      store.rollback(std::move(tb));
      RowStore::Txn tc = store.begin();
      tc.put(kItems, 1, {11});
      tc.erase(kItems, 2);
      tc.erase(kItems, 99);  // absent: no change
      tc.put(kItems, 4, {40});
      EXPECT_EQ(*tc.get(kItems, 1), Row{11});  // read-your-writes
      EXPECT_EQ(tc.get(kItems, 2), nullptr);
      c = store.commit(std::move(tc));
      empty = store.commit(store.begin());
      first = store.decode("s", 0, 10);
      after_a = store.decode("s", a.lsn, 10);
      std::vector<DecodedTxn> none;
      unknown = store.decode_checked("nope", 0, 10, &none);
      ctx.sleep_for(10_s);
    }
    second = store.decode("s", 0, 10);
    rolled_back_visible = store.get(kItems, 3) != nullptr;
    RowStore::Txn td = store.begin();
    td.put(kItems, 5, {50});
    d = store.commit(std::move(td));
  });
  h.run("1s crash n0\n2s restart n0");
  ASSERT_EQ(a.status, CommitStatus::committed);
  ASSERT_EQ(c.status, CommitStatus::committed);
  EXPECT_EQ(empty.status, CommitStatus::committed);
  EXPECT_EQ(empty.lsn, c.lsn);  // nothing written
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].xid, a.xid);
  EXPECT_EQ(first[0].commit_lsn, a.lsn);
  EXPECT_EQ(first[1].xid, c.xid);
  EXPECT_EQ(first[1].commit_lsn, c.lsn);
  EXPECT_LT(a.lsn, c.lsn);
  using Op = Change::Op;
  EXPECT_EQ(first[0].changes, (std::vector<Change>{{Op::insert, kItems, 1, {10}}, {Op::insert, kItems, 2, {20}}}));
  EXPECT_EQ(
      first[1].changes,
      (std::vector<Change>{{Op::update, kItems, 1, {11}}, {Op::erase, kItems, 2, {}}, {Op::insert, kItems, 4, {40}}}));
  EXPECT_EQ(hooked.size(), 3u);  // a, c, and d after the restart
  EXPECT_EQ(std::vector<DecodedTxn>(hooked.begin(), hooked.begin() + 2), first);
  EXPECT_EQ(after_a, std::vector<DecodedTxn>{first[1]});
  EXPECT_EQ(unknown, DecodeStatus::unknown_slot);
  EXPECT_EQ(second, first);  // the same history, decoded after a restart
  EXPECT_FALSE(rolled_back_visible);
  ASSERT_EQ(d.status, CommitStatus::committed);
  EXPECT_GT(d.lsn, c.lsn);  // LSNs and xids keep growing across restarts
  EXPECT_GT(d.xid, c.xid);
}

// ---------------------------------------------------------- compare-and-set

TEST(RowStore, ExpectLetsExactlyOneOfTwoConcurrentCasWritersWin) {
  constexpr int kRounds = 20;
  FaultHarness h(10_s);
  std::vector<std::pair<int, int>> outcomes;  // per round: committed, conflicts
  std::optional<Row> final_version;
  int inserts_won = 0;
  h.world->add_server("db", [&](Context& ctx) {
    RowStore store(ctx, {});
    store.open();
    RowStore::Txn init = store.begin();
    init.put(kItems, 7, {0, -1});
    ASSERT_EQ(store.commit(std::move(init)).status, CommitStatus::committed);
    Mailbox<CommitStatus> done(ctx);
    for (int round = 0; round < kRounds; ++round) {
      for (int writer = 0; writer < 2; ++writer) {
        ctx.spawn("cas", [&, writer] {
          // Both read the same version before either commits.
          RowStore::Txn txn = store.begin();
          const Row seen = *txn.get(kItems, 7);
          txn.expect(kItems, 7, seen);
          txn.put(kItems, 7, {seen[0] + 1, writer});
          done.push(store.commit(std::move(txn)).status);
        });
      }
      std::pair<int, int> outcome{0, 0};
      for (int i = 0; i < 2; ++i) {
        const CommitStatus status = *done.pop();
        if (status == CommitStatus::committed) ++outcome.first;
        if (status == CommitStatus::conflict) ++outcome.second;
      }
      outcomes.push_back(outcome);
    }
    final_version = *store.get(kItems, 7);
    // Insert-if-absent: expect(nullopt).
    for (int writer = 0; writer < 2; ++writer) {
      ctx.spawn("insert", [&, writer] {
        RowStore::Txn txn = store.begin();
        txn.expect(kItems, 8, std::nullopt);
        txn.put(kItems, 8, {writer});
        done.push(store.commit(std::move(txn)).status);
      });
    }
    for (int i = 0; i < 2; ++i) inserts_won += *done.pop() == CommitStatus::committed ? 1 : 0;
  });
  h.run();
  ASSERT_EQ(outcomes.size(), static_cast<size_t>(kRounds));
  for (const auto& [committed, conflicts] : outcomes) {
    EXPECT_EQ(committed, 1);
    EXPECT_EQ(conflicts, 1);
  }
  ASSERT_TRUE(final_version.has_value());
  EXPECT_EQ((*final_version)[0], kRounds);
  EXPECT_EQ(inserts_won, 1);
}

// -------------------------------------------------------------- retention

TEST(RowStore, AStalledSlotRetainsWalConfirmRecyclesItAndCheckpointsRecycleWithoutSlots) {
  constexpr uint64_t kSegment = 4096;
  constexpr uint64_t kCheckpoint = 8192;
  FaultHarness h(60_s, testing::torn_disks());
  uint64_t retained_stalled = 0, retained_confirmed = 0, most_without_slot = 0;
  size_t segments_stalled = 0, segments_confirmed = 0;
  bool first_segment_kept = false, first_segment_gone = false, no_slot_first_gone = false;
  size_t rows_a = 0, rows_b = 0;
  DecodeStatus reread_recycled = DecodeStatus::ok;
  h.world->add_server("db", [&](Context& ctx) {
    RowStore a(ctx, testing::store_options("a", kSegment, kCheckpoint));
    RowStore b(ctx, testing::store_options("b", kSegment, kCheckpoint));
    a.open();
    b.open();
    if (ctx.incarnation() > 0) {
      rows_a = a.row_count(kItems);
      rows_b = b.row_count(kItems);
      return;
    }
    ASSERT_EQ(a.create_slot("stalled"), IoStatus::ok);
    for (int i = 0; i < 60; ++i) ASSERT_EQ(commit_small(a, kItems).status, CommitStatus::committed);
    retained_stalled = a.wal_retained_bytes();
    segments_stalled = a.wal_segments();
    first_segment_kept = ctx.disk().size("a/wal.0000000000000000").has_value();
    ASSERT_EQ(a.confirm("stalled", a.flushed_lsn()), IoStatus::ok);
    retained_confirmed = a.wal_retained_bytes();
    segments_confirmed = a.wal_segments();
    first_segment_gone = !ctx.disk().size("a/wal.0000000000000000").has_value();
    std::vector<DecodedTxn> ignored;
    reread_recycled = a.decode_checked("stalled", 0, 10, &ignored);
    for (int i = 0; i < 60; ++i) {
      ASSERT_EQ(commit_small(b, kItems).status, CommitStatus::committed);
      most_without_slot = std::max(most_without_slot, b.wal_retained_bytes());
    }
    no_slot_first_gone = !ctx.disk().size("b/wal.0000000000000000").has_value();
    ctx.sleep_for(10_s);
  });
  h.run("20s crash n0\n21s restart n0");
  // 60 commits of ~500 bytes: about 30 KB of WAL, all of it held.
  EXPECT_GT(retained_stalled, 6 * kSegment);
  EXPECT_GE(segments_stalled, 7u);
  EXPECT_TRUE(first_segment_kept);
  // Confirmed: only what the last checkpoint still needs, and the active segment.
  EXPECT_LT(retained_confirmed, kCheckpoint + 2 * kSegment);
  EXPECT_LT(segments_confirmed, segments_stalled);
  EXPECT_TRUE(first_segment_gone);
  EXPECT_EQ(reread_recycled, DecodeStatus::wal_removed);  // that history is gone, and decode says so
  EXPECT_LT(most_without_slot, kCheckpoint + 2 * kSegment);
  EXPECT_TRUE(no_slot_first_gone);
  // Recycling never lost data recovery needs.
  EXPECT_EQ(rows_a, 60u);
  EXPECT_EQ(rows_b, 60u);
}

// Commit i overwrites one of 16 rows and the counter: the tables stay
// small (a checkpoint fits), while the WAL grows with every commit.
CommitResult commit_update(RowStore& store, int64_t i) {
  RowStore::Txn txn = store.begin();
  txn.put(kItems, i % 16, wide_row(i, 60));
  txn.put(kCounter, 0, {i});
  return store.commit(std::move(txn));
}

int64_t counter_of(const RowStore& store) {
  const Row* counter = store.get(kCounter, 0);
  return counter == nullptr ? -1 : (*counter)[0];
}

TEST(RowStore, AStalledSlotFillsTheDiskAndTheStoreRecoversOnceItConfirms) {
  WorldOptions options = testing::torn_disks();
  options.disk.capacity = 64 * 1024;
  FaultHarness h(60_s, options);
  int64_t full_at = -1;  // the first commit refused
  uint64_t retained_when_full = 0, retained_after_confirm = 0;
  int64_t counter_when_full = -2, counter_after_refusal = -2, counter_reopened = -2;
  size_t decoded_when_full = 0;
  bool refused_again = false;
  IoStatus confirmed = IoStatus::not_found;
  CommitStatus after_confirm = CommitStatus::io_error;
  h.world->add_server("db", [&](Context& ctx) {
    RowStore store(ctx, testing::store_options("db", 4096, 8192));
    store.open();
    if (ctx.incarnation() > 0) {
      counter_reopened = counter_of(store);
      return;
    }
    ASSERT_EQ(store.create_slot("stalled"), IoStatus::ok);
    for (int64_t i = 0; i < 1000; ++i) {
      const CommitResult result = commit_update(store, i);
      if (result.status == CommitStatus::no_space) {
        full_at = i;
        break;
      }
      ASSERT_EQ(result.status, CommitStatus::committed);
    }
    ASSERT_GT(full_at, 0);
    retained_when_full = store.wal_retained_bytes();
    counter_when_full = counter_of(store);
    refused_again = commit_update(store, full_at).status == CommitStatus::no_space;
    counter_after_refusal = counter_of(store);
    decoded_when_full = store.decode("stalled", 0, 10'000).size();
    confirmed = store.confirm("stalled", store.flushed_lsn());
    retained_after_confirm = store.wal_retained_bytes();
    after_confirm = commit_update(store, full_at).status;
    ctx.sleep_for(10_s);
  });
  h.run("30s crash n0\n31s restart n0");
  ASSERT_GT(full_at, 0) << "the disk never filled";
  EXPECT_GT(retained_when_full, 40u * 1024);  // the slot's WAL took most of the disk
  EXPECT_EQ(counter_when_full, full_at - 1);  // reads work, and the refused commit left nothing
  EXPECT_TRUE(refused_again);
  EXPECT_EQ(counter_after_refusal, full_at - 1);
  EXPECT_EQ(decoded_when_full, static_cast<size_t>(full_at));  // refused commits are not in the WAL
  EXPECT_EQ(confirmed, IoStatus::ok);                          // confirming works on a full disk
  EXPECT_LT(retained_after_confirm, 16u * 1024);
  EXPECT_EQ(after_confirm, CommitStatus::committed);
  EXPECT_EQ(counter_reopened, full_at);
}

}  // namespace
}  // namespace detsim::parts
