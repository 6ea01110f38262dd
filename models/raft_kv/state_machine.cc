#include "models/raft_kv/state_machine.h"

namespace detsim::raft_kv {

Result StateMachine::apply(const Command& command) {
  if (command.kind == OpKind::noop) return {};
  // Invariant: only writes reach the log, and every write has a session.
  DETSIM_ASSERT(command.kind != OpKind::get);
  DETSIM_ASSERT(command.client != 0);
  Session& session = sessions_[command.client];
  // Thesis §6.3: a duplicate of an applied command is answered, not re-run.
  if (command.seq <= session.seq) return session.result;
  session.seq = command.seq;
  session.result = execute(command);
  return session.result;
}

Result StateMachine::execute(const Command& command) {
  Result result;
  switch (command.kind) {
    case OpKind::put: data_[command.key] = command.value; break;
    case OpKind::append: data_[command.key] += command.value; break;
    case OpKind::cas: {
      auto it = data_.find(command.key);
      result.ok = it != data_.end() && it->second == command.expected;
      if (result.ok) it->second = command.value;
      break;
    }
    case OpKind::noop:
    case OpKind::get: break;
  }
  return result;
}

Result StateMachine::read(const std::string& key) const {
  Result result;
  auto it = data_.find(key);
  if (it == data_.end()) return result;
  result.has_value = true;
  result.value = it->second;
  return result;
}

std::optional<Result> StateMachine::applied_result(uint64_t client, uint64_t seq) const {
  auto it = sessions_.find(client);
  if (it == sessions_.end() || it->second.seq != seq) return std::nullopt;
  return it->second.result;
}

bool StateMachine::applied(uint64_t client, uint64_t seq) const {
  auto it = sessions_.find(client);
  return it != sessions_.end() && it->second.seq >= seq;
}

uint64_t StateMachine::digest() const {
  uint64_t h = 0x53;
  for (const auto& [key, value] : data_) h = hash_bytes(hash_bytes(h, key), value);
  return h;
}

}  // namespace detsim::raft_kv
