// The noisy-neighbours workload's arithmetic, as pure functions: Poisson
// counts per tick, zipf shares, and the hit ratios of an LRU cache under a
// mix of zipf streams (Che's approximation), which lets a cache node decide
// hits and misses per batch without keeping a key per entry.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/api/basics.h"

namespace detsim::noisy {

// A Poisson(mean) count. Knuth's product of uniforms below mean 10; above,
// Hörmann's transformed rejection with squeeze (PTRS: W. Hörmann, "The
// transformed rejection method for generating Poisson random variables",
// Insurance: Mathematics and Economics 12, 1993), O(1) at any mean.
uint64_t poisson(Rng& rng, double mean);

// The zipf(s) probabilities of ranks 1..n, normalised.
std::vector<double> zipf_shares(int64_t n, double s);

// A tenant's key popularity, zipf(s) over n keys, grouped into geometric
// rank bands so that one evaluation costs ~50 terms, not n: band b holds
// `keys[b]` keys of about equal probability `p[b]` each.
struct KeyBands {
  std::vector<double> keys;
  std::vector<double> p;
};
KeyBands key_bands(int64_t n, double s);

// One LRU cache shared by several streams (tenants), each with a request
// rate and its key bands. Che's approximation (H. Che, Y. Tung, Z. Wang,
// "Hierarchical Web caching systems: modeling, design and experimental
// results", IEEE JSAC 20(7), 2002; Fagin 1977): a key with rate r is in the
// cache with probability 1 - exp(-r T), where the characteristic time T
// solves sum over keys of (1 - exp(-r T)) = capacity. Returns each
// stream's hit ratio; all ones when every key fits.
struct Stream {
  double rate = 0;  // requests per second
  const KeyBands* bands = nullptr;
};
std::vector<double> lru_hit_ratios(const std::vector<Stream>& streams, double capacity);

}  // namespace detsim::noisy
