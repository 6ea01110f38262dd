#include "replay/causal_shrink.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "sim/core/duration_dist.h"
#include "sim/fault/shrink.h"
#include "sim/world/simulation.h"

namespace detsim {
namespace {

// Halvings tried per param at most: 2^-6 of a value is small enough to
// read, and six runs per param keep the whole shrink cheap.
constexpr int kMaxSteps = 6;

// Counts runs against the budget; once it is spent, every candidate
// "passes" (is rejected), so the shrink keeps what it has.
class Budget {
 public:
  Budget(const SameFailure& same_failure, size_t max_runs) : same_failure_(same_failure), max_runs_(max_runs) {}
  bool fails(const Scenario& scenario, const FaultSchedule& schedule) {
    if (runs_ >= max_runs_) {
      exhausted_ = true;
      return false;
    }
    ++runs_;
    return same_failure_(scenario, schedule);
  }
  size_t runs() const { return runs_; }
  bool exhausted() const { return exhausted_; }

 private:
  const SameFailure& same_failure_;
  size_t max_runs_;
  size_t runs_ = 0;
  bool exhausted_ = false;
};

// The scenario with one more --set, or nullopt if the value is invalid.
std::optional<Scenario> with_set(const Scenario& scenario, const std::string& assignment) {
  Scenario changed = scenario;
  try {
    apply_override(all_param_specs(*scenario.model), assignment, &changed.params);
  } catch (const ScenarioError&) {
    return std::nullopt;
  }
  changed.overrides.push_back(assignment);
  return changed;
}

// Bisection of a value between `low` (assumed to pass) and `high` (fails):
// halving first, since `low` starts at the param's floor. make(v) gives
// the candidate for v, or nullopt if v is not a valid setting.
template <class Value>
std::optional<Value> smallest_failing(Budget& budget, Value low, Value high, const FaultSchedule& schedule,
                                      const std::function<bool(Value, Value)>& close,
                                      const std::function<Value(Value, Value)>& middle,
                                      const std::function<std::optional<Scenario>(Value)>& make) {
  std::optional<Value> found;
  for (int step = 0; step < kMaxSteps && !close(low, high); ++step) {
    const Value mid = middle(low, high);
    std::optional<Scenario> candidate = make(mid);
    if (candidate && budget.fails(*candidate, schedule)) {
      high = mid;
      found = mid;
    } else {
      low = mid;
    }
  }
  return found;
}

Scenario shrink_length(Budget& budget, const Scenario& scenario, const FaultSchedule& schedule,
                       std::vector<ParamChange>* changes) {
  const Duration duration = scenario.params.duration("duration");
  const Duration settle = scenario.params.duration("settle");
  // settle shrinks with the run: at most half of it stays quiet.
  auto settle_for = [&](Duration length) { return std::min(settle, length / 2); };
  auto make = [&](Duration length) -> std::optional<Scenario> {
    std::optional<Scenario> shorter = with_set(scenario, "duration=" + format_duration(length));
    if (!shorter || settle_for(length) == settle) return shorter;
    return with_set(*shorter, "settle=" + format_duration(settle_for(length)));
  };
  const Duration ms = Duration::milliseconds(1);
  std::optional<Duration> shortest = smallest_failing<Duration>(
      budget, Duration::zero(), duration, schedule, [&](Duration low, Duration high) { return high - low < ms * 10; },
      [&](Duration low, Duration high) { return ms * ((low + high) / 2 / ms); }, make);
  if (!shortest) return scenario;
  changes->push_back({"duration", format_duration(duration), format_duration(*shortest)});
  if (settle_for(*shortest) != settle)
    changes->push_back({"settle", format_duration(settle), format_duration(settle_for(*shortest))});
  return *make(*shortest);
}

// A rate to 3 significant digits: "8.75", not "8.750000000445311".
double three_digits(double value) { return std::stod(fmt::format("{:.3g}", value)); }

const ParamSpec* find_spec(const std::vector<ParamSpec>& specs, std::string_view key) {
  for (const ParamSpec& spec : specs) {
    if (spec.key == key) return &spec;
  }
  return nullptr;
}

// The value the failing run used: the swarm's draw, else the scenario's.
double current_value(const Scenario& scenario, const ParamSpec& spec, std::string_view swarm) {
  const std::string drawn = drawn_value(swarm, spec.key);
  if (!drawn.empty()) return std::stod(drawn);
  if (spec.type == ParamType::integer) return static_cast<double>(scenario.params.integer(spec.key));
  return scenario.params.real(spec.key);
}

Scenario shrink_load(Budget& budget, const Scenario& scenario, const FaultSchedule& schedule, std::string_view swarm,
                     std::vector<ParamChange>* changes) {
  const std::vector<ParamSpec> specs = all_param_specs(*scenario.model);
  Scenario current = scenario;
  for (const char* key : {"clients", "rate"}) {
    const ParamSpec* spec = find_spec(specs, key);
    if (spec == nullptr || (spec->type != ParamType::integer && spec->type != ParamType::real)) continue;
    const bool integer = spec->type == ParamType::integer;
    const double value = current_value(current, *spec, swarm);
    const double floor = std::isfinite(spec->min) && spec->min > 0 ? spec->min : (integer ? 1 : value / 64);
    auto text = [&](double v) { return integer ? fmt::format("{}", static_cast<int64_t>(v)) : fmt::format("{}", v); };
    auto make = [&](double v) { return with_set(current, std::string(key) + "=" + text(v)); };
    // The floor itself is a candidate too: bisect from just below it.
    const double below = integer ? floor - 1 : floor / 2;
    std::optional<double> smallest = smallest_failing<double>(
        budget, below, value, schedule,
        [&](double low, double high) { return integer ? high - low <= 1 : high - low < value / 64; },
        [&](double low, double high) {
          return integer ? std::floor((low + high) / 2) : three_digits((low + high) / 2);
        },
        [&](double v) { return v < floor ? std::nullopt : make(v); });
    if (!smallest) continue;
    changes->push_back({key, text(value), text(*smallest)});
    current = *make(*smallest);
  }
  return current;
}

FaultSchedule without(const FaultSchedule& schedule, const std::vector<size_t>& unit) {
  FaultSchedule smaller;
  for (size_t i = 0; i < schedule.actions.size(); ++i) {
    if (std::find(unit.begin(), unit.end(), i) == unit.end()) smaller.actions.push_back(schedule.actions[i]);
  }
  return smaller;
}

}  // namespace

std::string drawn_value(std::string_view swarm, std::string_view key) {
  const size_t timing = swarm.find("timing: ");
  if (timing == std::string_view::npos) return "";
  std::string_view draws = swarm.substr(timing + 8);
  const std::string needle = std::string(key) + "=";
  for (size_t at = draws.find(needle); at != std::string_view::npos; at = draws.find(needle, at + 1)) {
    if (at != 0 && (at < 2 || draws.substr(at - 2, 2) != ", ")) continue;
    std::string_view value = draws.substr(at + needle.size());
    return std::string(value.substr(0, std::min(value.find(", "), value.find(';'))));
  }
  return "";
}

CausalShrinkResult causal_shrink(const Scenario& scenario, const FaultSchedule& schedule,
                                 std::string_view original_swarm, const SameFailure& same_failure, size_t max_runs) {
  Budget budget(same_failure, max_runs);
  CausalShrinkResult result;
  result.scenario = shrink_length(budget, scenario, schedule, &result.length);
  result.scenario = shrink_load(budget, result.scenario, schedule, original_swarm, &result.load);
  result.units = fault_units(schedule);
  for (const std::vector<size_t>& unit : result.units) {
    // Without the budget, a unit is not shown to be necessary.
    const bool tried = budget.runs() < max_runs;
    result.necessary.push_back(tried && !budget.fails(result.scenario, without(schedule, unit)));
  }
  result.runs = budget.runs();
  result.exhausted = budget.exhausted();
  return result;
}

RunResult run_with_faults(const Scenario& scenario, uint64_t seed, const FaultSchedule& faults) {
  RunRequest request;
  request.model = scenario.model;
  request.params = scenario.params;
  request.seed = seed;
  request.faults = faults;
  return simulate(request);
}

}  // namespace detsim
