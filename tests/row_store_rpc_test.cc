// Logical decoding and snapshot scans over the network
// (models/parts/row_store_rpc.h): a connector on a client node tails a
// database's slot across loss, duplication, reordering, late replays and
// crashes of the database, and the same seed gives the same run.
#include "models/parts/row_store_rpc.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/row_store_harness.h"

namespace detsim::parts {
namespace {

using namespace time_literals;
using testing::FaultHarness;

constexpr TableId kItems = 1;
constexpr TableId kCounter = 2;
const std::string kSlot = "cdc";

struct CdcRun {
  std::vector<DecodedTxn> received;  // by the connector, in order
  std::vector<std::pair<Key, Row>> scanned;
  int unanswered_calls = 0;
  int confirms_ok = 0;
  int crashes = 0;
  int drops = 0;
  Lsn slot_position = 1;      // create_slot's answer
  Lsn db_slot_confirmed = 0;  // the slot's position at the database, after the last request
  uint64_t fingerprint = 0;
  std::string trace;
};

WorldOptions lossy_world() {
  WorldOptions options = testing::torn_disks();
  options.network.loss = 0.2;
  options.network.duplicate = 0.2;
  options.network.reorder = 0.1;
  options.network.replay = 0.05;
  return options;
}

// The database: a writer commits txns 1..total (its next number is in the
// counter row, so it goes on where the durable state left off after a
// crash), once the connector's slot exists; the main fiber serves
// replication requests.
void database(Context& ctx, int64_t total, Lsn* slot_confirmed) {
  RowStore store(ctx, testing::store_options("db", 8 * 1024, 16 * 1024));
  store.open();
  ctx.spawn("writer", [&] {
    while (!store.slot_confirmed(kSlot)) ctx.sleep_for(10_ms);
    while (true) {
      const Row* counter = store.get(kCounter, 0);
      const int64_t n = counter == nullptr ? 1 : (*counter)[0] + 1;
      if (n > total) return;
      RowStore::Txn txn = store.begin();
      txn.put(kItems, n, {n, n * n});
      txn.put(kCounter, 0, {n});
      store.commit(std::move(txn));
      ctx.sleep_for(5_ms);
    }
  });
  while (true) {
    std::optional<Envelope> in = ctx.net().receive();
    if (in && serve_replication(store, ctx, *in)) *slot_confirmed = store.slot_confirmed(kSlot).value_or(0);
  }
}

// The connector: tails the slot until it has `total` txns, confirming each
// batch, then scans the items table in pages.
void connector(Context& ctx, NodeId db, int64_t total, CdcRun* run) {
  ReplicationClient client(ctx, db, 20_ms, 300_ms);
  // The dispatcher must not outlive the client: it stops when we are done.
  bool done = false;
  ctx.spawn("rx", [&] {
    while (!done) {
      std::optional<Envelope> in = ctx.net().receive(50_ms);
      if (in) client.offer(*in);
    }
  });
  Lsn position = 1;
  while (!client.create_slot(kSlot, &position)) ++run->unanswered_calls;
  run->slot_position = position;
  while (static_cast<int64_t>(run->received.size()) < total) {
    std::optional<std::vector<DecodedTxn>> batch = client.fetch(kSlot, position, 16);
    if (!batch) {
      ++run->unanswered_calls;
      continue;
    }
    if (batch->empty()) {
      ctx.sleep_for(20_ms);
      continue;
    }
    for (DecodedTxn& txn : *batch) run->received.push_back(std::move(txn));
    position = run->received.back().commit_lsn;
    std::optional<IoStatus> confirmed = client.confirm(kSlot, position);
    if (confirmed == IoStatus::ok) ++run->confirms_ok;
  }
  Key after = 0;
  while (true) {
    std::optional<std::vector<std::pair<Key, Row>>> page = client.scan(kItems, after, 40);
    if (!page) continue;
    if (page->empty()) break;
    after = page->back().first;
    run->scanned.insert(run->scanned.end(), page->begin(), page->end());
  }
  done = true;
  ctx.sleep_for(100_ms);
}

CdcRun run_cdc(uint64_t seed, int64_t total, std::string_view faults) {
  FaultHarness h(30_s, lossy_world(), seed);
  CdcRun run;
  const NodeId db =
      h.world->add_server("db", [&run, total](Context& ctx) { database(ctx, total, &run.db_slot_confirmed); });
  h.world->add_client("connector", [&, db, total](Context& ctx) { connector(ctx, db, total, &run); });
  h.run(faults);
  run.fingerprint = h.engine->fingerprint();
  for (const TraceEvent& event : h.trace.events) {
    if (event.kind == TraceKind::crash) ++run.crashes;
    if (event.kind == TraceKind::drop) ++run.drops;
  }
  for (const TraceEvent& event : h.trace.events) run.trace += fmt::format("{} {}\n", event.at.count_ns(), event.text);
  return run;
}

TEST(RowStoreRpc, AConnectorGetsEveryCommitOnceInOrderAcrossLossAndDatabaseCrashes) {
  constexpr int64_t kTotal = 150;
  const CdcRun run = run_cdc(3, kTotal, "400ms crash n0\n700ms restart n0\n1200ms crash n0\n1500ms restart n0");
  ASSERT_EQ(run.crashes, 2);
  EXPECT_GT(run.drops, 10);
  ASSERT_EQ(run.received.size(), static_cast<size_t>(kTotal));
  // The writer was still committing after the second restart.
  EXPECT_GT(run.received.back().commit_time, Time::zero() + 1500_ms);
  using Op = Change::Op;
  for (int64_t n = 1; n <= kTotal; ++n) {
    const DecodedTxn& txn = run.received[static_cast<size_t>(n - 1)];
    const Op counter_op = n == 1 ? Op::insert : Op::update;
    EXPECT_EQ(txn.changes, (std::vector<Change>{{Op::insert, kItems, n, {n, n * n}}, {counter_op, kCounter, 0, {n}}}))
        << "txn " << n;
    if (n > 1) {
      EXPECT_GT(txn.commit_lsn, run.received[static_cast<size_t>(n - 2)].commit_lsn);
      EXPECT_GT(txn.xid, run.received[static_cast<size_t>(n - 2)].xid);
    }
  }
  ASSERT_EQ(run.scanned.size(), static_cast<size_t>(kTotal));
  for (int64_t n = 1; n <= kTotal; ++n) {
    EXPECT_EQ(run.scanned[static_cast<size_t>(n - 1)], (std::pair<Key, Row>{n, {n, n * n}}));
  }
  EXPECT_EQ(run.slot_position, 0u);  // created before the first commit
  EXPECT_GT(run.confirms_ok, 0);
  EXPECT_EQ(run.db_slot_confirmed, run.received.back().commit_lsn);
  // The crashes and the loss did cost calls their answer.
  EXPECT_GT(run.unanswered_calls, 0);
}

TEST(RowStoreRpc, TheSameSeedGivesTheSameRun) {
  const char* faults = "300ms crash n0\n500ms restart n0";
  const CdcRun first = run_cdc(11, 40, faults);
  const CdcRun again = run_cdc(11, 40, faults);
  const CdcRun other = run_cdc(12, 40, faults);
  ASSERT_EQ(first.received.size(), 40u);
  EXPECT_EQ(first.fingerprint, again.fingerprint);
  EXPECT_EQ(first.trace, again.trace);
  EXPECT_EQ(first.received, again.received);
  EXPECT_NE(first.fingerprint, other.fingerprint);
}

}  // namespace
}  // namespace detsim::parts
