// Text form of durations and duration distributions (grammar in
// duration_dist.h). Durations are parsed with integer arithmetic only, so
// "1.1s" is exactly 1'100'000'000 ns rather than whatever 1.1 * 1e9 rounds to.
#include "sim/core/duration_dist.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "sim/core/assert.h"

namespace detsim {
namespace {

struct Unit {
  std::string_view suffix;
  int64_t ns;
};
// Largest first: format_duration prefers the larger unit on a tie.
constexpr std::array<Unit, 5> kUnits = {{
    {"m", 60'000'000'000},
    {"s", 1'000'000'000},
    {"ms", 1'000'000},
    {"us", 1'000},
    {"ns", 1},
}};

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view trim(std::string_view text) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// Splits a leading run of digits off *text.
std::string_view take_digits(std::string_view* text) {
  size_t length = 0;
  while (length < text->size() && is_digit((*text)[length])) ++length;
  std::string_view digits = text->substr(0, length);
  text->remove_prefix(length);
  return digits;
}

// integer.fraction in unit_ns, in exact nanoseconds, or nullopt if it
// overflows int64 or is not a whole number of nanoseconds.
std::optional<Duration> exact_ns(std::string_view integer, std::string_view fraction, int64_t unit_ns) {
  while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
  // A fraction with more than 18 significant digits is never a whole number
  // of ns for units up to 6e10 ns; 18 digits also keep it inside uint64.
  if (fraction.size() > 18) return std::nullopt;
  __int128 total = 0;
  for (char c : integer) {
    total = total * 10 + (c - '0');
    if (total * unit_ns > kInt64Max) return std::nullopt;
  }
  total *= unit_ns;
  __int128 numerator = 0;
  __int128 denominator = 1;
  for (char c : fraction) {
    numerator = numerator * 10 + (c - '0');
    denominator *= 10;
  }
  numerator *= unit_ns;
  if (numerator % denominator != 0) return std::nullopt;
  total += numerator / denominator;
  if (total > kInt64Max) return std::nullopt;
  return Duration::nanoseconds(static_cast<int64_t>(total));
}

// ns in the given unit as "integer[.fraction]", or "" if the decimal does
// not terminate (a third of a minute).
std::string format_in_unit(int64_t ns, int64_t unit_ns) {
  std::string text = std::to_string(ns / unit_ns);
  int64_t remainder = ns % unit_ns;
  if (remainder == 0) return text;
  text += '.';
  // unit_ns <= 6e10, so remainder * 10 stays far inside int64; 11 digits
  // finish any decimal that terminates for these units.
  for (int digits = 0; remainder != 0; ++digits) {
    if (digits == 11) return "";
    remainder *= 10;
    text += static_cast<char>('0' + remainder / unit_ns);
    remainder %= unit_ns;
  }
  return text;
}

// A double in the shortest form that reads back to the same value.
std::string format_number(double value) {
  std::array<char, 32> buffer;
  auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return std::string(buffer.data(), result.ptr);
}

std::optional<double> parse_number(std::string_view text) {
  double value = 0;
  auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec != std::errc() || result.ptr != text.data() + text.size()) return std::nullopt;
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

// Sampled seconds to a Duration: NaN and negatives become 0 ("samples are
// never negative"), and anything past int64 nanoseconds saturates instead of
// overflowing the conversion.
Duration clamp_seconds(double seconds) {
  if (!(seconds > 0.0)) return Duration::zero();
  if (seconds >= kLongestDuration.to_seconds()) return kLongestDuration;
  return Duration::from_seconds(seconds);
}

// What each distribution's text form takes. The second argument of
// lognormal and pareto is a plain number, not a duration.
struct Form {
  DurationDist::Kind kind;
  std::string_view name;
  std::string_view first_name;
  std::string_view second_name;  // empty: takes one argument
  bool second_is_number;
};
constexpr std::array<Form, 6> kForms = {{
    {DurationDist::Kind::constant, "const", "value", "", false},
    {DurationDist::Kind::uniform, "uniform", "lo", "hi", false},
    {DurationDist::Kind::exponential, "exponential", "mean", "", false},
    {DurationDist::Kind::normal, "normal", "mean", "stddev", false},
    {DurationDist::Kind::lognormal, "lognormal", "median", "sigma", true},
    {DurationDist::Kind::pareto, "pareto", "scale", "shape", true},
}};

const Form* find_form(std::string_view name) {
  for (const Form& form : kForms) {
    if (form.name == name) return &form;
  }
  return nullptr;
}

const Form& form_of(DurationDist::Kind kind) {
  auto index = static_cast<size_t>(kind);
  DETSIM_ASSERT(index < kForms.size());
  // Invariant: kForms lists the kinds in declaration order.
  DETSIM_ASSERT(kForms[index].kind == kind);
  return kForms[index];
}

// Quotes text for an error message, escaping control characters so the
// message stays on one line whatever the input held.
std::string quoted(std::string_view text) {
  constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7f) {
      out += c;
    } else {
      out += {'\\', 'x', kHex[byte >> 4], kHex[byte & 0xf]};
    }
  }
  return out + "\"";
}

// Arguments between the parentheses, trimmed; "" gives no arguments.
std::vector<std::string_view> split_arguments(std::string_view inside) {
  std::vector<std::string_view> arguments;
  if (trim(inside).empty()) return arguments;
  while (true) {
    size_t comma = inside.find(',');
    arguments.push_back(trim(inside.substr(0, comma)));
    if (comma == std::string_view::npos) return arguments;
    inside.remove_prefix(comma + 1);
  }
}

std::optional<DurationDist> fail(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
  return std::nullopt;
}

// A call "name(first, second)" read and checked, before it becomes a
// DurationDist. On failure, error holds the one-line reason.
struct Call {
  const Form* form = nullptr;
  Duration first;
  Duration second;
  double number = 0;
  std::string error;
};

constexpr std::string_view kDurationExample = "a duration like \"5ms\"";
constexpr std::string_view kNumberExample = "a number like \"1.5\"";

std::string generic_error(std::string_view got) {
  return "expected " + std::string(kDurationExample) + " or a distribution like " + "\"uniform(1ms, 10ms)\", got " +
         quoted(got);
}

std::string argument_error(std::string_view expected, const Form& form, std::string_view argument,
                           std::string_view got) {
  return "expected " + std::string(expected) + " for " + std::string(form.name) + "'s " + std::string(argument) +
         ", got " + quoted(got);
}

std::string arity_error(const Form& form, size_t got, std::string_view call_text) {
  bool takes_one = form.second_name.empty();
  std::string names(form.first_name);
  if (!takes_one) names += ", " + std::string(form.second_name);
  return std::string(form.name) + (takes_one ? " takes 1 argument (" : " takes 2 arguments (") + names + "), got " +
         std::to_string(got) + " in " + quoted(call_text);
}

// Reads the arguments of an already-recognised call into *call; returns
// the error, or "" on success.
std::string read_arguments(std::string_view call_text, std::string_view inside, Call* call) {
  const Form& form = *call->form;
  std::vector<std::string_view> arguments = split_arguments(inside);
  size_t arity = form.second_name.empty() ? 1 : 2;
  if (arguments.size() != arity) return arity_error(form, arguments.size(), call_text);
  auto first = parse_duration(arguments[0]);
  if (!first) return argument_error(kDurationExample, form, form.first_name, arguments[0]);
  call->first = *first;
  if (arity == 1) return "";
  if (form.second_is_number) {
    auto number = parse_number(arguments[1]);
    if (!number) return argument_error(kNumberExample, form, form.second_name, arguments[1]);
    call->number = *number;
  } else {
    auto second = parse_duration(arguments[1]);
    if (!second) return argument_error(kDurationExample, form, form.second_name, arguments[1]);
    call->second = *second;
  }
  return "";
}

// The constraints between arguments that the grammar alone cannot express.
std::string check_arguments(std::string_view call_text, const Call& call) {
  using Kind = DurationDist::Kind;
  Kind kind = call.form->kind;
  std::string got = ", got " + quoted(call_text);
  const std::string longest = format_duration(kLongestDuration);
  // parse_duration reads no negative durations, so only the top is bounded.
  if (call.first > kLongestDuration || call.second > kLongestDuration) return "durations up to " + longest + got;
  if (kind == Kind::uniform && call.first > call.second) return "uniform needs lo <= hi" + got;
  if (kind == Kind::lognormal && call.number < 0) return "lognormal needs sigma >= 0" + got;
  if (kind == Kind::pareto && call.first <= Duration::zero()) return "pareto needs scale > 0" + got;
  if (kind == Kind::pareto && call.number <= 0) return "pareto needs shape > 0" + got;
  return "";
}

// body is trimmed and contains '('.
Call read_call(std::string_view body) {
  Call call;
  size_t open = body.find('(');
  std::string_view name = trim(body.substr(0, open));
  if (name.empty()) {
    call.error = generic_error(body);
    return call;
  }
  call.form = find_form(name);
  if (call.form == nullptr) {
    call.error = "unknown distribution " + quoted(name) + ": expected one of ";
    for (const Form& form : kForms) call.error += std::string(form.name) + ", ";
    call.error.resize(call.error.size() - 2);
    return call;
  }
  if (body.back() != ')') {
    call.error = "expected \")\" at the end of " + quoted(body);
    return call;
  }
  call.error = read_arguments(body, body.substr(open + 1, body.size() - open - 2), &call);
  if (call.error.empty()) call.error = check_arguments(body, call);
  return call;
}

// E[max(X, 0)] for X ~ N(mean, stddev): the mean of what normal() samples
// once negatives are clamped, mean * Phi(mean/stddev) + stddev * phi(mean/stddev).
double clamped_normal_mean(double mean, double stddev) {
  if (stddev == 0.0) return mean > 0.0 ? mean : 0.0;
  double z = mean / stddev;
  double cdf = 0.5 * std::erfc(-z / std::sqrt(2.0));
  double density = std::exp(-0.5 * z * z) / std::sqrt(2.0 * std::numbers::pi);
  return mean * cdf + stddev * density;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
  if (text == "0") return Duration::zero();
  std::string_view rest = text;
  std::string_view integer = take_digits(&rest);
  if (integer.empty()) return std::nullopt;  // also rejects "-5ms", "+5ms", ".5s"
  std::string_view fraction;
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    fraction = take_digits(&rest);
    if (fraction.empty()) return std::nullopt;  // "5.s"
  }
  for (const Unit& unit : kUnits) {
    if (rest == unit.suffix) return exact_ns(integer, fraction, unit.ns);
  }
  return std::nullopt;
}

std::string format_duration(Duration d) {
  int64_t ns = d.count_ns();
  if (ns == 0) return "0s";
  if (ns < 0) {
    // Negative durations are formatted for diagnostics only; parse_duration
    // rejects them. INT64_MIN has no positive counterpart, so print it in ns.
    if (ns == std::numeric_limits<int64_t>::min()) return std::to_string(ns) + "ns";
    // Inserted, not "-" + string: g++ 12 warns falsely on that (-Wrestrict, GCC bug 105329).
    std::string positive = format_duration(Duration::nanoseconds(-ns));
    return positive.insert(0, 1, '-');
  }
  std::string best;
  for (const Unit& unit : kUnits) {
    // "0.1s" is shorter than "100ms", but nobody writes it that way: use a
    // unit only once the value is at least one of it.
    if (ns < unit.ns) continue;
    std::string number = format_in_unit(ns, unit.ns);
    if (number.empty()) continue;
    std::string candidate = number + std::string(unit.suffix);
    if (best.empty() || candidate.size() < best.size()) best = candidate;
  }
  return best;
}

DurationDist DurationDist::constant(Duration d) {
  // Invariant: samples are never negative.
  DETSIM_ASSERT(d >= Duration::zero());
  DurationDist dist;
  dist.a_ = d;
  return dist;
}

DurationDist DurationDist::uniform(Duration lo, Duration hi) {
  DETSIM_ASSERT(lo >= Duration::zero());
  DETSIM_ASSERT(lo <= hi);
  DurationDist dist;
  dist.kind_ = Kind::uniform;
  dist.a_ = lo;
  dist.b_ = hi;
  return dist;
}

DurationDist DurationDist::exponential(Duration mean) {
  DETSIM_ASSERT(mean >= Duration::zero());
  DurationDist dist;
  dist.kind_ = Kind::exponential;
  dist.a_ = mean;
  return dist;
}

std::optional<DurationDist> DurationDist::parse(std::string_view text, std::string* error) {
  std::string_view body = trim(text);
  if (body.find('(') == std::string_view::npos) {
    std::optional<Duration> d = parse_duration(body);
    if (!d) return fail(error, generic_error(body));
    if (*d > kLongestDuration) {
      return fail(error, "durations up to " + format_duration(kLongestDuration) + ", got " + quoted(body));
    }
    return constant(*d);
  }
  Call call = read_call(body);
  if (!call.error.empty()) return fail(error, std::move(call.error));
  DurationDist dist;
  dist.kind_ = call.form->kind;
  dist.a_ = call.first;
  dist.b_ = call.second;
  dist.shape_ = call.number;
  return dist;
}

Duration DurationDist::sample(Rng& rng) const {
  double a_seconds = a_.to_seconds();
  switch (kind_) {
    case Kind::constant: return std::max(a_, Duration::zero());
    case Kind::uniform: return std::max(rng.uniform(a_, b_), Duration::zero());
    case Kind::exponential: return clamp_seconds(rng.exponential(a_seconds));
    case Kind::normal: return clamp_seconds(rng.normal(a_seconds, b_.to_seconds()));
    // The median of exp(N(log m, sigma)) is m; scaling a median-1 draw
    // avoids log(0) for a zero median.
    case Kind::lognormal: return clamp_seconds(a_seconds * rng.lognormal(0.0, shape_));
    case Kind::pareto: return clamp_seconds(rng.pareto(a_seconds, shape_));
  }
  DETSIM_ASSERT(false);
  return Duration::zero();
}

Duration DurationDist::mean() const {
  double a_seconds = a_.to_seconds();
  switch (kind_) {
    case Kind::constant: return std::max(a_, Duration::zero());
    case Kind::uniform: return a_ + (b_ - a_) / 2;
    case Kind::exponential: return a_;
    case Kind::normal: return clamp_seconds(clamped_normal_mean(a_seconds, b_.to_seconds()));
    case Kind::lognormal: return clamp_seconds(a_seconds * std::exp(0.5 * shape_ * shape_));
    // Pareto's mean is scale * alpha / (alpha - 1), and infinite for alpha <= 1.
    case Kind::pareto:
      if (shape_ <= 1.0) return Duration::max();
      return clamp_seconds(a_seconds * shape_ / (shape_ - 1.0));
  }
  DETSIM_ASSERT(false);
  return Duration::zero();
}

std::string DurationDist::to_string() const {
  if (kind_ == Kind::constant) return format_duration(a_);
  const Form& form = form_of(kind_);
  std::string text = std::string(form.name) + "(" + format_duration(a_);
  if (!form.second_name.empty()) {
    text += ", ";
    text += form.second_is_number ? format_number(shape_) : format_duration(b_);
  }
  return text + ")";
}

}  // namespace detsim
