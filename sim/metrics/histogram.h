// A log-linear histogram of non-negative durations, in the spirit of
// HdrHistogram (Gil Tene): each power of two is split into 64 equal
// sub-buckets, so a recorded value is kept to within 1/64 (1.6%) of itself,
// at any scale from nanoseconds to hours, in a fixed ~30 KiB. Counts are
// weighted, so one batch of n rows is one call, not n.
//
//   Histogram lag;
//   lag.record_spread(apply - commit_last, apply - commit_first, rows);
//   lag.quantile(0.99);  // seconds
//
// Everything is integer nanoseconds inside; the mean is kept exactly (as a
// sum), quantiles to bucket precision. Deterministic: no floating-point
// state depends on the order of merges.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/core/time.h"

namespace detsim {

class Histogram {
 public:
  // Values below zero are recorded as zero.
  void record(Duration value, uint64_t count = 1);
  // count samples spread evenly over [low, high]: a batch whose rows were
  // committed over a range of times and applied at once. At most
  // kSpreadPoints calls to record(), so the cost does not grow with count.
  void record_spread(Duration low, Duration high, uint64_t count);
  void merge(const Histogram& other);

  uint64_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  Duration min() const { return count_ ? Duration::nanoseconds(static_cast<int64_t>(min_ns_)) : Duration::zero(); }
  Duration max() const { return count_ ? Duration::nanoseconds(static_cast<int64_t>(max_ns_)) : Duration::zero(); }
  double mean_s() const;
  // The smallest recorded value v such that at least q of the samples are
  // <= v (to bucket precision; q in [0, 1]). Zero when empty.
  Duration quantile(double q) const;
  double quantile_s(double q) const;

  static constexpr int kSubBucketBits = 6;
  static constexpr uint64_t kSpreadPoints = 16;

 private:
  static size_t bucket_of(uint64_t ns);
  static uint64_t bucket_low(size_t bucket);
  static uint64_t bucket_high(size_t bucket);  // inclusive

  std::vector<uint64_t> buckets_;  // grown on demand
  uint64_t count_ = 0;
  // The exact sum, in ns: 2^64 ns is 584 years of total lag; a long sweep
  // of 300M rows at 1 s each stays far below.
  unsigned __int128 sum_ns_ = 0;
  uint64_t min_ns_ = UINT64_MAX;
  uint64_t max_ns_ = 0;
};

}  // namespace detsim
