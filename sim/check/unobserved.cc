#include "sim/check/unobserved.h"

#include <set>
#include <string>

#include "sim/check/sequential_model.h"
#include "sim/core/assert.h"

namespace detsim::check {
namespace {

// A value's identity: kv compares text (nil is ""), the register exact
// values.
std::string identity(const OpValue& value, Datatype datatype) {
  return datatype == Datatype::kv ? text_of(value) : format_value(value);
}

// What operations let the world see of the state: ok reads' results, and
// every cas's old value (an info cas may have matched it).
struct Observations {
  std::set<std::string> exact;
  std::vector<std::string> texts;  // kv: for substring search (appends extend values)
};

Observations collect(const std::vector<Operation>& operations, const std::vector<uint32_t>& members,
                     Datatype datatype) {
  Observations seen;
  for (uint32_t index : members) {
    const Operation& operation = operations[index];
    const std::optional<StepKind> kind = step_kind(datatype, operation.f);
    const OpValue* observed = nullptr;
    if (kind == StepKind::read && operation.outcome == OpType::ok) observed = &operation.result;
    if (kind == StepKind::cas && operation.outcome != OpType::fail && operation.argument.items.size() == 2)
      observed = &operation.argument.items[0];
    if (observed == nullptr) continue;
    seen.exact.insert(identity(*observed, datatype));
    if (datatype == Datatype::kv) seen.texts.push_back(identity(*observed, datatype));
  }
  return seen;
}

// The value an operation would leave in the state (or add to it), or
// nullptr for reads.
const OpValue* written_value(const Operation& operation, Datatype datatype) {
  const std::optional<StepKind> kind = step_kind(datatype, operation.f);
  if (kind == StepKind::write || kind == StepKind::append) return &operation.argument;
  if (kind == StepKind::cas && operation.argument.items.size() == 2) return &operation.argument.items[1];
  return nullptr;
}

bool ever_seen(const OpValue& value, const Observations& seen, Datatype datatype) {
  const std::string id = identity(value, datatype);
  // Empty text is in every string: kept, conservatively.
  if (id.empty() || seen.exact.count(id) > 0) return true;
  if (datatype != Datatype::kv) return false;
  for (const std::string& text : seen.texts)
    if (text.find(id) != std::string::npos) return true;
  return false;
}

}  // namespace

std::vector<bool> unobserved_info_writes(const std::vector<Operation>& operations, const std::vector<uint32_t>& members,
                                         Datatype datatype) {
  std::vector<bool> unobserved(members.size(), false);
  const Observations seen = collect(operations, members, datatype);
  for (size_t i = 0; i < members.size(); ++i) {
    const Operation& operation = operations[members[i]];
    if (operation.outcome != OpType::info) continue;
    const OpValue* value = written_value(operation, datatype);
    unobserved[i] = value != nullptr && !ever_seen(*value, seen, datatype);
  }
  // Invariant: one answer per member; only info operations are dropped.
  DETSIM_ASSERT(unobserved.size() == members.size());
  return unobserved;
}

}  // namespace detsim::check
