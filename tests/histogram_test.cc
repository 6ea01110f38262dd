#include "sim/metrics/histogram.h"

#include <gtest/gtest.h>

namespace detsim {
namespace {

Duration ms(int64_t n) { return Duration::milliseconds(n); }

TEST(Histogram, EmptyAnswersZero) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.quantile(0.99), Duration::zero());
  EXPECT_EQ(h.mean_s(), 0);
}

TEST(Histogram, OneValueIsEveryQuantile) {
  Histogram h;
  h.record(ms(250), 7);
  EXPECT_EQ(h.quantile(0), ms(250));
  EXPECT_EQ(h.quantile(0.5), ms(250));
  EXPECT_EQ(h.quantile(1), ms(250));
  EXPECT_DOUBLE_EQ(h.mean_s(), 0.25);
}

TEST(Histogram, QuantilesWithinBucketPrecision) {
  Histogram h;
  for (int i = 1; i <= 1000; ++i) h.record(ms(i));
  const double tolerance = 1.0 / 64;
  EXPECT_NEAR(h.quantile_s(0.5), 0.500, 0.500 * tolerance);
  EXPECT_NEAR(h.quantile_s(0.99), 0.990, 0.990 * tolerance);
  EXPECT_NEAR(h.quantile_s(0.999), 0.999, 0.999 * tolerance);
  EXPECT_EQ(h.max(), ms(1000));
  EXPECT_EQ(h.min(), ms(1));
  EXPECT_NEAR(h.mean_s(), 0.5005, 1e-9);
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (int i = 0; i < 64; ++i) h.record(Duration::nanoseconds(i));
  EXPECT_EQ(h.quantile(0.5), Duration::nanoseconds(31));
}

TEST(Histogram, SpreadKeepsCountAndMean) {
  Histogram h;
  h.record_spread(ms(100), ms(200), 1'000'003);
  EXPECT_EQ(h.count(), 1'000'003u);
  EXPECT_NEAR(h.mean_s(), 0.150, 0.001);
  EXPECT_NEAR(h.quantile_s(0.5), 0.150, 0.150 / 64 + 0.1 / 16);
  EXPECT_LE(h.max(), ms(200));
  EXPECT_GE(h.min(), ms(100));
}

TEST(Histogram, SpreadOfFewRowsRecordsEachRow) {
  Histogram h;
  h.record_spread(ms(0), ms(30), 3);
  EXPECT_EQ(h.count(), 3u);
  EXPECT_NEAR(h.quantile_s(0), 0.005, 0.0002);
  EXPECT_NEAR(h.quantile_s(1), 0.025, 0.0004);
}

TEST(Histogram, MergeEqualsRecordingBoth) {
  Histogram a, b, both;
  for (int i = 0; i < 100; ++i) {
    a.record(ms(i));
    both.record(ms(i));
    b.record(ms(1000 + i));
    both.record(ms(1000 + i));
  }
  a.merge(b);
  EXPECT_EQ(a.count(), both.count());
  for (double q : {0.1, 0.5, 0.9, 0.99}) EXPECT_EQ(a.quantile(q), both.quantile(q));
  EXPECT_EQ(a.mean_s(), both.mean_s());
}

TEST(Histogram, NegativeValuesCountAsZero) {
  Histogram h;
  h.record(ms(-5));
  EXPECT_EQ(h.max(), Duration::zero());
}

}  // namespace
}  // namespace detsim
