#include "sim/check/sequential_model.h"

#include "sim/core/assert.h"

namespace detsim::check {
namespace {

OpValue normalise(const OpValue& value, Datatype datatype) {
  if (datatype == Datatype::kv && value.is_nil()) return OpValue::of(std::string());
  return value;
}

bool is_read(const std::string& f) { return f == "read" || f == "get"; }

}  // namespace

std::string text_of(const OpValue& value) {
  switch (value.kind) {
    case OpValue::Kind::nil: return "";
    case OpValue::Kind::integer: return std::to_string(value.integer);
    case OpValue::Kind::text: return value.text;
    case OpValue::Kind::list: return format_value(value);
  }
  return "";
}

ValueTable::ValueTable(Datatype datatype) : datatype_(datatype) { initial_ = intern(OpValue::nil()); }

uint32_t ValueTable::intern(const OpValue& value) {
  OpValue normal = normalise(value, datatype_);
  // format_value is injective over values: 3, "3", null and [3] all differ.
  auto [slot, fresh] = ids_.try_emplace(format_value(normal), static_cast<uint32_t>(values_.size()));
  if (fresh) values_.push_back(std::move(normal));
  return slot->second;
}

uint32_t ValueTable::append(uint32_t state, uint32_t suffix) {
  DETSIM_ASSERT(state < values_.size());
  DETSIM_ASSERT(suffix < values_.size());
  const uint64_t pair = (static_cast<uint64_t>(state) << 32) | suffix;
  auto found = appended_.find(pair);
  if (found != appended_.end()) return found->second;
  const uint32_t id = intern(OpValue::of(text_of(values_[state]) + text_of(values_[suffix])));
  appended_.emplace(pair, id);
  return id;
}

std::optional<StepKind> step_kind(Datatype datatype, const std::string& f) {
  if (f == "cas") return StepKind::cas;
  if (datatype == Datatype::register_) {
    if (f == "read") return StepKind::read;
    if (f == "write") return StepKind::write;
    return std::nullopt;
  }
  // kv takes Jepsen's register names too: many kv histories say read/write.
  if (is_read(f)) return StepKind::read;
  if (f == "put" || f == "write") return StepKind::write;
  if (f == "append") return StepKind::append;
  return std::nullopt;
}

std::string operation_problem(const Operation& operation, Datatype datatype) {
  std::optional<StepKind> kind = step_kind(datatype, operation.f);
  if (!kind) {
    return datatype == Datatype::register_ ? "f '" + operation.f + "' (expected read, write or cas for a register)"
                                           : "f '" + operation.f + "' (expected get, put, append or cas for kv)";
  }
  const OpValue& argument = operation.argument;
  if (*kind == StepKind::cas && (argument.kind != OpValue::Kind::list || argument.items.size() != 2))
    return "cas value " + format_value(argument) + " (expected [old new])";
  const bool appendable = argument.kind == OpValue::Kind::text || argument.kind == OpValue::Kind::integer;
  if (*kind == StepKind::append && !appendable)
    return "append value " + format_value(argument) + " (expected a string or an integer)";
  if (operation.complete_event != SIZE_MAX && operation.has_time && operation.complete_at < operation.invoke_at)
    return "completion time before its invoke time (expected time_ns not to decrease within an operation)";
  return "";
}

CompactOp compile(const Operation& operation, uint32_t source, Datatype datatype, ValueTable& values) {
  std::optional<StepKind> kind = step_kind(datatype, operation.f);
  // Invariant: operations were validated (validate_operations).
  DETSIM_ASSERT(kind.has_value());
  CompactOp op;
  op.kind = *kind;
  op.source = source;
  switch (op.kind) {
    case StepKind::read: op.first = values.intern(operation.result); break;
    case StepKind::write:
    case StepKind::append: op.first = values.intern(operation.argument); break;
    case StepKind::cas:
      op.first = values.intern(operation.argument.items[0]);
      op.second = values.intern(operation.argument.items[1]);
      break;
  }
  return op;
}

}  // namespace detsim::check
