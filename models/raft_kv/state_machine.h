// The replicated state machine: a string key-value map with get, put,
// append (concatenation) and cas, plus client sessions (Ongaro's thesis
// §6.3): per client, the sequence number of its last applied command and
// that command's result, so a command that reaches the log twice (a client
// retried it on another leader) takes effect once.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "models/raft_kv/messages.h"
#include "sim/api/context.h"  // DETSIM_ASSERT (model code includes only sim/api/)

namespace detsim::raft_kv {

struct Result {
  bool ok = true;  // cas: false when the current value was not the expected one
  bool has_value = false;
  std::string value;
};

class StateMachine {
 public:
  // Applies one committed command; returns its result. A command of a
  // client whose session has already applied that sequence number (or a
  // later one) changes nothing and returns the stored result.
  Result apply(const Command& command);
  // get, at this replica's applied state.
  Result read(const std::string& key) const;
  // The stored result if this client's seq was applied (and is its last).
  std::optional<Result> applied_result(uint64_t client, uint64_t seq) const;
  // Whether seq (or a later one) of this client was applied.
  bool applied(uint64_t client, uint64_t seq) const;
  uint64_t digest() const;

 private:
  struct Session {
    uint64_t seq = 0;
    Result result;
  };
  Result execute(const Command& command);

  std::map<std::string, std::string> data_;
  std::map<uint64_t, Session> sessions_;
};

}  // namespace detsim::raft_kv
