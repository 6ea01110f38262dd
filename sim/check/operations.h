// A History's events paired into operations, the unit a linearizability
// checker reasons about (Herlihy & Wing, "Linearizability: a correctness
// condition for concurrent objects", TOPLAS 1990: an operation is an
// invocation and its matching response).
//
// Pairing follows Jepsen: a process has at most one outstanding operation,
// so a completion belongs to the last invoke of its process. An invoke that
// never completes counts as info (sim/api/history.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/api/history.h"

namespace detsim::check {

// The sequential object a history is checked against.
enum class Datatype : uint8_t { register_, kv };
std::optional<Datatype> parse_datatype(std::string_view name);  // "register" | "kv"
const char* to_string(Datatype datatype);

struct Operation {
  int64_t process = 0;
  std::string f;
  std::string key;
  OpValue argument;                  // the invoke's value
  OpValue result;                    // the completion's value (a read's result)
  OpType outcome = OpType::info;     // ok, fail or info (also: never completed)
  size_t invoke_event = 0;           // index into History::events()
  size_t complete_event = SIZE_MAX;  // SIZE_MAX: never completed
  Time invoke_at;
  Time complete_at = Time::max();
  bool has_time = true;
};

// Where a history is malformed: the event, and what was expected there.
struct HistoryError {
  size_t event = 0;
  std::string message;
};

// Pairs invokes with completions per process. Errors: a completion with no
// outstanding invoke, a second invoke while one is outstanding, a
// completion whose f differs from its invoke's.
std::vector<Operation> pair_operations(const History& history, std::optional<HistoryError>* error);

// One line: "process=3 ok write key=x value=3 invoke=1.200ms complete=1.500ms"
// (event numbers "#4" instead of times for histories without times).
std::string format_operation(const Operation& operation);
// Compact form for a run's one-line detail, times in seconds:
// "p3 write 3 [0.001200s,0.001500s]".
// process_names: what to call a process instead of "p24" (the run's
// client names, "c5"); null or a process not in it keeps the number.
std::string format_operation_short(const Operation& operation,
                                   const std::map<int64_t, std::string>* process_names = nullptr);
// A value as JSON writes it: null, 3, "x", [1,2].
std::string format_value(const OpValue& value);

}  // namespace detsim::check
