#include "sim/metrics/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "sim/core/assert.h"

namespace detsim {
namespace {

constexpr uint64_t kSubBuckets = uint64_t{1} << Histogram::kSubBucketBits;

uint64_t to_ns(Duration value) { return value.count_ns() < 0 ? 0 : static_cast<uint64_t>(value.count_ns()); }

}  // namespace

// Values below kSubBuckets have a bucket each; above, the octave
// [2^e, 2^(e+1)) has kSubBuckets buckets of width 2^(e - kSubBucketBits).
size_t Histogram::bucket_of(uint64_t ns) {
  if (ns < kSubBuckets) return static_cast<size_t>(ns);
  const int exponent = 63 - std::countl_zero(ns);
  const int shift = exponent - kSubBucketBits;
  const uint64_t sub = (ns >> shift) - kSubBuckets;
  return static_cast<size_t>(kSubBuckets + static_cast<uint64_t>(shift) * kSubBuckets + sub);
}

uint64_t Histogram::bucket_low(size_t bucket) {
  if (bucket < kSubBuckets) return bucket;
  const uint64_t shift = (bucket - kSubBuckets) / kSubBuckets;
  const uint64_t sub = (bucket - kSubBuckets) % kSubBuckets;
  return (kSubBuckets + sub) << shift;
}

uint64_t Histogram::bucket_high(size_t bucket) {
  if (bucket < kSubBuckets) return bucket;
  const uint64_t shift = (bucket - kSubBuckets) / kSubBuckets;
  return bucket_low(bucket) + (uint64_t{1} << shift) - 1;
}

void Histogram::record(Duration value, uint64_t count) {
  if (count == 0) return;
  const uint64_t ns = to_ns(value);
  const size_t bucket = bucket_of(ns);
  if (bucket >= buckets_.size()) buckets_.resize(bucket + 1, 0);
  buckets_[bucket] += count;
  count_ += count;
  sum_ns_ += static_cast<unsigned __int128>(ns) * count;
  min_ns_ = std::min(min_ns_, ns);
  max_ns_ = std::max(max_ns_, ns);
}

// The midpoints of kSpreadPoints equal slices of [low, high], each with an
// equal share of count (the remainder goes to the first slices), so the
// mean is exact up to rounding and quantiles are off by at most half a slice.
void Histogram::record_spread(Duration low, Duration high, uint64_t count) {
  DETSIM_ASSERT(low <= high);
  if (count == 0) return;
  const uint64_t points = std::min(count, kSpreadPoints);
  const uint64_t share = count / points;
  const uint64_t remainder = count % points;
  const int64_t width_ns = (high - low).count_ns();
  for (uint64_t i = 0; i < points; ++i) {
    const int64_t offset_ns = static_cast<int64_t>((static_cast<__int128>(width_ns) * (2 * i + 1)) / (2 * points));
    record(low + Duration::nanoseconds(offset_ns), share + (i < remainder ? 1 : 0));
  }
}

void Histogram::merge(const Histogram& other) {
  if (other.count_ == 0) return;
  if (other.buckets_.size() > buckets_.size()) buckets_.resize(other.buckets_.size(), 0);
  for (size_t i = 0; i < other.buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ns_ += other.sum_ns_;
  min_ns_ = std::min(min_ns_, other.min_ns_);
  max_ns_ = std::max(max_ns_, other.max_ns_);
}

double Histogram::mean_s() const {
  if (count_ == 0) return 0;
  return static_cast<double>(sum_ns_ / count_) / 1e9 + static_cast<double>(sum_ns_ % count_) / count_ / 1e9;
}

// The bucket's midpoint, clamped to the extremes seen, so a histogram of
// one value answers that value for every q.
Duration Histogram::quantile(double q) const {
  if (count_ == 0) return Duration::zero();
  DETSIM_ASSERT(q >= 0 && q <= 1);
  const double wanted = std::ceil(q * static_cast<double>(count_));
  const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(wanted));
  uint64_t seen = 0;
  for (size_t bucket = 0; bucket < buckets_.size(); ++bucket) {
    seen += buckets_[bucket];
    if (seen < rank) continue;
    const uint64_t middle = bucket_low(bucket) + (bucket_high(bucket) - bucket_low(bucket)) / 2;
    const uint64_t value = std::clamp(middle, min_ns_, max_ns_);
    return Duration::nanoseconds(static_cast<int64_t>(value));
  }
  return max();
}

double Histogram::quantile_s(double q) const { return quantile(q).to_seconds(); }

}  // namespace detsim
