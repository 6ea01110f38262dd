// Parameter values as text: one validator shared by scenario files (whose
// TOML scalars are rendered to text first) and --set, so both give the same
// one-line "expected ..., got ..." message for the same mistake.
#include "sim/api/params.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <charconv>
#include <cmath>

#include "sim/core/assert.h"

namespace detsim {
namespace {

// A bound in the shortest form that reads back: "1", "0.25", "1e+06".
std::string format_bound(double value) {
  std::array<char, 32> buffer;
  auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return std::string(buffer.data(), result.ptr);
}

std::string format_duration_bound(double seconds) { return format_duration(Duration::from_seconds(seconds)); }

bool has_min(const ParamSpec& spec) { return std::isfinite(spec.min); }
bool has_max(const ParamSpec& spec) { return std::isfinite(spec.max); }

// " in [1, 100]", " >= 1", " <= 1" or "": the range part of a message.
std::string range_text(const ParamSpec& spec, std::string (*format)(double)) {
  if (has_min(spec) && has_max(spec)) return " in [" + format(spec.min) + ", " + format(spec.max) + "]";
  if (has_min(spec)) return " >= " + format(spec.min);
  if (has_max(spec)) return " <= " + format(spec.max);
  return "";
}

std::string join(const std::vector<std::string>& names) { return fmt::format("{}", fmt::join(names, ", ")); }

// What a spec accepts, as the "expected ..." half of an error message.
std::string expected_text(const ParamSpec& spec) {
  switch (spec.type) {
    case ParamType::integer: return "an integer" + range_text(spec, format_bound);
    case ParamType::real: return "a number" + range_text(spec, format_bound);
    case ParamType::boolean: return "true or false";
    case ParamType::duration: {
      std::string range = range_text(spec, format_duration_bound);
      return "a duration like \"500ms\"" + (range.empty() ? "" : "," + range);
    }
    case ParamType::distribution: return "a duration distribution like \"uniform(1ms, 10ms)\"";
    case ParamType::choice: return "one of " + join(spec.choices);
    case ParamType::text: return "text";
  }
  DETSIM_ASSERT(false);
}

std::optional<double> parse_finite(std::string_view text) {
  double value = 0;
  auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec != std::errc() || result.ptr != text.data() + text.size()) return std::nullopt;
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

// Numbers and booleans are shown bare, like TOML writes them ("got 1.5");
// anything else is quoted with control characters escaped, so the message
// stays on one line whatever the input held.
std::string shown(std::string_view text) {
  if (parse_finite(text) || text == "true" || text == "false") return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::optional<ParamValue> fail(const ParamSpec& spec, std::string_view text, std::string* error) {
  if (error != nullptr) *error = "expected " + expected_text(spec) + ", got " + shown(text);
  return std::nullopt;
}

bool in_range(const ParamSpec& spec, double value) { return value >= spec.min && value <= spec.max; }

std::optional<ParamValue> parse_integer(const ParamSpec& spec, std::string_view text, std::string* error) {
  int64_t value = 0;
  auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec != std::errc() || result.ptr != text.data() + text.size()) return fail(spec, text, error);
  if (!in_range(spec, static_cast<double>(value))) return fail(spec, text, error);
  return ParamValue(value);
}

std::optional<ParamValue> parse_real(const ParamSpec& spec, std::string_view text, std::string* error) {
  std::optional<double> value = parse_finite(text);
  if (!value || !in_range(spec, *value)) return fail(spec, text, error);
  return ParamValue(*value);
}

std::optional<ParamValue> parse_boolean(const ParamSpec& spec, std::string_view text, std::string* error) {
  if (text == "true") return ParamValue(true);
  if (text == "false") return ParamValue(false);
  return fail(spec, text, error);
}

std::optional<ParamValue> parse_duration_value(const ParamSpec& spec, std::string_view text, std::string* error) {
  std::optional<Duration> value = parse_duration(text);
  // Bounds are in seconds (params.h), so compare there.
  if (!value || !in_range(spec, value->to_seconds())) return fail(spec, text, error);
  return ParamValue(*value);
}

std::optional<ParamValue> parse_distribution(const ParamSpec& spec, std::string_view text, std::string* error) {
  std::string reason;
  std::optional<DurationDist> value = DurationDist::parse(text, &reason);
  if (!value) {
    if (error != nullptr) *error = reason;
    return std::nullopt;
  }
  return ParamValue(*value);
}

std::optional<ParamValue> parse_choice(const ParamSpec& spec, std::string_view text, std::string* error) {
  // Invariant: a choice parameter offers at least one name.
  DETSIM_ASSERT(!spec.choices.empty());
  for (const std::string& choice : spec.choices) {
    if (choice == text) return ParamValue(choice);
  }
  return fail(spec, text, error);
}

std::optional<ParamValue> parse_text(const ParamSpec& spec, std::string_view text, std::string* error) {
  if (spec.check_text) {
    std::string why = spec.check_text(text);
    if (!why.empty()) {
      if (error != nullptr) *error = why;
      return std::nullopt;
    }
  }
  return ParamValue(std::string(text));
}

}  // namespace

const char* to_string(ParamType type) {
  switch (type) {
    case ParamType::integer: return "integer";
    case ParamType::real: return "real";
    case ParamType::boolean: return "boolean";
    case ParamType::duration: return "duration";
    case ParamType::distribution: return "distribution";
    case ParamType::choice: return "choice";
    case ParamType::text: return "text";
  }
  DETSIM_ASSERT(false);
}

std::optional<ParamValue> parse_param(const ParamSpec& spec, std::string_view text, std::string* error) {
  switch (spec.type) {
    case ParamType::integer: return parse_integer(spec, text, error);
    case ParamType::real: return parse_real(spec, text, error);
    case ParamType::boolean: return parse_boolean(spec, text, error);
    case ParamType::duration: return parse_duration_value(spec, text, error);
    case ParamType::distribution: return parse_distribution(spec, text, error);
    case ParamType::choice: return parse_choice(spec, text, error);
    case ParamType::text: return parse_text(spec, text, error);
  }
  DETSIM_ASSERT(false);
}

std::string format_param(const ParamValue& value) {
  struct Formatter {
    std::string operator()(int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return format_bound(v); }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(Duration v) const { return format_duration(v); }
    std::string operator()(const DurationDist& v) const { return v.to_string(); }
    std::string operator()(const std::string& v) const { return v; }
  };
  return std::visit(Formatter{}, value);
}

const ParamValue& Params::at(std::string_view key) const {
  auto it = values_.find(key);
  // Invariant: code reads only keys it declared, and the scenario loader
  // fills every declared key (with its default if the file is silent).
  DETSIM_ASSERT(it != values_.end());
  return it->second;
}

int64_t Params::integer(std::string_view key) const {
  const auto* value = std::get_if<int64_t>(&at(key));
  DETSIM_ASSERT(value != nullptr);
  return *value;
}

double Params::real(std::string_view key) const {
  const auto* value = std::get_if<double>(&at(key));
  DETSIM_ASSERT(value != nullptr);
  return *value;
}

bool Params::boolean(std::string_view key) const {
  const auto* value = std::get_if<bool>(&at(key));
  DETSIM_ASSERT(value != nullptr);
  return *value;
}

Duration Params::duration(std::string_view key) const {
  const auto* value = std::get_if<Duration>(&at(key));
  DETSIM_ASSERT(value != nullptr);
  return *value;
}

const DurationDist& Params::distribution(std::string_view key) const {
  const auto* value = std::get_if<DurationDist>(&at(key));
  DETSIM_ASSERT(value != nullptr);
  return *value;
}

const std::string& Params::text(std::string_view key) const {
  const auto* value = std::get_if<std::string>(&at(key));
  DETSIM_ASSERT(value != nullptr);
  return *value;
}

}  // namespace detsim
