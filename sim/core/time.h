// Simulated time. Both types are int64 nanoseconds behind a strong type, so
// a Time can never be passed where a Duration is meant (LevelDB and ns-3 keep
// the same split). Virtual time starts at Time::zero() for every run.
#pragma once

#include <compare>
#include <cstdint>
#include <limits>

namespace detsim {

class Duration {
 public:
  constexpr Duration() = default;
  static constexpr Duration nanoseconds(int64_t n) { return Duration(n); }
  static constexpr Duration microseconds(int64_t n) { return Duration(n * 1'000); }
  static constexpr Duration milliseconds(int64_t n) { return Duration(n * 1'000'000); }
  static constexpr Duration seconds(int64_t n) { return Duration(n * 1'000'000'000); }
  // Rounds to the nearest nanosecond; used for sampled delays.
  static constexpr Duration from_seconds(double s) {
    double ns = s * 1e9;
    return Duration(static_cast<int64_t>(ns < 0 ? ns - 0.5 : ns + 0.5));
  }
  static constexpr Duration zero() { return Duration(0); }
  static constexpr Duration max() { return Duration(std::numeric_limits<int64_t>::max()); }

  constexpr int64_t count_ns() const { return ns_; }
  constexpr double to_seconds() const { return static_cast<double>(ns_) / 1e9; }
  constexpr double to_milliseconds() const { return static_cast<double>(ns_) / 1e6; }

  constexpr Duration operator+(Duration o) const { return Duration(ns_ + o.ns_); }
  constexpr Duration operator-(Duration o) const { return Duration(ns_ - o.ns_); }
  constexpr Duration operator-() const { return Duration(-ns_); }
  constexpr Duration operator*(int64_t k) const { return Duration(ns_ * k); }
  constexpr Duration operator/(int64_t k) const { return Duration(ns_ / k); }
  constexpr int64_t operator/(Duration o) const { return ns_ / o.ns_; }
  constexpr Duration& operator+=(Duration o) {
    ns_ += o.ns_;
    return *this;
  }
  constexpr Duration& operator-=(Duration o) {
    ns_ -= o.ns_;
    return *this;
  }
  constexpr auto operator<=>(const Duration&) const = default;

 private:
  constexpr explicit Duration(int64_t ns) : ns_(ns) {}
  int64_t ns_ = 0;
};

// The longest span any input may give (a parameter, a distribution's
// argument or sample, a fault action's time or length): 100 days of
// simulated time. Far below int64 nanoseconds, so sums of many never wrap.
inline constexpr Duration kLongestDuration = Duration::seconds(100 * 86400);

class Time {
 public:
  constexpr Time() = default;
  static constexpr Time zero() { return Time(0); }
  static constexpr Time max() { return Time(std::numeric_limits<int64_t>::max()); }
  static constexpr Time from_ns(int64_t ns) { return Time(ns); }

  constexpr int64_t count_ns() const { return ns_; }
  constexpr double to_seconds() const { return static_cast<double>(ns_) / 1e9; }
  constexpr Duration since_start() const { return Duration::nanoseconds(ns_); }

  // Saturates at Time::max() so "now + timeout" never wraps for huge timeouts.
  constexpr Time operator+(Duration d) const {
    if (d.count_ns() > 0 && ns_ > std::numeric_limits<int64_t>::max() - d.count_ns()) return max();
    return Time(ns_ + d.count_ns());
  }
  constexpr Time operator-(Duration d) const { return Time(ns_ - d.count_ns()); }
  constexpr Duration operator-(Time o) const { return Duration::nanoseconds(ns_ - o.ns_); }
  constexpr Time& operator+=(Duration d) {
    *this = *this + d;
    return *this;
  }
  constexpr auto operator<=>(const Time&) const = default;

 private:
  constexpr explicit Time(int64_t ns) : ns_(ns) {}
  int64_t ns_ = 0;
};

// A node's wall clock reading (CLOCK_REALTIME): nanoseconds since the Unix
// epoch. A separate type from Time because it may run fast or slow and jump
// backwards, and must never be mixed up with the simulated monotonic time.
class WallTime {
 public:
  constexpr WallTime() = default;
  static constexpr WallTime from_unix_ns(int64_t ns) { return WallTime(ns); }
  constexpr int64_t unix_ns() const { return ns_; }
  constexpr WallTime operator+(Duration d) const { return WallTime(ns_ + d.count_ns()); }
  constexpr WallTime operator-(Duration d) const { return WallTime(ns_ - d.count_ns()); }
  constexpr Duration operator-(WallTime o) const { return Duration::nanoseconds(ns_ - o.ns_); }
  constexpr auto operator<=>(const WallTime&) const = default;

 private:
  constexpr explicit WallTime(int64_t ns) : ns_(ns) {}
  int64_t ns_ = 0;
};

namespace time_literals {
constexpr Duration operator""_ns(unsigned long long n) { return Duration::nanoseconds(static_cast<int64_t>(n)); }
constexpr Duration operator""_us(unsigned long long n) { return Duration::microseconds(static_cast<int64_t>(n)); }
constexpr Duration operator""_ms(unsigned long long n) { return Duration::milliseconds(static_cast<int64_t>(n)); }
constexpr Duration operator""_s(unsigned long long n) { return Duration::seconds(static_cast<int64_t>(n)); }
}  // namespace time_literals

}  // namespace detsim
