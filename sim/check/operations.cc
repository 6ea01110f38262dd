#include "sim/check/operations.h"

#include <fmt/format.h>

#include <map>

#include "sim/core/duration_dist.h"

namespace detsim::check {
namespace {

std::string format_instant(const Operation& operation, bool at_invoke) {
  const bool completed = operation.complete_event != SIZE_MAX;
  if (!at_invoke && !completed) return "never";
  if (!operation.has_time) return fmt::format("#{}", at_invoke ? operation.invoke_event : operation.complete_event);
  const Time at = at_invoke ? operation.invoke_at : operation.complete_at;
  return format_duration(at.since_start());
}

// A read's information is its result; every other operation's is its argument.
const OpValue& shown_value(const Operation& operation) {
  const bool is_read = operation.f == "read" || operation.f == "get";
  return is_read ? operation.result : operation.argument;
}

void start_operation(const History& history, size_t index, std::map<int64_t, size_t>& outstanding,
                     std::vector<Operation>& operations, std::optional<HistoryError>* error) {
  const HistoryEvent& event = history.events()[index];
  auto [slot, fresh] = outstanding.try_emplace(event.process, operations.size());
  if (!fresh) {
    const size_t previous = operations[slot->second].invoke_event;
    *error = HistoryError{index, fmt::format("process {} invokes again while its operation at event #{} is "
                                             "outstanding (expected one operation at a time per process)",
                                             event.process, previous)};
    return;
  }
  Operation operation;
  operation.process = event.process;
  operation.f = event.f;
  operation.key = event.key;
  operation.argument = event.value;
  operation.invoke_event = index;
  operation.invoke_at = event.time;
  operation.has_time = event.has_time;
  operations.push_back(std::move(operation));
}

void finish_operation(const History& history, size_t index, std::map<int64_t, size_t>& outstanding,
                      std::vector<Operation>& operations, std::optional<HistoryError>* error) {
  const HistoryEvent& event = history.events()[index];
  auto slot = outstanding.find(event.process);
  if (slot == outstanding.end()) {
    *error = HistoryError{index, fmt::format("{} of process {} with no outstanding invoke (expected an invoke "
                                             "of the same process before it)",
                                             to_string(event.type), event.process)};
    return;
  }
  Operation& operation = operations[slot->second];
  if (operation.f != event.f) {
    *error = HistoryError{index, fmt::format("completion f '{}' differs from its invoke's '{}' (expected the same f)",
                                             event.f, operation.f)};
    return;
  }
  operation.outcome = event.type;
  operation.result = event.value;
  operation.complete_event = index;
  operation.complete_at = event.time;
  operation.has_time = operation.has_time && event.has_time;
  outstanding.erase(slot);
}

// An operation's time in seconds with `decimals` digits, whatever its
// size: one unit per printed line, so its times compare at a glance. The
// counterexample lines give nanoseconds (9), the run line's one-line
// detail microseconds (6). A double holds a run's nanoseconds exactly
// enough for 9 digits (runs are far shorter than 10^6 s).
std::string format_seconds(const Operation& operation, bool at_invoke, int decimals) {
  const bool completed = operation.complete_event != SIZE_MAX;
  if (!operation.has_time || (!at_invoke && !completed)) return format_instant(operation, at_invoke);
  const Time at = at_invoke ? operation.invoke_at : operation.complete_at;
  return fmt::format("{:.{}f}s", at.to_seconds(), decimals);
}

}  // namespace

std::optional<Datatype> parse_datatype(std::string_view name) {
  if (name == "register") return Datatype::register_;
  if (name == "kv") return Datatype::kv;
  return std::nullopt;
}

const char* to_string(Datatype datatype) { return datatype == Datatype::register_ ? "register" : "kv"; }

std::vector<Operation> pair_operations(const History& history, std::optional<HistoryError>* error) {
  DETSIM_ASSERT(error != nullptr);
  *error = std::nullopt;
  // Ordered by process for a deterministic walk; only looked up here.
  std::map<int64_t, size_t> outstanding;
  std::vector<Operation> operations;
  operations.reserve(history.events().size() / 2 + 1);
  for (size_t i = 0; i < history.events().size() && !*error; ++i) {
    if (history.events()[i].type == OpType::invoke) {
      start_operation(history, i, outstanding, operations, error);
    } else {
      finish_operation(history, i, outstanding, operations, error);
    }
  }
  if (*error) operations.clear();
  return operations;
}

std::string format_value(const OpValue& value) {
  switch (value.kind) {
    case OpValue::Kind::nil: return "null";
    case OpValue::Kind::integer: return std::to_string(value.integer);
    case OpValue::Kind::text: {
      std::string quoted = "\"";
      for (char c : value.text) {
        if (c == '"' || c == '\\') quoted += '\\';
        quoted += c;
      }
      return quoted + "\"";
    }
    case OpValue::Kind::list: {
      std::string out = "[";
      for (size_t i = 0; i < value.items.size(); ++i) {
        if (i > 0) out += ',';
        out += format_value(value.items[i]);
      }
      return out + "]";
    }
  }
  return "?";
}

std::string format_operation(const Operation& operation) {
  std::string key = operation.key.empty() ? "" : " key=" + format_value(OpValue::of(operation.key));
  return fmt::format("process={} {} {}{} value={} invoke={} complete={}", operation.process,
                     to_string(operation.outcome), operation.f, key, format_value(shown_value(operation)),
                     format_seconds(operation, true, 9), format_seconds(operation, false, 9));
}

std::string format_operation_short(const Operation& operation, const std::map<int64_t, std::string>* process_names) {
  std::string outcome = operation.outcome == OpType::ok ? "" : std::string(" ") + to_string(operation.outcome);
  std::string who = fmt::format("p{}", operation.process);
  if (process_names != nullptr) {
    if (auto it = process_names->find(operation.process); it != process_names->end()) who = it->second;
  }
  return fmt::format("{} {} {}{} [{},{}]", who, operation.f, format_value(shown_value(operation)), outcome,
                     format_seconds(operation, true, 6), format_seconds(operation, false, 6));
}

}  // namespace detsim::check
