#include "sim/check/linearizability.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>

#include "sim/check/key_search.h"
#include "sim/check/sequential_model.h"
#include "sim/core/assert.h"

namespace detsim::check {
namespace {

// The first round's slice of steps per key; each round doubles it.
constexpr uint64_t kFirstSliceSteps = 10'000;
constexpr uint64_t kLastSliceSteps = uint64_t{1} << 62;  // doubling stops short of overflow

void describe_failure(const KeySearch& search, const std::vector<Operation>& operations, const ValueTable& values,
                      const CheckOptions& options, CheckReport& report) {
  std::vector<std::string> shorts;
  for (uint32_t source : search.prefix_tail()) {
    report.counterexample.push_back("after: " + format_operation(operations[source]));
    report.counterexample_operations.push_back(operations[source]);
    shorts.push_back(format_operation_short(operations[source], &options.process_names));
  }
  const std::string state = format_value(values.value(search.prefix_state()));
  report.counterexample.push_back(
      fmt::format("state: {} (after {} linearized operations)", state, search.prefix_length()));
  const Operation& blocked = operations[search.blocked_source()];
  report.counterexample.push_back("cannot linearize: " + format_operation(blocked));
  report.counterexample_operations.push_back(blocked);
  std::string after = shorts.empty() ? "from the initial state" : "after " + fmt::format("{}", fmt::join(shorts, ", "));
  report.summary = fmt::format("key {}: {} (state {}), {} cannot be linearized", format_value(OpValue::of(report.key)),
                               after, state, format_operation_short(blocked, &options.process_names));
}

// Operation indices per key, keys in sorted order (deterministic output).
std::map<std::string, std::vector<uint32_t>> split_by_key(const std::vector<Operation>& operations) {
  std::map<std::string, std::vector<uint32_t>> keys;
  for (uint32_t i = 0; i < operations.size(); ++i) keys[operations[i].key].push_back(i);
  return keys;
}

// One key's check, from the first slice it gets to its outcome.
enum class KeyOutcome : uint8_t { open, linearizable, out_of_memory };
struct KeyCheck {
  std::string key;
  std::vector<uint32_t> members;  // indices into the operations
  KeyOutcome outcome = KeyOutcome::open;
  size_t memo_entries_at_limit = 0;  // out_of_memory: how far the memo got
  // Made at the key's first slice and freed at its outcome, so only keys
  // still open hold memory (most finish in their first slice).
  std::unique_ptr<ValueTable> values;
  std::unique_ptr<KeySearch> search;
};

// Shares the step budget and the memory limit among the keys, a slice at
// a time. Each open key gets a slice in turn, in sorted key order, and the
// slice doubles every round, so a key that needs c steps is decided after
// at most about keys x 2c steps, whatever keys before it cost. Searches
// are resumed, not restarted (KeySearch keeps its state between slices):
// a key's steps are the same however they were sliced, so the total work
// is the sum of the keys' own costs, as when keys ran one after another,
// and a history decided within the budget then gets the same verdict and
// step count now.
class SliceScheduler {
 public:
  SliceScheduler(const std::vector<Operation>& operations, Datatype datatype, bool timed, const CheckOptions& options)
      : operations_(operations), datatype_(datatype), timed_(timed), options_(options) {}

  // Runs key for up to slice steps. True if it refuted the key (and filled
  // report).
  bool run_slice(KeyCheck& key, uint64_t slice, CheckReport& report) {
    if (!key.search) {
      // Building a large key's list takes a while: a time limit may pass first.
      if (options_.should_stop && options_.should_stop()) {
        stopped_ = true;
        return false;
      }
      key.values = std::make_unique<ValueTable>(datatype_);
      key.search = std::make_unique<KeySearch>(
          build_key_history(operations_, key.members, datatype_, timed_, *key.values), *key.values, options_.memoize);
      held_bytes_ += key.search->bytes();
    }
    const uint64_t before_bytes = key.search->bytes();
    const uint64_t others = held_bytes_ - before_bytes;
    SearchLimits limits;
    limits.step_limit = std::min(options_.step_budget, steps_ + std::min(slice, options_.step_budget - steps_));
    limits.memory_bytes = options_.memory_limit_bytes > others ? options_.memory_limit_bytes - others : 0;
    limits.should_stop = options_.should_stop ? &options_.should_stop : nullptr;
    const SearchEnd end = key.search->run(limits, &steps_);
    held_bytes_ = held_bytes_ - before_bytes + key.search->bytes();
    if (end == SearchEnd::interrupted) stopped_ = true;
    if (end == SearchEnd::not_linearizable) {
      report.verdict = Linearizability::not_linearizable;
      report.key = key.key;
      report.steps = steps_;
      describe_failure(*key.search, operations_, *key.values, options_, report);
      return true;
    }
    if (end == SearchEnd::linearizable || end == SearchEnd::out_of_memory) {
      key.outcome = end == SearchEnd::linearizable ? KeyOutcome::linearizable : KeyOutcome::out_of_memory;
      if (end == SearchEnd::out_of_memory) key.memo_entries_at_limit = key.search->memo_entries();
      held_bytes_ -= key.search->bytes();
      key.search.reset();
      key.values.reset();
    }
    return false;
  }
  bool running() const { return !stopped_ && steps_ < options_.step_budget; }
  bool interrupted() const { return stopped_; }
  uint64_t steps() const { return steps_; }

