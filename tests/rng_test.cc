// Rng: pinned output (so a change of algorithm cannot slip in), fork
// independence, and the moments of every distribution. Seeds are fixed, so
// the statistical checks are deterministic; their tolerances are still
// several standard errors wide so that a legitimate reseed would pass too.
#include "sim/core/rng.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <numeric>
#include <string>
#include <vector>

namespace detsim {
namespace {

constexpr int kSamples = 200'000;

std::vector<uint64_t> draw_u64(Rng rng, int count) {
  std::vector<uint64_t> values;
  for (int i = 0; i < count; ++i) values.push_back(rng.next_u64());
  return values;
}

struct Moments {
  double mean = 0;
  double variance = 0;
};

template <class Draw>
Moments moments_of(Draw draw, int count = kSamples) {
  double sum = 0;
  double sum_squares = 0;
  for (int i = 0; i < count; ++i) {
    double x = draw();
    sum += x;
    sum_squares += x * x;
  }
  double mean = sum / count;
  return {mean, sum_squares / count - mean * mean};
}

TEST(RngGolden, SplitMix64MatchesReferenceVectors) {
  // The first outputs of Vigna's splitmix64.c from state 0.
  uint64_t state = 0;
  EXPECT_EQ(splitmix64(state), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(splitmix64(state), 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(splitmix64(state), 0x06c45d188009454fULL);
  EXPECT_EQ(splitmix64(state), 0xf88bb8a8724c81ecULL);
}

TEST(RngGolden, StableHashIsFnv1a64) {
  // Test vectors from the FNV reference: the offset basis, "a", "foobar".
  EXPECT_EQ(stable_hash(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(stable_hash("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(stable_hash("foobar"), 0x85944171f73967e8ULL);
}

TEST(RngGolden, Seed42FirstOutputsArePinned) {
  // xoshiro256** seeded by four splitmix64 outputs, checked against an
  // independent transcription of the reference C code.
  std::vector<uint64_t> expected = {0x15780b2e0c2ec716ULL, 0x6104d9866d113a7eULL, 0xae17533239e499a1ULL,
                                    0xecb8ad4703b360a1ULL, 0xfde6dc7fe2ec5e64ULL};
  EXPECT_EQ(draw_u64(Rng(42), 5), expected);
}

TEST(RngGolden, ForkSeedsArePinned) {
  // Scenario replays depend on these; changing the derivation reshuffles
  // every subsystem's stream.
  EXPECT_EQ(Rng(42).fork("net").seed(), 0x5687bd65ca853e92ULL);
  EXPECT_EQ(Rng(42).fork("net").next_u64(), 0xba0de877ec151bebULL);
  EXPECT_EQ(Rng(42).fork("node", 3).seed(), 0x40c447d985ea3769ULL);
}

TEST(RngFork, DrawingElsewhereNeverChangesASiblingStream) {
  Rng untouched(7);
  std::vector<uint64_t> expected = draw_u64(untouched.fork("b"), 100);

  Rng busy(7);
  Rng sibling = busy.fork("a");
  for (int i = 0; i < 1000; ++i) busy.next_u64();
  for (int i = 0; i < 1000; ++i) sibling.next_u64();
  EXPECT_EQ(draw_u64(busy.fork("b"), 100), expected);
}

TEST(RngFork, ForkDoesNotAdvanceTheParent) {
  Rng forked(11);
  Rng plain(11);
  (void)forked.fork("a");
  (void)forked.fork("a", 5);
  EXPECT_EQ(draw_u64(forked, 10), draw_u64(plain, 10));
}

TEST(RngFork, DistinctLabelsAndIndicesGiveDistinctStreams) {
  Rng root(3);
  std::vector<uint64_t> seeds = {root.seed(),
                                 root.fork("a").seed(),
                                 root.fork("b").seed(),
                                 root.fork("a", 0).seed(),
                                 root.fork("a", 1).seed(),
                                 root.fork("b", 0).seed(),
                                 root.fork("a").fork("a").seed()};
  std::sort(seeds.begin(), seeds.end());
  EXPECT_EQ(std::adjacent_find(seeds.begin(), seeds.end()), seeds.end());
  EXPECT_NE(draw_u64(root.fork("a"), 4), draw_u64(root.fork("b"), 4));
}

RC_GTEST_PROP(RngFork, ForkDependsOnlyOnSeedAndLabel, (uint64_t seed, std::string label, uint8_t draws)) {
  Rng fresh(seed);
  Rng used(seed);
  for (int i = 0; i < draws; ++i) used.next_u64();
  RC_ASSERT(fresh.fork(label).seed() == used.fork(label).seed());
  RC_ASSERT(fresh.fork(label, draws).seed() == used.fork(label, draws).seed());
  RC_ASSERT(fresh.fork(label).seed() != fresh.fork(label + "x").seed());
}

RC_GTEST_PROP(RngBelow, AlwaysBelowTheBound, (uint64_t seed, uint64_t bound)) {
  RC_PRE(bound > 0);
  Rng rng(seed);
  for (int i = 0; i < 20; ++i) RC_ASSERT(rng.below(bound) < bound);
}

TEST(RngBelow, SmallBoundIsUniform) {
  Rng rng(1);
  std::array<int, 3> counts{};
  for (int i = 0; i < 3 * kSamples; ++i) ++counts[rng.below(3)];
  for (int count : counts) EXPECT_NEAR(count / (3.0 * kSamples), 1.0 / 3, 0.004);
}

TEST(RngBelow, HugeBoundShowsNoModuloOrMultiplyBias) {
  // bound = 3 * 2^62, so 2^64 / bound = 4/3 exactly and each of the two
  // classic shortcuts gives half of the outputs twice the preimages:
  // "x % bound" favours the lowest third of the range, and multiply-shift
  // without rejection (floor(3x/4)) favours multiples of 3. Unbiased, each
  // group holds a third.
  const uint64_t bound = 0xc000000000000000ULL;
  Rng rng(2);
  int lowest_third = 0;
  int multiple_of_three = 0;
  for (int i = 0; i < kSamples; ++i) {
    uint64_t value = rng.below(bound);
    lowest_third += value < bound / 3;
    multiple_of_three += value % 3 == 0;
  }
  EXPECT_NEAR(lowest_third / double(kSamples), 1.0 / 3, 0.01);
  EXPECT_NEAR(multiple_of_three / double(kSamples), 1.0 / 3, 0.01);
}

TEST(RngUniformInt, BoundsAreInclusive) {
  Rng rng(5);
  std::array<int, 3> counts{};
  for (int i = 0; i < 30'000; ++i) ++counts[rng.uniform_int(-1, 1) + 1];
  for (int count : counts) EXPECT_GT(count, 9'000);
  EXPECT_EQ(rng.uniform_int(17, 17), 17);
}

TEST(RngUniformInt, ExtremeRangesDoNotOverflow) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  Rng rng(6);
  EXPECT_EQ(rng.uniform_int(kMin, kMin), kMin);
  EXPECT_EQ(rng.uniform_int(kMax, kMax), kMax);
  bool saw_low = false;
  bool saw_high = false;
  for (int i = 0; i < 200; ++i) {
    int64_t value = rng.uniform_int(kMax - 1, kMax);
    saw_low |= value == kMax - 1;
    saw_high |= value == kMax;
  }
  EXPECT_TRUE(saw_low && saw_high);
  int negative = 0;
  for (int i = 0; i < 10'000; ++i) negative += rng.uniform_int(kMin, kMax) < 0;
  EXPECT_NEAR(negative / 10'000.0, 0.5, 0.03);
}

RC_GTEST_PROP(RngUniformInt, StaysInsideAnyRange, (uint64_t seed, int64_t a, int64_t b)) {
  int64_t lo = std::min(a, b);
  int64_t hi = std::max(a, b);
  Rng rng(seed);
  for (int i = 0; i < 20; ++i) {
    int64_t value = rng.uniform_int(lo, hi);
    RC_ASSERT(value >= lo);
    RC_ASSERT(value <= hi);
  }
}

TEST(RngDistributions, Uniform01AndUniformReal) {
  Rng rng(10);
  Moments unit = moments_of([&] { return rng.uniform01(); });
  EXPECT_NEAR(unit.mean, 0.5, 0.004);
  EXPECT_NEAR(unit.variance, 1.0 / 12, 0.002);
  Moments real = moments_of([&] { return rng.uniform_real(-2.0, 6.0); });
  EXPECT_NEAR(real.mean, 2.0, 0.03);
  EXPECT_NEAR(real.variance, 64.0 / 12, 0.1);
  for (int i = 0; i < 1000; ++i) {
    double u = rng.uniform01();
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
  }
}

TEST(RngDistributions, Bernoulli) {
  Rng rng(11);
  Moments m = moments_of([&] { return rng.bernoulli(0.3) ? 1.0 : 0.0; });
  EXPECT_NEAR(m.mean, 0.3, 0.006);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_FALSE(rng.bernoulli(0.0));
    EXPECT_TRUE(rng.bernoulli(1.0));
  }
}

TEST(RngDistributions, Exponential) {
  Rng rng(12);
  Moments m = moments_of([&] { return rng.exponential(2.0); });
  EXPECT_NEAR(m.mean, 2.0, 0.03);
  EXPECT_NEAR(m.variance, 4.0, 0.15);
}

TEST(RngDistributions, Normal) {
  Rng rng(13);
  Moments m = moments_of([&] { return rng.normal(3.0, 2.0); });
  EXPECT_NEAR(m.mean, 3.0, 0.03);
  EXPECT_NEAR(m.variance, 4.0, 0.08);
  // A symmetric shape, not just the right two moments.
  int below_one_sigma = 0;
  for (int i = 0; i < kSamples; ++i) below_one_sigma += rng.normal(0.0, 1.0) < -1.0;
  EXPECT_NEAR(below_one_sigma / double(kSamples), 0.158655, 0.005);
}

TEST(RngDistributions, Lognormal) {
  Rng rng(14);
  Moments m = moments_of([&] { return rng.lognormal(0.0, 0.5); });
  EXPECT_NEAR(m.mean, std::exp(0.125), 0.01);
  int below_median = 0;
  for (int i = 0; i < kSamples; ++i) below_median += rng.lognormal(1.0, 0.5) < std::exp(1.0);
  EXPECT_NEAR(below_median / double(kSamples), 0.5, 0.006);
}

TEST(RngDistributions, Pareto) {
  Rng rng(15);
  // Shape 3: mean 1.5, finite variance 0.75, so the sample mean settles.
  Moments m = moments_of([&] { return rng.pareto(1.0, 3.0); });
  EXPECT_NEAR(m.mean, 1.5, 0.015);
  int above_two = 0;
  for (int i = 0; i < kSamples; ++i) {
    double x = rng.pareto(1.0, 3.0);
    EXPECT_GE(x, 1.0);
    above_two += x > 2.0;
  }
  EXPECT_NEAR(above_two / double(kSamples), 0.125, 0.005);  // (1/2)^3
}

// Zipf probabilities 1/(k+1)^s normalised over n ranks.
std::vector<double> zipf_theory(uint64_t n, double s) {
  std::vector<double> p(n);
  for (uint64_t k = 0; k < n; ++k) p[k] = std::pow(double(k + 1), -s);
  double total = std::accumulate(p.begin(), p.end(), 0.0);
  for (double& x : p) x /= total;
  return p;
}

void expect_zipf_matches_theory(uint64_t n, double s, uint64_t seed) {
  Rng rng(seed);
  std::vector<int> counts(n);
  for (int i = 0; i < kSamples; ++i) {
    uint64_t rank = rng.zipf(n, s);
    ASSERT_LT(rank, n);
    ++counts[rank];
  }
  std::vector<double> expected = zipf_theory(n, s);
  for (uint64_t k = 0; k < n; ++k) {
    EXPECT_NEAR(counts[k] / double(kSamples), expected[k], 0.006) << "rank " << k << " s=" << s;
  }
}

TEST(RngZipf, RankFrequenciesMatchTheoryAtExponentOne) {
  // Rank 0 has probability 1/H_10 = 0.3414.
  expect_zipf_matches_theory(10, 1.0, 16);
}

TEST(RngZipf, RankFrequenciesMatchTheoryOffExponentOne) {
  expect_zipf_matches_theory(50, 0.5, 17);
  expect_zipf_matches_theory(20, 2.0, 18);
  expect_zipf_matches_theory(5, 1.0 + 1e-12, 19);  // s next to 1 takes the series branch
}

TEST(RngZipf, HugeRangeNeedsNoTables) {
  Rng rng(20);
  constexpr uint64_t kRanks = 1'000'000'000;
  int rank_zero = 0;
  uint64_t largest = 0;
  for (int i = 0; i < kSamples; ++i) {
    uint64_t rank = rng.zipf(kRanks, 2.0);
    ASSERT_LT(rank, kRanks);
    rank_zero += rank == 0;
    largest = std::max(largest, rank);
  }
  // For s = 2 and huge n, P(rank 0) -> 6/pi^2.
  EXPECT_NEAR(rank_zero / double(kSamples), 6.0 / (std::numbers::pi * std::numbers::pi), 0.006);
  EXPECT_GT(largest, 1000u);
  EXPECT_LT(rng.zipf(kRanks, 1.0), kRanks);
}

TEST(RngZipf, SingleRankIsAlwaysZero) {
  Rng rng(21);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(rng.zipf(1, 1.0), 0u);
}

TEST(RngWeightedIndex, ProportionsFollowWeights) {
  Rng rng(22);
  const std::vector<double> weights = {1.0, 0.0, 3.0, 6.0};
  std::vector<int> counts(weights.size());
  for (int i = 0; i < kSamples; ++i) ++counts[rng.weighted_index(weights)];
  EXPECT_EQ(counts[1], 0);
  EXPECT_NEAR(counts[0] / double(kSamples), 0.1, 0.005);
  EXPECT_NEAR(counts[2] / double(kSamples), 0.3, 0.005);
  EXPECT_NEAR(counts[3] / double(kSamples), 0.6, 0.005);
}

TEST(RngWeightedIndex, TrailingZeroWeightIsNeverChosen) {
  Rng rng(23);
  const std::vector<double> weights = {0.1, 0.2, 0.7, 0.0};
  for (int i = 0; i < 10'000; ++i) EXPECT_LT(rng.weighted_index(weights), 3u);
}

TEST(RngShuffle, IsAPermutationAndDeterministic) {
  std::vector<int> original(100);
  std::iota(original.begin(), original.end(), 0);
  std::vector<int> first = original;
  std::vector<int> again = original;
  std::vector<int> other = original;
  Rng(30).shuffle(first.begin(), first.end());
  Rng(30).shuffle(again.begin(), again.end());
  Rng(31).shuffle(other.begin(), other.end());
  EXPECT_EQ(first, again);
  EXPECT_NE(first, other);
  EXPECT_NE(first, original);
  std::sort(first.begin(), first.end());
  EXPECT_EQ(first, original);
}

TEST(RngShuffle, AllOrdersOfThreeAreEquallyLikely) {
  Rng rng(32);
  std::vector<int> counts(6);
  for (int i = 0; i < 60'000; ++i) {
    std::array<int, 3> items = {0, 1, 2};
    rng.shuffle(items.begin(), items.end());
    // Index the permutation by (first element, whether the rest is ascending).
    ++counts[items[0] * 2 + (items[1] < items[2] ? 0 : 1)];
  }
  for (int count : counts) EXPECT_NEAR(count / 60'000.0, 1.0 / 6, 0.01);
}

TEST(RngShuffle, EmptyAndSingleRangesAreUntouched) {
  Rng rng(33);
  std::vector<int> empty;
  rng.shuffle(empty.begin(), empty.end());
  std::vector<int> one = {7};
  rng.shuffle(one.begin(), one.end());
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(one, std::vector<int>{7});
}

}  // namespace
}  // namespace detsim
