// Deterministic random numbers: see rng.h for why the engine carries its own
// generator and distributions. Everything here is built from integer
// arithmetic and <cmath>, so a seed gives the same numbers on every standard
// library (up to the last ulp of the libm functions).
#include "sim/core/rng.h"

#include <cmath>
#include <limits>

#include "sim/core/assert.h"

namespace detsim {
namespace {

constexpr uint64_t rotate_left(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// Salts that start fork(label) and fork(label, index) from different chain
// values, so fork("a") and fork("a", i) meet only by a 2^-64 accident.
constexpr uint64_t kForkSalt = 0x6a09e667f3bcc908;         // frac(sqrt(2))
constexpr uint64_t kIndexedForkSalt = 0xbb67ae8584caa73b;  // frac(sqrt(3))
constexpr uint64_t kPerturbSalt = 0x3c6ef372fe94f82b;      // frac(sqrt(5))

// One round of "xor in a word, then scramble": splitmix64's output function
// is a bijection of its state, so for a fixed chain value distinct words
// always give distinct results.
uint64_t absorb(uint64_t chain, uint64_t word) {
  uint64_t state = chain ^ word;
  return splitmix64(state);
}

// Hörmann & Derflinger (1996), "Rejection-inversion to generate variates from
// monotone discrete distributions", for h(x) = x^-s on ranks 1..n. H is an
// antiderivative of h and H_inverse its inverse; both are written through
// log1p/expm1 helpers so that s == 1 (where H is log x) needs no special case
// and s near 1 loses no precision.
class ZipfRejectionInversion {
 public:
  ZipfRejectionInversion(uint64_t n, double s) : n_(static_cast<double>(n)), s_(s) {
    h_integral_x1_ = h_integral(1.5) - 1.0;
    h_integral_n_ = h_integral(n_ + 0.5);
    squeeze_ = 2.0 - h_integral_inverse(h_integral(2.5) - h(2.0));
  }

  uint64_t draw(Rng& rng) const {
    while (true) {
      // u runs over (H(1.5) - h(1), H(n + 0.5)]: the area under the hat.
      double u = h_integral_n_ + rng.uniform01() * (h_integral_x1_ - h_integral_n_);
      double x = h_integral_inverse(u);
      double k = std::floor(x + 0.5);
      if (k < 1.0) k = 1.0;
      if (k > n_) k = n_;
      // The squeeze accepts most draws without evaluating H again.
      if (k - x <= squeeze_ || u >= h_integral(k + 0.5) - h(k)) {
        return static_cast<uint64_t>(k) - 1;
      }
    }
  }

 private:
  double h(double x) const { return std::exp(-s_ * std::log(x)); }
  // (x^(1-s) - 1) / (1-s), which tends to log x as s -> 1.
  double h_integral(double x) const {
    double log_x = std::log(x);
    return expm1_over_x((1.0 - s_) * log_x) * log_x;
  }
  double h_integral_inverse(double y) const {
    double t = y * (1.0 - s_);
    // For s > 1, H is bounded by 1/(s-1); rounding may push t to -1.
    if (t < -1.0) t = -1.0;
    return std::exp(log1p_over_x(t) * y);
  }
  // expm1(x)/x and log1p(x)/x, continued to their limit 1 at x = 0 by the
  // first Taylor terms where the quotient would cancel.
  static double expm1_over_x(double x) {
    if (std::fabs(x) > 1e-8) return std::expm1(x) / x;
    return 1.0 + x * 0.5 * (1.0 + x / 3.0);
  }
  static double log1p_over_x(double x) {
    if (std::fabs(x) > 1e-8) return std::log1p(x) / x;
    return 1.0 - x * (0.5 - x / 3.0);
  }

  double n_;
  double s_;
  double h_integral_x1_;
  double h_integral_n_;
  double squeeze_;
};

}  // namespace

Rng::Rng(uint64_t seed) : seed_(seed) {
  // Vigna's recommended seeding: four splitmix64 outputs. They come from four
  // distinct splitmix64 states, so at most one is zero and the all-zero
  // state that xoshiro can never leave is unreachable.
  uint64_t state = seed;
  for (uint64_t& word : s_) word = splitmix64(state);
  // Invariant: xoshiro256** is stuck at zero forever from the all-zero state.
  DETSIM_ASSERT((s_[0] | s_[1] | s_[2] | s_[3]) != 0);
}

Rng Rng::fork(std::string_view label) const {
  // From seed_, not s_: the child must not depend on how far *this has run.
  uint64_t chain = absorb(seed_, kForkSalt);
  return Rng(absorb(chain, stable_hash(label)));
}

Rng Rng::fork(std::string_view label, uint64_t index) const {
  uint64_t chain = absorb(seed_, kIndexedForkSalt);
  chain = absorb(chain, stable_hash(label));
  return Rng(absorb(chain, index));
}

void Rng::perturb(uint64_t salt) {
  seed_ = absorb(absorb(seed_, kPerturbSalt), salt);
  uint64_t state = seed_;
  for (uint64_t& word : s_) word ^= splitmix64(state);
  // The all-zero state is a fixed point of xoshiro; leave it at once.
  if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 1;
}

// xoshiro256** 1.0 (Blackman & Vigna, 2018, "Scrambled linear pseudorandom
// number generators").
uint64_t Rng::next_u64() {
  uint64_t result = rotate_left(s_[1] * 5, 7) * 9;
  uint64_t shifted = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= shifted;
  s_[3] = rotate_left(s_[3], 45);
  return result;
}

// Lemire (2019): the high word of x * bound is uniform once the low words
// that fall in the first (2^64 mod bound) values are rejected. The modulo is
// computed only when the low word is small enough for rejection to be
// possible, which is rare for small bounds.
uint64_t Rng::below(uint64_t bound) {
  // Invariant: [0, 0) is empty, there is nothing to draw.
  DETSIM_ASSERT(bound > 0);
  unsigned __int128 product = static_cast<unsigned __int128>(next_u64()) * bound;
  uint64_t low = static_cast<uint64_t>(product);
  if (low < bound) {
    uint64_t threshold = (0 - bound) % bound;  // 2^64 mod bound
    while (low < threshold) {
      product = static_cast<unsigned __int128>(next_u64()) * bound;
      low = static_cast<uint64_t>(product);
    }
  }
  return static_cast<uint64_t>(product >> 64);
}

int64_t Rng::uniform_int(int64_t lo, int64_t hi) {
  DETSIM_ASSERT(lo <= hi);
  // Work in uint64: hi - lo may not fit int64, but it always fits uint64,
  // and C++20 defines the conversion back as modular.
  uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  uint64_t offset = span == std::numeric_limits<uint64_t>::max() ? next_u64() : below(span + 1);
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + offset);
}

double Rng::uniform01() {
  // The top 53 bits, scaled by 2^-53: every double k/2^53 in [0, 1) equally.
  return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
}

double Rng::uniform_real(double lo, double hi) {
  DETSIM_ASSERT(lo <= hi);
  return lo + (hi - lo) * uniform01();
}

bool Rng::bernoulli(double p) {
  DETSIM_ASSERT(p >= 0.0);
  DETSIM_ASSERT(p <= 1.0);
  // One draw whatever p is, so p never changes the stream's position.
  return uniform01() < p;
}

double Rng::exponential(double mean) {
  DETSIM_ASSERT(mean >= 0.0);
  // Inverse CDF; 1 - u is in (0, 1], so the logarithm is finite.
  return -mean * std::log1p(-uniform01());
}

// Marsaglia & Bray (1964), the polar method: a point uniform in the unit disc
// gives a normal deviate without sin/cos. The pair's second deviate is
// dropped (see rng.h).
double Rng::normal(double mean, double stddev) {
  DETSIM_ASSERT(stddev >= 0.0);
  double x = 0;
  double radius_squared = 0;
  do {
    x = 2.0 * uniform01() - 1.0;
    double y = 2.0 * uniform01() - 1.0;
    radius_squared = x * x + y * y;
  } while (radius_squared >= 1.0 || radius_squared == 0.0);
  return mean + stddev * x * std::sqrt(-2.0 * std::log(radius_squared) / radius_squared);
}

double Rng::lognormal(double mu, double sigma) { return std::exp(normal(mu, sigma)); }

double Rng::pareto(double scale, double shape) {
  DETSIM_ASSERT(scale > 0.0);
  DETSIM_ASSERT(shape > 0.0);
  // Inverse of F(x) = 1 - (scale/x)^shape. 1 - u is exact for a 53-bit u and
  // never 0, so the result is >= scale (it may be +inf for tiny shapes).
  return scale * std::pow(1.0 - uniform01(), -1.0 / shape);
}

uint64_t Rng::zipf(uint64_t n, double s) {
  DETSIM_ASSERT(n >= 1);
  // Ranks are computed in double; past 2^53 they would no longer be exact.
  DETSIM_ASSERT(n <= (uint64_t{1} << 53));
  DETSIM_ASSERT(s > 0.0);
  return ZipfRejectionInversion(n, s).draw(*this);
}

size_t Rng::weighted_index(std::span<const double> weights) {
  double total = 0;
  for (double weight : weights) {
    // Invariant: a probability weight is a finite non-negative number.
    DETSIM_ASSERT(weight >= 0.0);
    DETSIM_ASSERT(std::isfinite(weight));
    total += weight;
  }
  DETSIM_ASSERT(total > 0.0);
  double target = uniform01() * total;
  size_t last_positive = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] <= 0.0) continue;
    last_positive = i;
    target -= weights[i];
    if (target < 0.0) return i;
  }
  // Rounding in the running sum can leave target a hair above zero; the
  // draw then belongs to the last index that can be drawn at all.
  return last_positive;
}

}  // namespace detsim
