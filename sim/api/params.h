// Parameters: what a scenario file and --set may configure. The engine, the
// world and every model declare theirs as ParamSpecs; the scenario loader
// validates values against them, so a model reads only checked values.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sim/core/duration_dist.h"
#include "sim/core/time.h"

namespace detsim {

enum class ParamType {
  integer,       // TOML integer; --set 12
  real,          // TOML float or integer; --set 0.25
  boolean,       // TOML bool; --set true|false
  duration,      // "500ms"
  distribution,  // "uniform(1ms, 10ms)" (see duration_dist.h)
  choice,        // one of `choices`, as a string
  text,          // any string
};
const char* to_string(ParamType type);

struct ParamSpec {
  std::string key;  // dotted for tables: "net.loss" is [net] loss
  ParamType type = ParamType::integer;
  std::string default_text;  // parsed like a --set value
  std::string doc;
  // Inclusive bounds for integer, real and duration (in seconds).
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  std::vector<std::string> choices;  // for ParamType::choice
  // For ParamType::text with a grammar of its own (a fault schedule, link
  // overrides): returns a one-line reason if the text is bad, "" if good.
  std::function<std::string(std::string_view)> check_text;
  // The timing swarm's values (sim/world/timing_swarm.h), as --set texts:
  // with swarm.timing on, each seed runs with one of them, unless the
  // scenario file or --set pinned the key. Empty: never swarmed.
  std::vector<std::string> swarm;
};

// A spec from its usual fields; choices and check_text are set afterwards
// where a key needs them.
inline ParamSpec make_param(std::string key, ParamType type, std::string default_text, std::string doc,
                            double min = -std::numeric_limits<double>::infinity(),
                            double max = std::numeric_limits<double>::infinity()) {
  ParamSpec spec;
  spec.key = std::move(key);
  spec.type = type;
  spec.default_text = std::move(default_text);
  spec.doc = std::move(doc);
  spec.min = min;  // durations in seconds
  spec.max = max;
  return spec;
}

// spec, swarmed over values (see ParamSpec::swarm).
inline ParamSpec swarmed(ParamSpec spec, std::vector<std::string> values) {
  spec.swarm = std::move(values);
  return spec;
}

using ParamValue = std::variant<int64_t, double, bool, Duration, DurationDist, std::string>;

// Parses text (a --set value, or a TOML scalar rendered as text) for a spec,
// including the range check. On failure returns nullopt and a one-line
// reason that says what was expected.
std::optional<ParamValue> parse_param(const ParamSpec& spec, std::string_view text, std::string* error);
std::string format_param(const ParamValue& value);

// Validated values, by key. Reading a key that was never declared is a bug
// in the caller and fails an assert.
class Params {
 public:
  // A value someone chose (a scenario file, --set, a test): it pins the
  // key, so the timing swarm leaves it alone.
  void set(std::string key, ParamValue value) {
    pinned_.insert(key);
    values_[std::move(key)] = std::move(value);
  }
  // A default, or a value the timing swarm drew: the key stays unpinned.
  void set_default(std::string key, ParamValue value) { values_[std::move(key)] = std::move(value); }
  bool has(std::string_view key) const { return values_.find(key) != values_.end(); }
  bool pinned(std::string_view key) const { return pinned_.find(key) != pinned_.end(); }

  int64_t integer(std::string_view key) const;
  double real(std::string_view key) const;
  bool boolean(std::string_view key) const;
  Duration duration(std::string_view key) const;
  const DurationDist& distribution(std::string_view key) const;
  const std::string& text(std::string_view key) const;  // choice or text
  const std::map<std::string, ParamValue, std::less<>>& all() const { return values_; }

 private:
  const ParamValue& at(std::string_view key) const;
  std::map<std::string, ParamValue, std::less<>> values_;
  std::set<std::string, std::less<>> pinned_;
};

}  // namespace detsim
