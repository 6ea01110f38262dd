// Durations and duration distributions as text: exact parsing, shortest
// formatting that reads back, one-line errors, and sampling that matches the
// stated mean and never goes negative.
#include "sim/core/duration_dist.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

namespace detsim {
namespace {

using namespace time_literals;

constexpr int kSamples = 200'000;

Duration ns(int64_t count) { return Duration::nanoseconds(count); }

DurationDist parse_or_die(std::string_view text) {
  std::string error;
  auto dist = DurationDist::parse(text, &error);
  EXPECT_TRUE(dist.has_value()) << text << ": " << error;
  return dist.value_or(DurationDist());
}

double sample_mean_ms(const DurationDist& dist, uint64_t seed) {
  Rng rng(seed);
  double sum_ms = 0;
  for (int i = 0; i < kSamples; ++i) {
    Duration d = dist.sample(rng);
    EXPECT_GE(d, Duration::zero());
    sum_ms += d.to_milliseconds();
  }
  return sum_ms / kSamples;
}

TEST(ParseDuration, AcceptsEveryUnitAndExactDecimals) {
  struct Case {
    std::string_view text;
    Duration expected;
  };
  const std::vector<Case> cases = {
      {"0", ns(0)},
      {"0s", ns(0)},
      {"0ns", ns(0)},
      {"7ns", 7_ns},
      {"20us", 20_us},
      {"500ms", 500_ms},
      {"1.5s", 1500_ms},
      {"2m", 120_s},
      {"1.5m", 90_s},
      {"0.5ms", 500_us},
      {"1.000s", 1_s},
      {"1.1s", 1100_ms},  // exact, not 1.1 * 1e9 in floating point
      {"0.25us", 250_ns},
      {"0.00000000005m", 3_ns},
      {"9223372036.854775807s", Duration::max()},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(parse_duration(c.text), std::optional<Duration>(c.expected)) << c.text;
  }
}

TEST(ParseDuration, RejectsEverythingElse) {
  const std::vector<std::string_view> bad = {
      "",
      "5",
      "00",
      "-5ms",
      "+5ms",
      "5 ms",
      " 5ms",
      "5ms ",
      "5msx",
      "ms",
      ".5s",
      "5.s",
      "1.5ns",
      "5e3ms",
      "1h",
      "5MS",
      "0x10ms",
      "1,5s",
      "1..5s",
      "9223372036.854775808s",
      "99999999999999999999s",
  };
  for (std::string_view text : bad) EXPECT_EQ(parse_duration(text), std::nullopt) << text;
}

TEST(FormatDuration, PicksTheShortestNaturalUnit) {
  EXPECT_EQ(format_duration(ns(0)), "0s");
  EXPECT_EQ(format_duration(1_ns), "1ns");
  EXPECT_EQ(format_duration(3_us), "3us");
  EXPECT_EQ(format_duration(20_ms), "20ms");
  EXPECT_EQ(format_duration(1500_ms), "1.5s");
  EXPECT_EQ(format_duration(1500_us), "1.5ms");
  EXPECT_EQ(format_duration(1250_ms), "1.25s");
  // Never "0.1s": a unit is used only once the value reaches one of it.
  EXPECT_EQ(format_duration(100_ms), "100ms");
  EXPECT_EQ(format_duration(60_s), "1m");
  EXPECT_EQ(format_duration(90_s), "90s");
  EXPECT_EQ(format_duration(20_s), "20s");
  EXPECT_EQ(format_duration(ns(1'234'567)), "1234567ns");
  EXPECT_EQ(format_duration(Duration::max()), "9223372036.854775807s");
  EXPECT_EQ(format_duration(-(5_ms)), "-5ms");
}

RC_GTEST_PROP(FormatDuration, RoundTripsAnyNonNegativeDuration, ()) {
  int64_t count = *rc::gen::inRange<int64_t>(0, std::numeric_limits<int64_t>::max());
  Duration d = ns(count);
  RC_ASSERT(parse_duration(format_duration(d)) == std::optional<Duration>(d));
}

RC_GTEST_PROP(FormatDuration, RoundTripsRoundValues, ()) {
  // Random durations are almost all odd nanosecond counts; these exercise
  // the unit choice with values people actually write.
  int64_t unit = *rc::gen::element<int64_t>(1, 1'000, 1'000'000, 1'000'000'000, 60'000'000'000);
  int64_t count = *rc::gen::inRange<int64_t>(0, 100'000);
  int64_t divisor = *rc::gen::element<int64_t>(1, 2, 4, 10, 100);
  Duration d = ns(count * unit / divisor);
  RC_ASSERT(parse_duration(format_duration(d)) == std::optional<Duration>(d));
}

TEST(DurationDistParse, ReadsEveryFormWithLooseWhitespace) {
  struct Case {
    std::string_view text;
    DurationDist::Kind kind;
    std::string_view canonical;
  };
  using Kind = DurationDist::Kind;
  const std::vector<Case> cases = {
      {"5ms", Kind::constant, "5ms"},
      {"  0 ", Kind::constant, "0s"},
      {"const(5ms)", Kind::constant, "5ms"},
      {"  uniform( 1ms ,10ms ) ", Kind::uniform, "uniform(1ms, 10ms)"},
      {"exponential(2ms)", Kind::exponential, "exponential(2ms)"},
      {"\tnormal (5ms,1ms)\n", Kind::normal, "normal(5ms, 1ms)"},
      {"lognormal(5ms, 0.5)", Kind::lognormal, "lognormal(5ms, 0.5)"},
      {"pareto(1ms, 1.5)", Kind::pareto, "pareto(1ms, 1.5)"},
      {"pareto(1.5s, 2)", Kind::pareto, "pareto(1.5s, 2)"},
  };
  for (const Case& c : cases) {
    DurationDist dist = parse_or_die(c.text);
    EXPECT_EQ(dist.kind(), c.kind) << c.text;
    EXPECT_EQ(dist.to_string(), c.canonical) << c.text;
    DurationDist again = parse_or_die(dist.to_string());
    EXPECT_EQ(again.to_string(), dist.to_string());
    EXPECT_EQ(again.mean(), dist.mean()) << c.text;
  }
}

TEST(DurationDistParse, EveryErrorIsOneLineSayingWhatWasExpected) {
  struct Case {
    std::string_view text;
    std::string_view message_part;
  };
  const std::vector<Case> cases = {
      {"", "expected a duration like \"5ms\" or a distribution like"},
      {"5", "got \"5\""},
      {"-5ms", "got \"-5ms\""},
      {"(5ms)", "expected a duration like \"5ms\" or a distribution like"},
      {"gauss(5ms)", "unknown distribution \"gauss\": expected one of const, uniform,"},
      {"uniform(1ms, 10ms", "expected \")\" at the end of \"uniform(1ms, 10ms\""},
      {"normal(5ms, 1ms) x", "expected \")\""},
      {"uniform(1ms,\n10ms", "\\x0a"},
      {"uniform(1ms)", "uniform takes 2 arguments (lo, hi), got 1"},
      {"uniform()", "uniform takes 2 arguments (lo, hi), got 0"},
      {"exponential(1ms, 2ms)", "exponential takes 1 argument (mean), got 2"},
      {"uniform(1ms, 10)", "expected a duration like \"5ms\" for uniform's hi, got \"10\""},
      {"const(abc)", "expected a duration like \"5ms\" for const's value, got \"abc\""},
      {"uniform(10ms, 1ms)", "uniform needs lo <= hi"},
      {"lognormal(5ms, x)", "expected a number like \"1.5\" for lognormal's sigma, got \"x\""},
      {"lognormal(5ms, -1)", "lognormal needs sigma >= 0"},
      {"pareto(0ms, 1.5)", "pareto needs scale > 0"},
      {"pareto(1ms, 0)", "pareto needs shape > 0"},
      {"pareto(1ms, inf)", "expected a number like \"1.5\" for pareto's shape"},
  };
  for (const Case& c : cases) {
    std::string error;
    EXPECT_EQ(DurationDist::parse(c.text, &error), std::nullopt) << c.text;
    EXPECT_NE(error.find(c.message_part), std::string::npos) << c.text << " gave: " << error;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  }
}

TEST(DurationDistParse, GenericErrorReadsExactly) {
  std::string error;
  EXPECT_EQ(DurationDist::parse("abc", &error), std::nullopt);
  EXPECT_EQ(error,
            "expected a duration like \"5ms\" or a distribution like "
            "\"uniform(1ms, 10ms)\", got \"abc\"");
  EXPECT_EQ(DurationDist::parse("abc", nullptr), std::nullopt);
}

RC_GTEST_PROP(DurationDistParse, ToStringRoundTrips, (uint64_t seed)) {
  std::string name = *rc::gen::element<std::string>("uniform", "exponential", "normal", "lognormal", "pareto");
  auto a = ns(*rc::gen::inRange<int64_t>(1, 1'000'000'000'000));
  auto b = ns(*rc::gen::inRange<int64_t>(a.count_ns(), 2'000'000'000'000));
  // Any positive double, written with all 17 digits: to_string must find
  // the shortest text that reads back to the same value.
  std::array<char, 32> number;
  std::snprintf(number.data(), number.size(), "%.17g", *rc::gen::inRange(1, 1'000'000) / 1e3);
  bool numeric = name == "lognormal" || name == "pareto";
  std::string second = numeric ? std::string(number.data()) : format_duration(b);
  std::string text = name + "(" + format_duration(a);
  text += (name == "exponential" ? "" : ", " + second) + ")";
  std::string error;
  auto dist = DurationDist::parse(text, &error);
  RC_ASSERT(dist.has_value());
  auto again = DurationDist::parse(dist->to_string(), &error);
  RC_ASSERT(again.has_value());
  RC_ASSERT(again->to_string() == dist->to_string());
  // Equal distributions draw equal samples from equal streams.
  Rng first(seed);
  Rng other(seed);
  for (int i = 0; i < 5; ++i) RC_ASSERT(dist->sample(first) == again->sample(other));
}

TEST(DurationDistFactories, MatchTheirTextForms) {
  EXPECT_EQ(DurationDist().to_string(), "0s");
  EXPECT_EQ(DurationDist::constant(5_ms).to_string(), "5ms");
  EXPECT_EQ(DurationDist::uniform(1_ms, 2_ms).to_string(), "uniform(1ms, 2ms)");
  EXPECT_EQ(DurationDist::exponential(3_ms).to_string(), "exponential(3ms)");
  Rng rng(1);
  EXPECT_EQ(DurationDist().sample(rng), Duration::zero());
  EXPECT_EQ(DurationDist::constant(5_ms).sample(rng), 5_ms);
}

TEST(DurationDistMean, ClosedForms) {
  EXPECT_EQ(parse_or_die("7ms").mean(), 7_ms);
  EXPECT_EQ(parse_or_die("uniform(1ms, 10ms)").mean(), 5500_us);
  EXPECT_EQ(parse_or_die("exponential(2ms)").mean(), 2_ms);
  EXPECT_EQ(parse_or_die("pareto(1ms, 3)").mean(), 1500_us);
  EXPECT_NEAR(parse_or_die("lognormal(5ms, 0.5)").mean().to_milliseconds(), 5 * std::exp(0.125), 1e-6);
  // Pareto with shape <= 1 has no finite mean.
  EXPECT_EQ(parse_or_die("pareto(1ms, 1)").mean(), Duration::max());
  EXPECT_EQ(parse_or_die("pareto(1ms, 0.5)").mean(), Duration::max());
}

TEST(DurationDistSample, MeansMatchWithinTolerance) {
  struct Case {
    std::string_view text;
    double tolerance_ms;
  };
  const std::vector<Case> cases = {
      {"3ms", 0.0},
      {"uniform(1ms, 10ms)", 0.04},
      {"exponential(2ms)", 0.04},
      {"normal(5ms, 1ms)", 0.02},
      {"lognormal(5ms, 0.5)", 0.05},
      {"pareto(1ms, 3)", 0.015},
  };
  uint64_t seed = 100;
  for (const Case& c : cases) {
    DurationDist dist = parse_or_die(c.text);
    EXPECT_NEAR(sample_mean_ms(dist, seed++), dist.mean().to_milliseconds(), c.tolerance_ms) << c.text;
  }
}

TEST(DurationDistSample, NormalIsClampedAtZeroAndMeanAccountsForIt) {
  // Mean 1ms, stddev 5ms: about 42% of raw draws are negative and become 0,
  // which lifts the mean to E[max(X, 0)] ~ 2.53ms.
  DurationDist dist = parse_or_die("normal(1ms, 5ms)");
  EXPECT_NEAR(dist.mean().to_milliseconds(), 2.5345, 0.001);
  EXPECT_NEAR(sample_mean_ms(dist, 7), dist.mean().to_milliseconds(), 0.05);
}

TEST(DurationDistSample, ExtremeParametersSaturateInsteadOfOverflowing) {
  Rng rng(8);
  DurationDist heavy = parse_or_die("pareto(1s, 0.01)");
  DurationDist huge = DurationDist::exponential(Duration::max());
  for (int i = 0; i < 1000; ++i) {
    EXPECT_GE(heavy.sample(rng), 1_s);
    EXPECT_GE(huge.sample(rng), Duration::zero());
  }
}

TEST(DurationDistSample, SameSeedSameSamples) {
  DurationDist dist = parse_or_die("lognormal(5ms, 0.5)");
  auto draw = [&](uint64_t seed) {
    Rng rng(seed);
    std::vector<Duration> values;
    for (int i = 0; i < 1000; ++i) values.push_back(dist.sample(rng));
    return values;
  };
  EXPECT_EQ(draw(9), draw(9));
  EXPECT_NE(draw(9), draw(10));
}

}  // namespace
}  // namespace detsim
