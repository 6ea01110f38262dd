// Client operations as Jepsen records them (DESIGN.md "Histories"): each
// operation is an invoke event and, later, a completion: ok (it took
// effect), fail (it certainly did not) or info (indeterminate: it may or
// may not have taken effect, e.g. a timeout). Model clients record into a
// History; sim/check reads it (linearizability) and the command line
// writes it as JSON lines.
//
// An invoke with no completion by the end of the run counts as info.
//
// Jepsen's rule for info: the process that got it is considered crashed
// and never invokes again. A client that goes on after a timeout takes a
// fresh process number (History::next_process), as Jepsen's workers do.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/api/node_id.h"
#include "sim/core/assert.h"
#include "sim/core/time.h"

namespace detsim {

enum class OpType : uint8_t { invoke, ok, fail, info };

inline const char* to_string(OpType type) {
  switch (type) {
    case OpType::invoke: return "invoke";
    case OpType::ok: return "ok";
    case OpType::fail: return "fail";
    case OpType::info: return "info";
  }
  return "?";
}

// A value in a history: nil, an integer, a string, or a list of values
// (a cas's [old new]).
struct OpValue {
  enum class Kind : uint8_t { nil, integer, text, list };
  Kind kind = Kind::nil;
  int64_t integer = 0;
  std::string text;
  std::vector<OpValue> items;

  static OpValue nil() { return {}; }
  static OpValue of(int64_t v) {
    OpValue value;
    value.kind = Kind::integer;
    value.integer = v;
    return value;
  }
  static OpValue of(std::string v) {
    OpValue value;
    value.kind = Kind::text;
    value.text = std::move(v);
    return value;
  }
  static OpValue list(std::vector<OpValue> v) {
    OpValue value;
    value.kind = Kind::list;
    value.items = std::move(v);
    return value;
  }
  bool is_nil() const { return kind == Kind::nil; }
  bool operator==(const OpValue&) const = default;
};

struct HistoryEvent {
  int64_t process = 0;
  OpType type = OpType::invoke;
  std::string f;         // register: read, write, cas; kv: get, put, append (and cas)
  std::string key;       // "" for a single register
  OpValue value;         // invoke: the argument (nil for a read); ok: the result of a read
  Time time;             // simulated time of this event
  bool has_time = true;  // false for histories read without times (EDN)
};

class History {
 public:
  // An operation starts. Returns its index, for complete().
  size_t invoke(int64_t process, std::string f, std::string key, OpValue value, Time at) {
    events_.push_back({process, OpType::invoke, std::move(f), std::move(key), std::move(value), at, true});
    return events_.size() - 1;
  }
  // Its completion: ok, fail or info, with the result value (a read's
  // value; for writes, the argument again is conventional).
  void complete(size_t invoke_index, OpType type, OpValue value, Time at) {
    // Invariant: an operation completes once, after its invoke.
    DETSIM_ASSERT(type != OpType::invoke);
    DETSIM_ASSERT(invoke_index < events_.size());
    const HistoryEvent& invoked = events_[invoke_index];
    DETSIM_ASSERT(invoked.type == OpType::invoke);
    HistoryEvent done{invoked.process, type, invoked.f, invoked.key, std::move(value), at, true};
    events_.push_back(std::move(done));
  }
  // An event as it stands, for histories read from a file: no pairing
  // check here (sim/check/operations.h pairs and reports).
  void append(HistoryEvent event) { events_.push_back(std::move(event)); }
  // A process number no one has used yet (after an info, Jepsen's client
  // continues as a new process).
  int64_t next_process() { return next_process_++; }
  void reserve_processes(int64_t count) { next_process_ = std::max(next_process_, count); }
  // The client node a process number belongs to (a client continues as a
  // new process after an info). Outputs name the client with it: the run's
  // violation_nodes, the saved history's header, the counterexample.
  void bind_process(int64_t process, NodeId client) { process_clients_[process] = client; }
  const std::map<int64_t, NodeId>& process_clients() const { return process_clients_; }

  const std::vector<HistoryEvent>& events() const { return events_; }
  bool empty() const { return events_.empty(); }

 private:
  std::vector<HistoryEvent> events_;
  int64_t next_process_ = 0;
  std::map<int64_t, NodeId> process_clients_;
};

}  // namespace detsim
