// The geo-mirroring model's invariants (models/log_mirror/checks.h), each
// shown good states and known-bad ones: the in-order-with-duplicates rule,
// the failed-over reader's skip rule, the conservative offset translation
// (and its planted off-by-one), and what becomes of an acknowledged record.
#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "models/log_mirror/checks.h"

namespace detsim::mirror {
namespace {

using Seqs = std::vector<uint64_t>;

const Seqs kSource{1, 2, 3, 4, 5};

TEST(MirrorChecks, ACopyAndReDeliveredSuffixesAreInOrder) {
  EXPECT_EQ(first_disorder(kSource, kSource), std::nullopt);
  EXPECT_EQ(first_disorder(kSource, {}), std::nullopt);
  EXPECT_EQ(first_disorder(kSource, {1, 2, 3}), std::nullopt);              // behind, not wrong
  EXPECT_EQ(first_disorder(kSource, {1, 2, 3, 2, 3, 4, 5}), std::nullopt);  // a restart re-delivered 2..3
  EXPECT_EQ(first_disorder(kSource, {1, 2, 1, 2, 3, 4, 5, 5}), std::nullopt);
  // A lone late duplicate (a replayed batch) cuts a run short: nothing is skipped.
  EXPECT_EQ(first_disorder(kSource, {1, 2, 3, 2, 4, 5}), std::nullopt);
  // Sequence numbers need not grow along the source (a late replayed produce).
  EXPECT_EQ(first_disorder({1, 2, 7, 3}, {1, 2, 7, 3, 7, 3}), std::nullopt);
}

TEST(MirrorChecks, ASkipAForeignRecordAndAJumpAheadAreRejected) {
  EXPECT_NE(first_disorder(kSource, {1, 3, 4}), std::nullopt);  // 2 skipped
  EXPECT_NE(first_disorder(kSource, {2, 3}), std::nullopt);     // 1 skipped at the start
  EXPECT_NE(first_disorder(kSource, {2, 1}), std::nullopt);     // out of order
  EXPECT_NE(first_disorder(kSource, {1, 2, 9}), std::nullopt);  // not in the source
  // A re-delivery from an earlier point is fine; a new run past the covered end is not.
  EXPECT_NE(first_disorder(kSource, {1, 2, 1, 4}), std::nullopt);
  const std::optional<std::string> detail = first_disorder(kSource, {1, 2, 4, 5});
  ASSERT_TRUE(detail.has_value());
  EXPECT_NE(detail->find("skips source record 3"), std::string::npos) << *detail;
}

// A failed-over reader that processed source offsets [0, c) must start at
// or before offset c.
TEST(MirrorChecks, AFailedOverReaderMayReReadButNeverSkip) {
  EXPECT_EQ(first_disorder(kSource, {3, 4, 5}, 1), std::nullopt);     // c = 2: starts at 3
  EXPECT_EQ(first_disorder(kSource, {2, 3, 4, 5}, 1), std::nullopt);  // re-reads 2
  EXPECT_EQ(first_disorder(kSource, {}, 4), std::nullopt);
  EXPECT_NE(first_disorder(kSource, {4, 5}, 1), std::nullopt);  // skips 3
  EXPECT_NE(first_disorder(kSource, {3, 5}, 1), std::nullopt);
}

TEST(MirrorChecks, DuplicatesCountsRepeatsOnly) {
  EXPECT_EQ(duplicates({1, 2, 3}), 0u);
  EXPECT_EQ(duplicates({1, 2, 3, 2, 3, 4, 1}), 3u);
}

TEST(MirrorChecks, TranslationUsesTheLatestSyncAtOrBelowTheCommittedOffset) {
  const std::map<int64_t, int64_t> syncs{{0, 0}, {10, 25}, {20, 40}};
  EXPECT_EQ(translate(syncs, 10), 25);  // exactly at the sync
  EXPECT_EQ(translate(syncs, 12), 26);  // past it: only the synced record is known consumed
  EXPECT_EQ(translate(syncs, 5), 1);
  EXPECT_EQ(translate(syncs, 99), 41);
  EXPECT_EQ(translate({{5, 7}}, 3), std::nullopt);  // no sync at or below
  EXPECT_EQ(translate(syncs, 10, /*off_by_one=*/true), 26);
}

// Builds a target the way the mirror does: batches of the source, a
// restart that re-delivers from an earlier point, with an offset-sync per
// acknowledged batch (its first record). For every committed offset c, the
// target record at the translated offset must not lie past source offset c
// (else a failed-over reader skips): the conservative translation keeps
// that everywhere; the off-by-one breaks it somewhere.
TEST(MirrorChecks, TheTranslationIsConservativeAndTheOffByOneSkips) {
  const Seqs source{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  Seqs target;
  std::map<int64_t, int64_t> syncs;
  const std::vector<std::pair<int64_t, int64_t>> batches{{0, 3}, {3, 6}, {4, 7}, {7, 10}};  // [first, next)
  for (const auto& [first, next] : batches) {
    syncs[first] = static_cast<int64_t>(target.size());
    for (int64_t i = first; i < next; ++i) target.push_back(source[static_cast<size_t>(i)]);
  }
  bool off_by_one_skipped = false;
  for (int64_t c = 0; c <= 10; ++c) {
    for (const bool bug : {false, true}) {
      const std::optional<int64_t> t = translate(syncs, c, bug);
      ASSERT_TRUE(t.has_value());
      const Seqs rest(target.begin() + std::min<int64_t>(*t, static_cast<int64_t>(target.size())), target.end());
      const bool skipped = first_disorder(source, rest, c - 1).has_value();
      if (!bug) EXPECT_FALSE(skipped) << "c=" << c << " t=" << *t;
      off_by_one_skipped |= bug && skipped;
    }
  }
  EXPECT_TRUE(off_by_one_skipped);
}

TEST(MirrorChecks, AnAckedRecordsFateSeparatesLossFromLag) {
  EXPECT_EQ(acked_fate(true, 4, 0), AckedFate::mirrored);
  EXPECT_EQ(acked_fate(false, -1, 10), AckedFate::lost_at_source);
  EXPECT_EQ(acked_fate(false, 4, 5), AckedFate::skipped);  // committed past it
  EXPECT_EQ(acked_fate(false, 4, 4), AckedFate::not_yet_mirrored);
}

}  // namespace
}  // namespace detsim::mirror
