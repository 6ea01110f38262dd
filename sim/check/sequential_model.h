// The sequential specifications a history is checked against, compiled for
// the search: values interned to small integers, so a state is one
// uint32_t and a step is a comparison (Lowe 2017, section 5, keeps states
// small for the same reason: the memo table stores one per entry).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sim/api/history.h"
#include "sim/check/operations.h"

namespace detsim::check {

enum class StepKind : uint8_t { read, write, cas, append };

// One operation of one key, as the search sees it.
struct CompactOp {
  StepKind kind = StepKind::read;
  uint32_t first = 0;   // read: expected value; write: new value; cas: old; append: suffix
  uint32_t second = 0;  // cas: new value
  uint32_t source = 0;  // index into the operations given to the checker
};

// Interned values. For kv, nil and "" are one value: a key never written
// reads as empty.
class ValueTable {
 public:
  explicit ValueTable(Datatype datatype);
  uint32_t intern(const OpValue& value);
  const OpValue& value(uint32_t id) const { return values_[id]; }
  // The value after appending suffix's text to state's (kv append).
  uint32_t append(uint32_t state, uint32_t suffix);
  uint32_t initial() const { return initial_; }

 private:
  Datatype datatype_;
  std::vector<OpValue> values_;
  // Lookups only: ids are handed out in the search's deterministic order.
  std::unordered_map<std::string, uint32_t> ids_;
  std::unordered_map<uint64_t, uint32_t> appended_;
  uint32_t initial_ = 0;
};

// The text an append concatenates: strings as they are, integers in
// decimal, nil as "", lists in their JSON form.
std::string text_of(const OpValue& value);

// nullopt if f is not an operation of the datatype.
std::optional<StepKind> step_kind(Datatype datatype, const std::string& f);
// Why operation does not fit the datatype, or "" if it does.
std::string operation_problem(const Operation& operation, Datatype datatype);
CompactOp compile(const Operation& operation, uint32_t source, Datatype datatype, ValueTable& values);

// The sequential step: the state after op, or nullopt if op cannot happen
// in state (a read of another value, a cas whose old value differs).
inline std::optional<uint32_t> apply(uint32_t state, const CompactOp& op, ValueTable& values) {
  switch (op.kind) {
    case StepKind::read: return state == op.first ? std::optional<uint32_t>(state) : std::nullopt;
    case StepKind::write: return op.first;
    case StepKind::cas: return state == op.first ? std::optional<uint32_t>(op.second) : std::nullopt;
    case StepKind::append: return values.append(state, op.first);
  }
  return std::nullopt;
}

}  // namespace detsim::check
