// A distribution of durations, written in scenario files and --set as text:
//
//   "5ms"                      constant (same as "const(5ms)")
//   "uniform(1ms, 10ms)"       uniform in [lo, hi]
//   "exponential(2ms)"         mean 2 ms
//   "normal(5ms, 1ms)"         mean, stddev; clamped at 0
//   "lognormal(5ms, 0.5)"      median, sigma of the underlying normal
//   "pareto(1ms, 1.5)"         scale (minimum), shape alpha
//
// Samples are never negative.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "sim/core/rng.h"
#include "sim/core/time.h"

namespace detsim {

// Parses "1.5s", "500ms", "20us", "7ns", "2m" (minutes), "0". Returns
// nullopt on anything else (no unit, negative, junk after the number).
std::optional<Duration> parse_duration(std::string_view text);
// "1.500s", "20ms", "3us": the shortest exact form; parse_duration reads it back.
std::string format_duration(Duration d);

class DurationDist {
 public:
  enum class Kind { constant, uniform, exponential, normal, lognormal, pareto };

  DurationDist() = default;  // constant zero
  static DurationDist constant(Duration d);
  static DurationDist uniform(Duration lo, Duration hi);
  static DurationDist exponential(Duration mean);

  // On failure returns nullopt and sets *error to a one-line reason that
  // says what was expected.
  static std::optional<DurationDist> parse(std::string_view text, std::string* error);

  Duration sample(Rng& rng) const;
  Duration mean() const;
  Kind kind() const { return kind_; }
  // Text that parse() reads back to an equal distribution.
  std::string to_string() const;

 private:
  Kind kind_ = Kind::constant;
  Duration a_;        // constant value, lo, mean, median or scale
  Duration b_;        // hi or stddev
  double shape_ = 0;  // lognormal sigma or pareto alpha
};

}  // namespace detsim
