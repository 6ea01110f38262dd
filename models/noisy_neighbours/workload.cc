#include "models/noisy_neighbours/workload.h"

#include <algorithm>
#include <cmath>

namespace detsim::noisy {
namespace {

uint64_t poisson_knuth(Rng& rng, double mean) {
  const double limit = std::exp(-mean);
  uint64_t k = 0;
  double product = rng.uniform01();
  while (product > limit) {
    ++k;
    product *= rng.uniform01();
  }
  return k;
}

// Hörmann (1993), algorithm PTRS, for mean >= 10.
uint64_t poisson_ptrs(Rng& rng, double mean) {
  const double smu = std::sqrt(mean);
  const double b = 0.931 + 2.53 * smu;
  const double a = -0.059 + 0.02483 * b;
  const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
  const double v_r = 0.9277 - 3.6224 / (b - 2);
  const double log_mean = std::log(mean);
  while (true) {
    const double u = rng.uniform01() - 0.5;
    const double v = rng.uniform01();
    const double us = 0.5 - std::abs(u);
    const double k = std::floor((2 * a / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= v_r) return static_cast<uint64_t>(k);
    if (k < 0 || (us < 0.013 && v > us)) continue;
    const double lhs = std::log(v) + std::log(inv_alpha) - std::log(a / (us * us) + b);
    const double rhs = -mean + k * log_mean - std::lgamma(k + 1);
    if (lhs <= rhs) return static_cast<uint64_t>(k);
  }
}

// Keys cached at characteristic time t, summed over every stream's keys.
double occupancy(const std::vector<Stream>& streams, double t) {
  double total = 0;
  for (const Stream& stream : streams) {
    const KeyBands& bands = *stream.bands;
    for (size_t b = 0; b < bands.p.size(); ++b) total += bands.keys[b] * -std::expm1(-stream.rate * bands.p[b] * t);
  }
  return total;
}

}  // namespace

uint64_t poisson(Rng& rng, double mean) {
  if (mean <= 0) return 0;
  return mean < 10 ? poisson_knuth(rng, mean) : poisson_ptrs(rng, mean);
}

std::vector<double> zipf_shares(int64_t n, double s) {
  std::vector<double> shares(static_cast<size_t>(n));
  double total = 0;
  for (int64_t i = 0; i < n; ++i) {
    shares[static_cast<size_t>(i)] = std::pow(static_cast<double>(i + 1), -s);
    total += shares[static_cast<size_t>(i)];
  }
  for (double& share : shares) share /= total;
  return shares;
}

KeyBands key_bands(int64_t n, double s) {
  // Bands [lo, hi) of ranks, 1-based; each about 1.25x the last, the first
  // 16 one rank each, where the probabilities differ most.
  KeyBands out;
  double total = 0;
  int64_t lo = 1;
  while (lo <= n) {
    const int64_t hi = std::min(n + 1, std::max(lo + 1, static_cast<int64_t>(static_cast<double>(lo) * 1.25)));
    double mass = 0;
    for (int64_t r = lo; r < hi; ++r) mass += std::pow(static_cast<double>(r), -s);
    out.keys.push_back(static_cast<double>(hi - lo));
    out.p.push_back(mass / static_cast<double>(hi - lo));
    total += mass;
    lo = hi;
  }
  for (double& p : out.p) p /= total;
  return out;
}

std::vector<double> lru_hit_ratios(const std::vector<Stream>& streams, double capacity) {
  double all_keys = 0;
  for (const Stream& stream : streams) {
    for (double k : stream.bands->keys) all_keys += k;
  }
  std::vector<double> ratios(streams.size(), 1.0);
  if (capacity >= all_keys) return ratios;
  if (capacity <= 0) return std::vector<double>(streams.size(), 0.0);
  // occupancy() rises with t from 0 to all_keys: bisect on log t.
  double lo = 1e-9;
  double hi = 1e9;
  for (int i = 0; i < 60; ++i) {
    const double mid = std::sqrt(lo * hi);
    (occupancy(streams, mid) < capacity ? lo : hi) = mid;
  }
  for (size_t i = 0; i < streams.size(); ++i) {
    const KeyBands& bands = *streams[i].bands;
    double hit = 0;
    for (size_t b = 0; b < bands.p.size(); ++b) {
      hit += bands.keys[b] * bands.p[b] * -std::expm1(-streams[i].rate * bands.p[b] * lo);
    }
    ratios[i] = streams[i].rate > 0 ? hit : 0;
  }
  return ratios;
}

}  // namespace detsim::noisy