 private:
  const std::vector<Operation>& operations_;
  Datatype datatype_;
  bool timed_;
  const CheckOptions& options_;
  uint64_t steps_ = 0;
  uint64_t held_bytes_ = 0;  // by the open keys' searches
  bool stopped_ = false;
};

// Unknown if a key is still open or ran out of memory: the first such key
// in sorted order is named, with why.
void describe_unknown(const std::vector<KeyCheck>& keys, const SliceScheduler& scheduler, const CheckOptions& options,
                      CheckReport& report) {
  auto undecided = std::find_if(keys.begin(), keys.end(),
                                [](const KeyCheck& key) { return key.outcome != KeyOutcome::linearizable; });
  if (undecided == keys.end()) return;
  report.verdict = Linearizability::unknown;
  report.key = undecided->key;
  std::string why;
  if (undecided->outcome == KeyOutcome::out_of_memory) {
    why = fmt::format("memory limit of {} MB reached at {} memo entries", options.memory_limit_bytes >> 20,
                      undecided->memo_entries_at_limit);
  } else {
    why = scheduler.interrupted() ? "time limit" : "step budget exhausted";
  }
  report.summary = fmt::format("key {}: search stopped after {} steps ({})", format_value(OpValue::of(report.key)),
                               report.steps, why);
  report.counterexample.push_back(report.summary);
}

}  // namespace

const char* to_string(Linearizability verdict) {
  switch (verdict) {
    case Linearizability::linearizable: return "linearizable";
    case Linearizability::not_linearizable: return "not_linearizable";
    case Linearizability::unknown: return "unknown";
  }
  return "?";
}

std::optional<HistoryError> validate_operations(const std::vector<Operation>& operations, Datatype datatype) {
  for (const Operation& operation : operations) {
    std::string problem = operation_problem(operation, datatype);
    if (!problem.empty()) return HistoryError{operation.invoke_event, std::move(problem)};
  }
  return std::nullopt;
}

CheckReport check_operations(const std::vector<Operation>& operations, Datatype datatype, const CheckOptions& options) {
  CheckReport report;
  report.operations = operations.size();
  const bool timed = std::all_of(operations.begin(), operations.end(), [](const Operation& o) { return o.has_time; });
  std::vector<KeyCheck> keys;
  for (auto& [name, members] : split_by_key(operations)) {
    keys.emplace_back();
    keys.back().key = name;
    keys.back().members = std::move(members);
  }
  report.keys = keys.size();
  SliceScheduler scheduler(operations, datatype, timed, options);
  auto open = [](const KeyCheck& key) { return key.outcome == KeyOutcome::open; };
  // Every open key gets each round's slice, even once the budget is spent:
  // a key with nothing to place is still decided, in no steps.
  for (uint64_t slice = kFirstSliceSteps; scheduler.running() && std::any_of(keys.begin(), keys.end(), open);
       slice = std::min(slice * 2, kLastSliceSteps)) {
    for (KeyCheck& key : keys) {
      if (!open(key)) continue;
      if (scheduler.run_slice(key, slice, report)) return report;  // refuted
      if (scheduler.interrupted()) break;
    }
  }
  report.steps = scheduler.steps();
  describe_unknown(keys, scheduler, options, report);
  return report;
}

CheckReport check_history(const History& history, Datatype datatype, const CheckOptions& options,
                          std::optional<HistoryError>* error) {
  DETSIM_ASSERT(error != nullptr);
  std::vector<Operation> operations = pair_operations(history, error);
  if (!*error) *error = validate_operations(operations, datatype);
  if (*error) return {};
  return check_operations(operations, datatype, options);
}

}  // namespace detsim::check
