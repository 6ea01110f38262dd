// Deterministic random numbers. xoshiro256** (Blackman & Vigna, 2018) seeded
// through splitmix64, with the engine's own distributions: <random>'s
// distributions give different numbers on different standard libraries.
//
// Streams are forked by label: fork("net") derives its seed from this
// stream's *seed* and the label, never from the current state, so adding a
// consumer never shifts the numbers any other stream draws (TigerBeetle
// gives each subsystem its own sub-seed for the same reason).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include "sim/core/time.h"

namespace detsim {

// Inline, because they run per message, per log entry and per checksum:
// out of line, the call was about 10% of raft_kv's time at 40 clients.
//
// Steele, Lea & Flood (2014), "Fast splittable pseudorandom number
// generators"; the constants are those of Vigna's splitmix64.c.
inline uint64_t splitmix64(uint64_t& state) {
  state += 0x9e3779b97f4a7c15;
  uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

// A 64-bit hash of text that is the same on every platform (FNV-1a 64:
// offset basis 14695981039346656037, prime 2^40 + 2^8 + 0xb3). Bytes are
// read unsigned so char's signedness is moot.
inline uint64_t stable_hash(std::string_view text) {
  uint64_t hash = 0xcbf29ce484222325;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3;
  }
  return hash;
}

class Rng {
 public:
  explicit Rng(uint64_t seed);

  uint64_t seed() const { return seed_; }
  // An independent stream named by label; does not advance *this.
  Rng fork(std::string_view label) const;
  // The same, for numbered children (node 3's stream, actor 12's stream).
  Rng fork(std::string_view label, uint64_t index) const;
  // Mixes salt into the seed and the state: the draws from here on, and the
  // streams forked from here on, differ. For `detsim explore`'s branches,
  // which reseed the future of a run at an event boundary.
  void perturb(uint64_t salt);

  uint64_t next_u64();

  // Uniform in [0, bound), bound > 0, unbiased (Lemire 2019, "Fast random
  // integer generation in an interval").
  uint64_t below(uint64_t bound);
  // Uniform in [lo, hi], both inclusive, lo <= hi.
  int64_t uniform_int(int64_t lo, int64_t hi);
  // Uniform in [0, 1) with 53 random bits.
  double uniform01();
  double uniform_real(double lo, double hi);
  bool bernoulli(double p);
  double exponential(double mean);
  double normal(double mean, double stddev);
  // exp(normal(mu, sigma)).
  double lognormal(double mu, double sigma);
  // Pareto type I: scale x_m > 0, shape alpha > 0; values >= scale.
  double pareto(double scale, double shape);
  // Zipf over ranks [0, n) with exponent s > 0: rank 0 is the most likely.
  uint64_t zipf(uint64_t n, double s);
  // Index i with probability weights[i] / sum(weights); weights >= 0, sum > 0.
  size_t weighted_index(std::span<const double> weights);

  Duration exponential(Duration mean) { return Duration::from_seconds(exponential(mean.to_seconds())); }
  Duration uniform(Duration lo, Duration hi) {
    return Duration::nanoseconds(uniform_int(lo.count_ns(), hi.count_ns()));
  }

  // Fisher-Yates.
  template <class RandomIt>
  void shuffle(RandomIt first, RandomIt last) {
    auto n = last - first;
    for (auto i = n - 1; i > 0; --i) {
      auto j = static_cast<decltype(i)>(below(static_cast<uint64_t>(i) + 1));
      using std::swap;
      swap(first[i], first[j]);
    }
  }

 private:
  uint64_t seed_;
  uint64_t s_[4];
  // The second normal of a polar-method pair is not cached, so a stream's
  // position depends only on how many draws were made, not their kinds.
};

}  // namespace detsim
