// The CDC fan-in model's invariants (models/cdc_fanin/checks.h), each
// shown a known-bad state, and the event and offsets encodings.
#include <gtest/gtest.h>

#include "models/cdc_fanin/checks.h"
#include "models/cdc_fanin/schema.h"

namespace detsim::cdc {
namespace {

// A warehouse row: [lsn, part, index, tombstone, source row...].
parts::Row live(int64_t status, int64_t amount, int64_t version) { return {100, 0, 0, 0, status, amount, version}; }
parts::Row tombstone() { return {200, 0, 0, 1}; }

TEST(CdcChecks, EqualAggregatesPassAndAMissingRowFails) {
  SourceRows source{{{kOrders, 1}, {2, 50, 3}}, {{kOrders, 2}, {2, 70, 1}}, {{kLineItems, 1}, {1, 3, 10, 1}}};
  WarehouseRows warehouse{{pack({4, kOrders, 0, 1}), live(2, 50, 3)},
                          {pack({4, kOrders, 0, 2}), live(2, 70, 1)},
                          {pack({4, kLineItems, 0, 1}), {100, 0, 1, 0, 1, 3, 10, 1}},
                          {pack({5, kOrders, 0, 9}), live(2, 1000, 1)}};  // another source's row
  EXPECT_EQ(aggregates_of_source(source), aggregates_of_warehouse(warehouse, 4));
  EXPECT_EQ(
      check_aggregates_at_watermark(4, 10, aggregates_of_source(source), aggregates_of_warehouse(warehouse, 4)).verdict,
      Verdict::pass);
  warehouse[pack({4, kOrders, 0, 2})] = tombstone();  // a delete the source never made
  const CheckResult result =
      check_aggregates_at_watermark(4, 10, aggregates_of_source(source), aggregates_of_warehouse(warehouse, 4));
  EXPECT_EQ(result.verdict, Verdict::safety);
  EXPECT_EQ(result.property, "aggregates_match_at_watermark");
  EXPECT_NE(row_differences(source, warehouse, 4, 4).find("1/2 src=1 wh=-2"), std::string::npos)
      << row_differences(source, warehouse, 4, 4);
}

TEST(CdcChecks, AStaleAmountIsAnAggregateDifference) {
  const SourceRows source{{{kOrders, 1}, {0, 60, 2}}};
  const WarehouseRows warehouse{{pack({0, kOrders, 0, 1}), live(0, 50, 1)}};
  EXPECT_EQ(
      check_aggregates_at_watermark(0, 1, aggregates_of_source(source), aggregates_of_warehouse(warehouse, 0)).verdict,
      Verdict::safety);
}

TEST(CdcChecks, TwoLiveCopiesAreADuplicate) {
  WarehouseRows warehouse{{pack({1, kOrders, 0, 7}), live(1, 10, 1)}};
  EXPECT_EQ(check_no_duplicate_rows(warehouse, {1, kOrders, 0, 7}).verdict, Verdict::pass);
  warehouse[pack({1, kOrders, 1, 7})] = live(1, 10, 1);
  const CheckResult result = check_no_duplicate_rows(warehouse, {1, kOrders, 0, 7});
  EXPECT_EQ(result.verdict, Verdict::safety);
  EXPECT_EQ(result.property, "no_duplicate_rows");
  warehouse[pack({1, kOrders, 0, 7})] = tombstone();
  EXPECT_EQ(check_no_duplicate_rows(warehouse, {1, kOrders, 0, 7}).verdict, Verdict::pass) << "one live copy";
}

TEST(CdcChecks, AnOlderVersionOverANewerOneIsTimeTravel) {
  const parts::Row newer = live(1, 10, 5);
  EXPECT_EQ(check_row_write({0, kOrders, 0, 3}, &newer, live(1, 10, 6)).verdict, Verdict::pass);
  EXPECT_EQ(check_row_write({0, kOrders, 0, 3}, nullptr, live(1, 10, 1)).verdict, Verdict::pass);
  const CheckResult result = check_row_write({0, kOrders, 0, 3}, &newer, live(1, 10, 4));
  EXPECT_EQ(result.verdict, Verdict::safety);
  EXPECT_EQ(result.property, "no_time_travel");
}

TEST(CdcChecks, ALiveRowAfterItsTombstoneIsAResurrectedDelete) {
  const parts::Row deleted = tombstone();
  const CheckResult result = check_row_write({0, kOrders, 0, 3}, &deleted, live(1, 10, 9));
  EXPECT_EQ(result.verdict, Verdict::safety);
  EXPECT_EQ(result.property, "no_resurrected_deletes");
  const parts::Row before = live(1, 10, 9);
  EXPECT_EQ(check_row_write({0, kOrders, 0, 3}, &before, tombstone()).verdict, Verdict::pass);
}

TEST(CdcChecks, AWatermarkShortOfTheLastCommitIsALivenessFailure) {
  EXPECT_EQ(check_watermark_reached(2, 500, true, 500).verdict, Verdict::pass);
  EXPECT_EQ(check_watermark_reached(2, 400, true, 500).verdict, Verdict::liveness);
  const CheckResult no_snapshot = check_watermark_reached(2, 500, false, 500);
  EXPECT_EQ(no_snapshot.verdict, Verdict::liveness);
  EXPECT_EQ(no_snapshot.property, "watermark_reaches_last_commit");
}

TEST(CdcSchema, KeysPackAndEventsRoundTrip) {
  const WarehouseKey key{11, kLineItems, 3, (int64_t{1} << 39) + 5};
  EXPECT_EQ(unpack(pack(key)), key);
  EXPECT_LT(pack({11, kLineItems, 255, (int64_t{1} << 40) - 1}), source_begin(12));
  ChangeEvent event;
  event.kind = ChangeEvent::Kind::snapshot;
  event.source = 7;
  event.lsn = 12345;
  event.part = 1;
  event.index = 2;
  event.count = 3;
  event.table = kOrders;
  event.id = 42;
  event.insert = true;
  event.snapshot_done = true;
  event.row = {1, 2, 3};
  const std::optional<ChangeEvent> back = ChangeEvent::decode(event.encode());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->encode(), event.encode());
  EXPECT_TRUE(back->snapshot_done);
  EXPECT_FALSE(ChangeEvent::decode(event.encode().substr(1)).has_value());
  const ConnectorOffsets offsets{99, kLineItems, 40, 120, false};
  const std::optional<ConnectorOffsets> o = ConnectorOffsets::decode(offsets.encode());
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->snapshot_until, 120);
  EXPECT_EQ(o->lsn, 99u);
}

}  // namespace
}  // namespace detsim::cdc
